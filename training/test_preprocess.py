#!/usr/bin/env python3
"""The input contract (preprocess.py) and the training window vs the inference crop:

  * to_input matches hand-computed values for a non-trivial card (BGR, mean/std, scale 1/127.5), reads a card dict
    and a card file the same way, and refuses what the TypeScript card reader refuses (channel order, layout);
  * the default contract is what export.py writes (scale 1/255, mean 0, std 1, RGB, NCHW, crop scale 1.5), equals
    the old `pixel.astype(float32) / 255` bit for bit on all 256 levels, and from_unit is the identity, bit for bit,
    on [0,1] float batches, so training batches and the exported card did not change with the contract;
  * the training window at scale 1 and shift 0 (augment.random_window(context, 80, rng, train=False)) matches the
    inference crop of the same image: both from the product's `antispoof prepare --size 80` over three npm sample
    photos (node_modules/@vladmandic/face-api/demo/sample{1,2,3}.jpg; never corpus images); likewise the test-time
    views (data.view_crops, factors 0.88 and 1.12) match the product's crops at crop scale 1.5 x the factor.

Tolerance of the window test, per image: mean |window - crop| < 2.5 8-bit levels and max <= 48. Measured (80 px):
mean 0.70 / 1.51 / 0.17, max 13 / 25 / 4. The two are not the same pixels by construction: the crop resamples the
photo once onto an 80 px grid, the window is cut from the 100 px context resampled from a slightly different square
(squareAround snaps each square's side and corner to whole source pixels, so the 1.5x square sits up to ~0.2 context
px off the centre of the 1.875x one and its side differs by up to ~0.2%), and a 0.1-0.2 px shift across a sharp
255-level edge moves a pixel by 25-50 levels. Placing the window from the face box exactly (squareAround in Python)
lowers the measured mean only to 0.61 / 1.07 / 0.17 (max 11 / 15 / 2): the rest is the two resamplings. The test
also checks that scale 1 / shift 0 beats the window moved by 1 px or scaled by 3%: the contract's window is the
crop's, not merely close to it. The test-time views (factors 0.88 and 1.12) measured mean 1.2-2.5, max 26-44 against
the product's crops at crop scale 1.32 / 1.68: those squares snap to whole pixels on their own, up to half a pixel off
the centre of the 1.5x square the context was cut around, so their tolerance is mean < 3.5 (and a window 3% off in
scale must do worse).

  training/.venv/bin/python training/test_preprocess.py

Needs `npm run build` (dist/) for the window test; without it that part is skipped with a message. Exit 0 and
'OK preprocess' on success; an AssertionError otherwise.
"""
import csv
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import augment  # noqa: E402
import data  # noqa: E402
import preprocess  # noqa: E402

SAMPLES = os.path.join(ROOT, 'node_modules', '@vladmandic', 'face-api', 'demo')
MEAN_TOLERANCE, MAX_TOLERANCE = 2.5, 48
VIEW_MEAN_TOLERANCE = 3.5

CARD = {'input': {'name': 'pixels', 'size': 2, 'layout': 'NCHW', 'channelOrder': 'BGR', 'scale': 1 / 127.5,
                  'mean': [1.0, 0.5, 0.0], 'std': [0.5, 2.0, 1.0]},
        'output': {'name': 'logits', 'labels': ['live', 'spoof']}, 'crop': {'scale': 1.8}}


def test_to_input():
    c = preprocess.from_card(CARD)
    assert (c.size, c.channel_order, c.crop_scale, c.name) == (2, 'BGR', 1.8, 'pixels'), c
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, 'card.json')
        with open(path, 'w') as f:
            json.dump(CARD, f)
        assert preprocess.from_card(path) == c
    crop = np.array([[[255, 0, 51], [10, 20, 30]], [[0, 0, 0], [255, 255, 255]]], np.uint8)  # (H,W,RGB)
    x = preprocess.to_input(crop, c)
    assert x.shape == (1, 3, 2, 2) and x.dtype == np.float32, (x.shape, x.dtype)
    # Channel 0 of a BGR model is blue, normalised with mean[0] = 1, std[0] = 0.5: (b / 127.5 - 1) / 0.5.
    blue = np.array([[51, 30], [0, 255]]) / 127.5
    green = np.array([[0, 20], [0, 255]]) / 127.5
    red = np.array([[255, 10], [0, 255]]) / 127.5
    want = np.stack([(blue - 1.0) / 0.5, (green - 0.5) / 2.0, (red - 0.0) / 1.0])[None]
    assert np.allclose(x, want, atol=1e-6), (x, want)
    assert abs(float(x[0, 0, 0, 0]) - (51 / 127.5 - 1) / 0.5) < 1e-6
    # from_unit is to_input on pixel / 255.
    unit = (crop.astype(np.float32) / 255)[None].transpose(0, 3, 1, 2)
    assert np.allclose(preprocess.from_unit(unit, c), x, atol=1e-6)
    for bad in ({'channelOrder': 'GRB'}, {'layout': 'NHWC'}):
        try:
            preprocess.from_card({**CARD, 'input': {**CARD['input'], **bad}})
        except ValueError:
            pass
        else:
            raise AssertionError(f'accepted a card with {bad}')


