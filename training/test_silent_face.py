#!/usr/bin/env python3
"""MiniFASNetV2 (model.py) against Silent-Face's released files, and finetune.py's loop.

  training/.venv/bin/python training/test_silent_face.py

- the released .pth loads strictly into MiniFASNetV2 and reproduces the released .onnx logits (max |diff| < 1e-4 on
  BGR 0..255 inputs);
- the 3-class loss terms: P(live) + P(attack) = 1, with attack = classes 0 and 2 summed;
- finetune.py runs on a tiny synthetic 80 px prepared folder, writes log/epoch/best files, and --resume continues from
  the saved step to the next epoch instead of starting over; SourceBatches is a function of (seed, step).

Needs ../shared/reference/silent-face/: without it this prints SKIP and exits 0, unless CI is set (then it fails).
Exit 0 and 'OK silent-face' on success.
"""
import csv
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import finetune  # noqa: E402
from model import create_model, load_silent_face  # noqa: E402

REFERENCE = os.path.join(HERE, '..', '..', 'shared', 'reference', 'silent-face')
PTH = os.path.join(REFERENCE, '2.7_80x80_MiniFASNetV2.pth')
ONNX = os.path.join(REFERENCE, '2.7_80x80_MiniFASNetV2.onnx')
IN_CI = os.environ.get('CI', '').lower() not in ('', '0', 'false')


def check_released_weights():
    import onnxruntime as ort
    model = load_silent_face(create_model('minifasnet_v2'), PTH).eval()
    x = np.random.default_rng(0).uniform(0, 255, (6, 3, 80, 80)).astype(np.float32)
    with torch.no_grad():
        ours = model(torch.from_numpy(x)).numpy()
    released = ort.InferenceSession(ONNX, providers=['CPUExecutionProvider']).run(None, {'input': x})[0]
    diff = float(np.abs(ours - released).max())
    assert diff < 1e-4, f'MiniFASNetV2 differs from the released .onnx by {diff}'
    assert sum(p.numel() for p in model.parameters()) == 434_560
    live, attack = finetune.live_log_probs(torch.from_numpy(ours))
    total = torch.exp(live) + torch.exp(attack)
    assert torch.allclose(total, torch.ones_like(total), atol=1e-5), total
    print(f'released weights: strict load, max |logit diff| {diff:.2e}')


def make_prepared(folder, rng):
    """80 px crops: a training camera (both labels), web photos (live) and a selection-part camera (webcam-apfol)."""
    os.makedirs(os.path.join(folder, 'crops'))
    rows = []
    for source, label, count in [('webcam-testcam', 'live', 12), ('webcam-testcam', 'spoof', 12),
                                 ('celeba', 'live', 6), ('webcam-apfol', 'live', 6), ('webcam-apfol', 'spoof', 6)]:
        for _ in range(count):
            img = rng.integers(0, 256, (80, 80, 3), dtype=np.uint8)
            if label == 'spoof':
                img[::2] //= 2
            name = f'crops/{len(rows):03d}.png'
            Image.fromarray(img).save(os.path.join(folder, name))
            rows.append({'path': f'/corpus/{source}/{len(rows)}.jpg', 'label': label,
                         'attack': 'none' if label == 'live' else 'replay', 'subject': f'{source}-a',
                         'source': source, 'framing': 'context2x', 'status': 'ok', 'crop': name, 'context': name})
    with open(os.path.join(folder, 'prepared.csv'), 'w', newline='') as f:
        writer = csv.DictWriter(f, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with open(os.path.join(folder, 'prepare.json'), 'w') as f:
        json.dump({'size': 80, 'contextSize': 80, 'cropScale': 2.7, 'cropMode': 'shift'}, f)


def run(prepared, out, epochs, resume):
    cmd = [sys.executable, os.path.join(HERE, 'finetune.py'), '--prepared', prepared, '--out', out, '--init', PTH,
           '--epochs', str(epochs), '--steps-per-epoch', '2', '--batch', '4', '--threads', '1']
    done = subprocess.run(cmd + (['--resume'] if resume else []), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def check_finetune_resume():
    with tempfile.TemporaryDirectory() as tmp:
        prepared, out = os.path.join(tmp, 'prepared'), os.path.join(tmp, 'out')
        make_prepared(prepared, np.random.default_rng(0))
        run(prepared, out, 1, False)
        second = run(prepared, out, 2, True)
        assert 'resumed at step 2' in second, second
        with open(os.path.join(out, 'log.jsonl')) as f:
            log = [json.loads(line) for line in f]
        assert [r['epoch'] for r in log] == [1, 2], log
        assert [r['step'] for r in log] == [2, 4], log
        assert all(np.isfinite(r['selectionMeanEer']) for r in log), log
        assert 'webcam-apfol' in log[-1]['sources'] and 'webcam-testcam' not in log[-1]['sources'], log[-1]
        for name in ('epoch-1.pt', 'epoch-2.pt', 'best.pt', 'checkpoint.pt'):
            assert os.path.exists(os.path.join(out, name)), name
        ck = torch.load(os.path.join(out, 'checkpoint.pt'), map_location='cpu')
        assert ck['step'] == 4 and ck['model_name'] == 'minifasnet_v2'
        assert not [n for n in os.listdir(out) if n.endswith('.tmp')]
        rows = [{'source': 'webcam-testcam', 'label': label, 'subject': 's', 'path': str(i)}
                for i, label in enumerate(['live', 'spoof'] * 4)]
        a = finetune.SourceBatches(rows, np.arange(8), 6, 3, 0.2).make(5)
        b = finetune.SourceBatches(rows, np.arange(8), 6, 3, 0.2).make(5)
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
        assert np.array_equal(a[1], [1.0 if rows[i]['label'] == 'live' else 0.0 for i in a[0]])
        print('finetune.py: epochs 1-2 logged, resumed at step 2, files written')


def main():
    if not os.path.exists(PTH) or not os.path.exists(ONNX):
        message = f'Silent-Face reference files not found in {REFERENCE}'
        if IN_CI:
            raise SystemExit(f'FAIL (CI): {message}')
        print(f'SKIP: {message}')
        return
    check_released_weights()
    check_finetune_resume()
    print('OK silent-face')


if __name__ == '__main__':
    main()
