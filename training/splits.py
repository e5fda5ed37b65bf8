"""Train/validation split: whole held-out sources, never individual images (webcam sets are video frames).

The held-out camera sources are listed in splits.json (shared with the TypeScript yardstick, bench/yardstick.ts):
phone, TV/monitor and print attacks from cameras and rooms the model never trains on. NUAA is held out by subject
(its last five ids: print attacks); celeba and utkface (live-only web photos) by subject / image, for BPCER only.

Run it to print the split of a prepared folder: training/.venv/bin/python training/splits.py /work/prepared/s80
"""
import json
import os
import sys
import zlib

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'splits.json')) as _f:
    _SPLIT = json.load(_f)

VAL_SOURCES = tuple(_SPLIT['validationSources'])
NUAA_VAL_SUBJECTS = _SPLIT['nuaaValidationSubjects']
WEB_VAL_FRACTION = _SPLIT['webValidationFraction']
WEB_SOURCES = tuple(_SPLIT['webSources'])


def validation_text() -> str:
    """What the validation split holds, as a model card records it."""
    return (f'validation: held-out sources {", ".join(VAL_SOURCES)}; last {NUAA_VAL_SUBJECTS} NUAA subjects; '
            f'~{WEB_VAL_FRACTION:.0%} of celeba subjects; ~{WEB_VAL_FRACTION:.0%} of utkface images '
            '(training/splits.json)')


def _bucket(key: str) -> float:
    return (zlib.crc32(key.encode()) % 10000) / 10000


def assign(rows):
    """rows: dicts with source, subject, path. Returns a list of 'train' | 'val', one per row."""
    nuaa = sorted({r['subject'] for r in rows if r['source'] == 'nuaa'})
    nuaa_val = set(nuaa[-NUAA_VAL_SUBJECTS:])
    out = []
    for r in rows:
        src = r['source']
        if src in VAL_SOURCES:
            val = True
        elif src == 'nuaa':
            val = r['subject'] in nuaa_val
        elif src == 'celeba':
            val = _bucket(r['subject']) < WEB_VAL_FRACTION
        elif src == 'utkface':  # subject is the source name; every image is a different person
            val = _bucket(r['path']) < WEB_VAL_FRACTION
        else:
            val = False
        out.append('val' if val else 'train')
    return out


def describe(rows, split):
    from collections import Counter
    c = Counter((s, r['source'], r['label']) for r, s in zip(rows, split))
    subjects = {s: len({r['subject'] for r, sp in zip(rows, split) if sp == s and r['source'] == 'nuaa'})
                for s in ('train', 'val')}
    lines = []
    for part in ('train', 'val'):
        srcs = sorted({k[1] for k in c if k[0] == part})
        total = sum(v for k, v in c.items() if k[0] == part)
        lines.append(f'{part}: {total} images')
        for s in srcs:
            lines.append(f'  {s:28s} live {c[(part, s, "live")]:5d}  spoof {c[(part, s, "spoof")]:5d}')
    lines.append(f'nuaa subjects train/val: {subjects["train"]}/{subjects["val"]}')
    return '\n'.join(lines)


if __name__ == '__main__':
    import csv
    rows = [r for r in csv.DictReader(open(os.path.join(sys.argv[1], 'prepared.csv'))) if r['status'] == 'ok']
    print(describe(rows, assign(rows)))
