"""Soft labels from another ONNX classifier (e.g. the upstream reference) on the training split of a prepared
folder, for `train.py --soft-labels`: offline distillation from a model that saw attacks our corpus lacks.

    training/.venv/bin/python training/soft_labels.py --prepared /work/prepared/s128 \
        --model ../shared/reference/face-antispoof-onnx.fp32.onnx --size 128 --out /work/soft/upstream.csv

The model reads the prepared inference crops (the product's crop, at the model's own input size) as its model card
says (`--card`, e.g. bench/baselines/face-antispoof-onnx.fp32.json; read by preprocess.from_card), or without one as
preprocess.DEFAULT_FOR(--size): pixel / 255, NCHW RGB; it must output two logits [live, spoof]. Only training-split
rows are written, so nothing of the validation split can reach the student through this file. Prints the teacher's
accuracy per training source, so you can see where it is worth listening to before training on it.
"""
import argparse
import csv
import os
import sys
from collections import defaultdict

import numpy as np
import onnxruntime as ort
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data  # noqa: E402
import preprocess  # noqa: E402


def teacher_logits(model: str, prepared: str, rows, contract: preprocess.Contract, threads: int) -> np.ndarray:
    size = contract.size
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    session = ort.InferenceSession(model, opts, providers=['CPUExecutionProvider'])
    name = contract.name if contract.name in {i.name for i in session.get_inputs()} else session.get_inputs()[0].name
    out = []
    for start in range(0, len(rows), 64):
        batch = []
        for r in rows[start:start + 64]:
            im = Image.open(os.path.join(prepared, r['crop'])).convert('RGB')
            if im.size != (size, size):
                raise SystemExit(f'{r["crop"]} is {im.size}, the model wants {size}x{size}: use a folder prepared at '
                                 f'--size {size}')
            batch.append(np.asarray(im))
        x = preprocess.to_input(np.stack(batch), contract)
        y = session.run(None, {name: x})[0]
        if y.ndim != 2 or y.shape[1] != 2:
            raise SystemExit(f'the model outputs {y.shape}, not (n, 2) logits [live, spoof]')
        out.append(y.astype(np.float32))
    return np.concatenate(out)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--prepared', required=True, help='prepared folder at the teacher\'s input size')
    p.add_argument('--model', required=True)
    p.add_argument('--size', type=int, help="the model's input size (required without --card)")
    p.add_argument('--card', help="the model's card (JSON): input size, scale, mean, std, channel order")
    p.add_argument('--out', required=True)
    p.add_argument('--threads', type=int, default=2)
    args = p.parse_args()
    if args.card:
        contract = preprocess.from_card(args.card)
        if args.size is not None and args.size != contract.size:
            p.error(f'--size {args.size} but the card says {contract.size}')
    elif args.size is None:
        p.error('--size is required without --card')
    else:
        contract = preprocess.DEFAULT_FOR(args.size)
    _, rows = data.read_prepared(args.prepared)
    train_idx, _ = data.split_indices(rows)
    train_rows = [rows[i] for i in train_idx]
    logits = teacher_logits(args.model, args.prepared, train_rows, contract, args.threads)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    tmp = args.out + '.tmp'
    with open(tmp, 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['path', 'logit_live', 'logit_spoof'])
        for r, (a, b) in zip(train_rows, logits):
            w.writerow([r['path'], f'{a:.5f}', f'{b:.5f}'])
    os.replace(tmp, args.out)
    right = defaultdict(lambda: [0, 0])
    for r, (a, b) in zip(train_rows, logits):
        key = (r['source'], r['label'])
        right[key][0] += int((a > b) == (r['label'] == 'live'))
        right[key][1] += 1
    print(f'{len(train_rows)} training rows -> {args.out}')
    for (source, label), (ok, n) in sorted(right.items()):
        print(f'  {source:28s} {label:5s} teacher agrees with the label on {ok / n:6.1%} of {n}')


if __name__ == '__main__':
    main()
