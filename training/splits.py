"""Train / selection / test split: whole held-out sources (or held-out people), never individual images.

splits.json (shared with the TypeScript yardstick, src/evaluate/yardstick-split.ts) lists the held-out camera sources
in two parts, fixed before model v3 was trained: `selection` judges every choice (epoch, views, threshold, recipe),
`test` is frozen and scores each final candidate once. Sources split by person (nuaa, casia, oulu) hold out the
listed subject ids. celeba and utkface (live-only web photos) hold out ~10% by subject / image for BPCER only; they
join the selection part's rows ('val') but never its attack metrics.

assign() returns, per row: 'train', 'val' (the selection part + held-out web photos: what training validates on)
or 'test' (never read by training, export or threshold fitting).

Run it to print the split of a prepared folder: training/.venv/bin/python training/splits.py /work/prepared/s80
"""
import json
import os
import sys
import zlib

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'splits.json')) as _f:
    _SPLIT = json.load(_f)

SELECTION_SOURCES = tuple(_SPLIT['selectionSources'])
TEST_SOURCES = tuple(_SPLIT['testSources'])
HELD_OUT_SUBJECTS = {(group['source'], s): group['part'] for group in _SPLIT['heldOutSubjects']
                     for s in group['subjects']}
SUBJECT_SPLIT_SOURCES = tuple(sorted({group['source'] for group in _SPLIT['heldOutSubjects']}))
WEB_VAL_FRACTION = _SPLIT['webValidationFraction']
WEB_SOURCES = tuple(_SPLIT['webSources'])
# Every attack-bearing source of the selection part, as the per-source metrics name them.
SELECTION_YARDSTICK = SELECTION_SOURCES + tuple(
    sorted({g['source'] for g in _SPLIT['heldOutSubjects'] if g['part'] == 'selection'}))


def validation_text() -> str:
    """What the selection part holds, as a model card records it."""
    held = '; '.join(f'{g["source"]} subjects {", ".join(g["subjects"])}'
                     for g in _SPLIT['heldOutSubjects'] if g['part'] == 'selection')
    return (f'selection part: held-out sources {", ".join(SELECTION_SOURCES)}; {held}; '
            f'~{WEB_VAL_FRACTION:.0%} of celeba subjects; ~{WEB_VAL_FRACTION:.0%} of utkface images '
            '(training/splits.json; its test part is never used for fitting)')


def _bucket(key: str) -> float:
    return (zlib.crc32(key.encode()) % 10000) / 10000


def part_of(row) -> str:
    """'train' | 'val' (selection part, web BPCER photos) | 'test' for one row (dict with source, subject, path)."""
    src = row['source']
    if src in SELECTION_SOURCES:
        return 'val'
    if src in TEST_SOURCES:
        return 'test'
    held = HELD_OUT_SUBJECTS.get((src, row['subject']))
    if held is not None:
        return 'val' if held == 'selection' else 'test'
    if src == 'celeba':
        return 'val' if _bucket(row['subject']) < WEB_VAL_FRACTION else 'train'
    if src == 'utkface':  # subject is the source name; every image is a different person
        return 'val' if _bucket(row['path']) < WEB_VAL_FRACTION else 'train'
    return 'train'


def assign(rows):
    """rows: dicts with source, subject, path. Returns a list of 'train' | 'val' | 'test', one per row."""
    return [part_of(r) for r in rows]


def describe(rows, split):
    from collections import Counter
    c = Counter((s, r['source'], r['label']) for r, s in zip(rows, split))
    lines = []
    for part in ('train', 'val', 'test'):
        srcs = sorted({k[1] for k in c if k[0] == part})
        total = sum(v for k, v in c.items() if k[0] == part)
        lines.append(f'{part}: {total} images')
        for s in srcs:
            lines.append(f'  {s:28s} live {c[(part, s, "live")]:5d}  spoof {c[(part, s, "spoof")]:5d}')
    return '\n'.join(lines)


if __name__ == '__main__':
    import csv
    rows = [r for r in csv.DictReader(open(os.path.join(sys.argv[1], 'prepared.csv'))) if r['status'] == 'ok']
    print(describe(rows, assign(rows)))
