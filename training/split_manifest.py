"""Writes the train or validation part of a dataset manifest, split exactly as training splits it (splits.py).

    python3 training/split_manifest.py ../shared/data/manifest.csv --part val --out /tmp/val.csv
    npx antispoof eval /tmp/val.csv --root ../shared/data --model models/antispoof-v1.onnx ...

Standard library only, so it runs with any python3.
"""
import argparse
import csv
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from splits import assign  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('manifest')
    parser.add_argument('--part', choices=('train', 'val', 'test'), default='val')
    parser.add_argument('--out', required=True)
    args = parser.parse_args()
    with open(args.manifest, newline='') as f:
        reader = csv.DictReader(f)
        fields = reader.fieldnames
        rows = list(reader)
    parts = assign(rows)
    with open(args.out, 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        kept = [row for row, part in zip(rows, parts) if part == args.part]
        writer.writerows(kept)
    print(f'{len(kept)} of {len(rows)} rows ({args.part}) -> {args.out}')


if __name__ == '__main__':
    main()