def test_default():
    c = preprocess.DEFAULT_FOR(80)
    assert c.card_input() == {'name': 'input', 'size': 80, 'layout': 'NCHW', 'channelOrder': 'RGB', 'scale': 1 / 255,
                              'mean': [0, 0, 0], 'std': [1, 1, 1]}, c.card_input()
    assert c.card_crop() == {'scale': 1.5} and preprocess.DEFAULT_FOR(80, 1.6).crop_scale == 1.6
    assert preprocess.from_card({'input': c.card_input(), 'crop': c.card_crop()}) == c
    levels = np.arange(256, dtype=np.uint8).reshape(1, 16, 16, 1).repeat(3, 3)
    old = (levels.astype(np.float32) / 255).transpose(0, 3, 1, 2)
    assert np.array_equal(preprocess.to_input(levels, c), old), 'default to_input is not pixel / 255'
    batch = np.random.default_rng(0).random((4, 3, 16, 16), dtype=np.float32)
    batch[0, 0, 0, :2] = (0.0, 1.0)
    assert np.array_equal(preprocess.from_unit(batch, c), batch), 'default from_unit is not the identity'


def _prepare(names, out, crop_scale=None):
    """`antispoof prepare --size 80` of npm sample photos into out; returns (rows, info)."""
    manifest = out + '.csv'
    with open(manifest, 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['path', 'label', 'attack', 'subject', 'source', 'framing', 'width', 'height'])
        for i, name in enumerate(names):
            width, height = Image.open(os.path.join(SAMPLES, name)).size
            w.writerow([name, 'live', 'none', f'npm-{i}', 'npm-sample', 'context2x', width, height])
    extra = ['--crop-scale', str(crop_scale)] if crop_scale else []
    run = subprocess.run(['node', os.path.join(ROOT, 'bin', 'antispoof.js'), 'prepare', manifest, '--root',
                          SAMPLES, '--out', out, '--size', '80', '--concurrency', '1', *extra],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    with open(os.path.join(out, 'prepared.csv'), newline='') as f:
        rows = [r for r in csv.DictReader(f)]
    assert [r['status'] for r in rows] == ['ok'] * len(names), rows
    with open(os.path.join(out, 'prepare.json')) as f:
        return rows, json.load(f)


def _read(out, path):
    return np.asarray(Image.open(os.path.join(out, path)).convert('RGB'))


def test_window_is_the_crop():
    if not os.path.exists(os.path.join(ROOT, 'dist', 'src', 'cli', 'main.js')):
        print('SKIP window vs crop: dist/ is not built (npm run build)')
        return
    names = [f'sample{i}.jpg' for i in (1, 2, 3)]
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, 'prepared')
        rows, info = _prepare(names, out)
        assert (info['size'], info['contextSize']) == (80, round(1.25 * 80)), info
        for r in rows:
            crop = _read(out, r['crop']).astype(int)
            context = _read(out, r['context'])
            window = augment.random_window(context, 80, np.random.default_rng(0), train=False).astype(int)
            diff = np.abs(window - crop)
            print(f'{r["path"]}: window vs crop mean |diff| {diff.mean():.2f} levels, max {diff.max()}')
            assert diff.mean() < MEAN_TOLERANCE and diff.max() <= MAX_TOLERANCE, (r['path'], diff.mean(), diff.max())
            # Off by 1 px or 3% in scale is worse: the tolerance does not hide a misplaced window.
            for sc, sh in ((1.03, 0.0), (0.97, 0.0), (1.0, 1.0)):
                moved = _window(context, 80, sc, sh).astype(int)
                assert np.abs(moved - crop).mean() > diff.mean(), (r['path'], sc, sh)
        # Test-time views (card crop.views, export.py --views): the view of factor f is the product's crop at
        # crop.scale x f, so export's threshold is chosen on the scores the product will compute.
        contexts = np.stack([_read(out, r['context']) for r in rows])
        crops = np.stack([_read(out, r['crop']) for r in rows])
        for factor in (0.88, 1.12):
            scaled = os.path.join(tmp, f'prepared-{factor}')
            scaled_rows, _ = _prepare(names, scaled, crop_scale=1.5 * factor)
            view = data.view_crops(crops, contexts, [1.0, factor])
            assert view[0] is crops or np.array_equal(view[0], crops)
            for i, r in enumerate(scaled_rows):
                diff = np.abs(view[1][i].astype(int) - _read(scaled, r['crop']).astype(int))
                print(f'{r["path"]}: view {factor} vs crop at scale {1.5 * factor:.2f} mean |diff| '
                      f'{diff.mean():.2f} levels, max {diff.max()}')
                assert diff.mean() < VIEW_MEAN_TOLERANCE and diff.max() <= MAX_TOLERANCE, (r['path'], factor, diff.mean())
                off = _window(contexts[i], 80, factor * 1.03, 0.0).astype(int)
                assert np.abs(off - _read(scaled, r['crop']).astype(int)).mean() > diff.mean(), (r['path'], factor)


