#!/usr/bin/env python3
"""Scene-level synthetic attacks (scene.py) and their place in the training batches (data.BalancedBatches):

  * every medium returns an image of the input's size and dtype, in [0, 1], and the same seed gives the same scene;
  * the face stays where it was: the centre of the scene still correlates with the live face (it is re-shown, not
    replaced), while the border of the context crop is mostly something else (bezel, paper, card, room, fingers);
  * with a small phone, its bezel edge falls inside the product's 1.5x crop: that crop differs from the live crop
    near its border far more than at its centre;
  * BalancedBatches with scene_share 1 renders scene attacks for the whole synthetic tail, still labelled spoof,
    and is a pure function of (seed, step).

  training/.venv/bin/python training/test_scene.py

Exit 0 and 'OK scene' on success; an AssertionError otherwise.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data  # noqa: E402
from scene import CONTEXT_PER_FACE, MEDIA, scene_attack  # noqa: E402


def face_context(c=100, seed=0):
    """A smooth synthetic 'face': a bright ellipse with two dark eyes on a textured backdrop."""
    rng = np.random.default_rng(seed)
    yy, xx = (np.mgrid[0:c, 0:c].astype(np.float32) + 0.5 - c / 2) / (c / CONTEXT_PER_FACE)
    img = np.empty((c, c, 3), np.float32)
    img[:] = rng.uniform(0.2, 0.4, 3)
    img += 0.05 * np.sin(xx * 9)[..., None]
    face = (xx / 0.4) ** 2 + (yy / 0.5) ** 2 < 1
    img[face] = (0.85, 0.65, 0.55)
    for ex in (-0.15, 0.15):
        img[(xx - ex) ** 2 + (yy + 0.1) ** 2 < 0.004] = 0.05
    return np.clip(img, 0, 1)


def corr(a, b):
    a, b = a.ravel() - a.mean(), b.ravel() - b.mean()
    return float((a * b).sum() / np.sqrt((a * a).sum() * (b * b).sum() + 1e-12))


def test_media():
    live = face_context()
    room = np.random.default_rng(1).uniform(0, 1, (100, 100, 3)).astype(np.float32)
    c = live.shape[0]
    q = c // 4
    for medium in MEDIA:
        centre_corr, border_diff = [], []
        for seed in range(12):
            out, name = scene_attack(live, room, np.random.default_rng(seed), medium)
            assert name == medium
            assert out.shape == live.shape and out.dtype == np.float32, (out.shape, out.dtype)
            assert out.min() >= 0 and out.max() <= 1
            again, _ = scene_attack(live, room, np.random.default_rng(seed), medium)
            assert np.array_equal(out, again), 'not a function of the seed'
            centre_corr.append(corr(out[q:-q, q:-q].mean(2), live[q:-q, q:-q].mean(2)))
            ring = np.ones((c, c), bool)
            ring[6:-6, 6:-6] = False
            border_diff.append(float(np.abs(out[ring] - live[ring]).mean()))
        assert np.median(centre_corr) > 0.5, (medium, centre_corr)
        assert np.median(border_diff) > 0.08, (medium, border_diff)


def test_phone_edge_in_crop():
    live = face_context()
    room = np.random.default_rng(2).uniform(0, 1, (100, 100, 3)).astype(np.float32)
    c = live.shape[0]
    side = int(round(c * 1.5 / CONTEXT_PER_FACE))  # the product's 1.5x crop inside the context
    lo = (c - side) // 2
    k = side // 6
    band = np.zeros((side, side), bool)
    band[:k], band[-k:], band[:, :k], band[:, -k:] = True, True, True, True
    centre = np.zeros((side, side), bool)
    centre[2 * k:-2 * k, 2 * k:-2 * k] = True
    # Blurred grey: the screen's pixel grid and the re-capture noise are not what this test is about.
    def grey(img):
        g = img.mean(2)[lo:lo + side, lo:lo + side]
        return sum(np.roll(np.roll(g, dy, 0), dx, 1) for dy in range(-2, 3) for dx in range(-2, 3)) / 25
    edge_corr, centre_corr = [], []
    for seed in range(20):
        out, _ = scene_attack(live, room, np.random.default_rng(100 + seed), 'phone')
        a, b = grey(out), grey(live)
        edge_corr.append(corr(a[band], b[band]))
        centre_corr.append(corr(a[centre], b[centre]))
    # The centre still shows the face; the crop's border is often bezel, fingers or room instead.
    assert np.median(centre_corr) > 0.6, centre_corr
    assert np.median(edge_corr) < np.median(centre_corr) - 0.2, (edge_corr, centre_corr)


def test_batches():
    rng = np.random.default_rng(0)
    n, c = 40, 100
    rows = [{'label': 'live' if i < 30 else 'spoof', 'source': 'celeba' if i < 10 else ('cam-a' if i < 30 else 'cam-b'),
             'attack': 'none' if i < 30 else 'replay', 'subject': str(i), 'path': f'{i}.jpg'} for i in range(n)]
    contexts = (rng.uniform(0, 1, (n, c, c, 3)) * 255).astype(np.uint8)
    train_idx = np.arange(n)
    batches = data.BalancedBatches(rows, contexts, train_idx, 80, 32, seed=3, synthetic_share=0.5, scene_share=1.0)
    x, y, idx, n_syn = batches.make(5)
    x2, y2, idx2, _ = batches.make(5)
    assert np.array_equal(x, x2) and np.array_equal(idx, idx2), 'batch is not a function of (seed, step)'
    assert x.shape == (32, 3, 80, 80) and n_syn == 8, (x.shape, n_syn)
    assert (y[-n_syn:] == 1).all(), 'synthetic attacks must be labelled spoof'
    assert all(rows[i]['label'] == 'live' for i in idx[-n_syn:]), 'synthetic attacks are made from live rows'
    plain = data.BalancedBatches(rows, contexts, train_idx, 80, 32, seed=3, synthetic_share=0.5)
    assert not np.array_equal(plain.make(5)[0][-n_syn:], x[-n_syn:]), 'scene_share changed nothing'


if __name__ == '__main__':
    test_media()
    test_phone_edge_in_crop()
    test_batches()
    print('OK scene')