def _window(context, size, scale, shift_px):
    c = context.shape[0]
    side = c * size / round(1.25 * size) * scale
    x0 = (c - side) / 2 + shift_px
    return np.asarray(Image.fromarray(context).resize((size, size), Image.BILINEAR,
                                                      box=(x0, x0, x0 + side, x0 + side), reducing_gap=None))


def test_window_scale_range():
    """train.py --window-scale LO HI reaches the batches: a context whose pixels encode their distance from the centre
    shows the window's side in its corner pixels, and every window of a batch lies within the asked range."""
    size, c = 80, 100  # the prepared context is round(1.25 size)
    ys, xs = np.mgrid[0:c, 0:c].astype(np.float64) + 0.5 - c / 2
    radius = np.maximum(np.abs(xs), np.abs(ys))  # Chebyshev distance: a square window's edge has one value
    context = np.repeat(np.clip(radius * 4, 0, 255).astype(np.uint8)[..., None], 3, 2)
    rows = [{'label': 'live', 'source': 'webcam-x'}] * 4 + [{'label': 'spoof', 'source': 'webcam-x'}] * 4
    contexts = np.stack([context] * 8)

    def corner_radius(scale):
        batches = data.BalancedBatches(rows, contexts, np.arange(8), size, 8, 0, synthetic_share=0.0,
                                       window_scale=scale, window_shift=0.0)
        rng = np.random.default_rng(0)
        windows = augment.geometric(contexts, size, rng, batches.window_scale, batches.window_shift)
        return windows[:, 0, 0, 0].astype(np.float64) / 4  # half the window side, in context pixels

    base = c * size / round(1.25 * size) / 2
    for lo, hi in ((1.0, 1.0), (0.75, 0.75), (0.75, 1.25)):
        r = corner_radius((lo, hi))
        assert np.all(r >= lo * base - 1.5) and np.all(r <= hi * base + 1.5), (lo, hi, r, base)
    narrow, wide = corner_radius((0.75, 0.75)), corner_radius((1.2, 1.2))
    assert wide.mean() > narrow.mean() + 0.4 * base * 0.45, (narrow, wide)


def test_tight_frame():
    """train.py --tight-share: the face box fills the middle size/1.5 of the window and the rest is its reflect-101
    padding; share 0 leaves geometric() as it was, share 1 frames every face so."""
    size, c = 80, 100
    rng = np.random.default_rng(0)
    context = rng.integers(0, 256, (c, c, 3), dtype=np.uint8)
    out = augment.tight_frame(context, size, np.random.default_rng(1))
    before = (size - round(size / 1.5)) // 2
    assert out.shape == (size, size, 3) and out.dtype == np.uint8
    assert np.array_equal(out[before - 1], out[before + 1]), 'row above the face is not reflect-101'
    assert np.array_equal(out[:, before - 3], out[:, before + 3]), 'column left of the face is not reflect-101'
    contexts = np.stack([context] * 6)
    plain = augment.geometric(contexts, size, np.random.default_rng(2))
    again = augment.geometric(contexts, size, np.random.default_rng(2), tight_share=0.0)
    assert np.array_equal(plain, again), 'tight_share 0 changed the windows'
    every = augment.geometric(contexts, size, np.random.default_rng(2), tight_share=1.0)
    for w in every:
        w = w if np.array_equal(w[:, before - 3], w[:, before + 3]) else w[:, ::-1]  # geometric may flip
        assert np.array_equal(w[:, before - 3], w[:, before + 3]), 'a tight_share 1 window is not padded'


if __name__ == '__main__':
    test_to_input()
    test_default()
    test_window_is_the_crop()
    test_window_scale_range()
    test_tight_frame()
    print('OK preprocess')
