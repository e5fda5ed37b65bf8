"""Prepared folder -> uint8 numpy cache -> class- and source-balanced training batches; validation crops.

The cache (`<prepared>/cache-<size>-context.npy`, `-crop.npy`, `.json`) is built once with two processes so no
PNG is decoded in the training loop. Training reads the context crop (1.875x the face box) so the random window can
move and zoom without padding; validation reads the exact inference crop.
"""
import csv
import json
import os
import queue
import threading
from multiprocessing import Pool

import numpy as np
from PIL import Image

import augment
import scene
import splits
import synthetic

WEB_SOURCES = splits.WEB_SOURCES


def read_prepared(prepared: str):
    with open(os.path.join(prepared, 'prepare.json')) as f:
        info = json.load(f)
    with open(os.path.join(prepared, 'prepared.csv'), newline='') as f:
        rows = [r for r in csv.DictReader(f) if r['status'] == 'ok']
    return info, rows


def _load(args):
    prepared, crop, context = args
    a = np.asarray(Image.open(os.path.join(prepared, crop)).convert('RGB'))
    b = np.asarray(Image.open(os.path.join(prepared, context)).convert('RGB'))
    return a, b


def _atomic_save(path: str, array: np.ndarray):
    tmp = path + '.tmp.npy'
    np.save(tmp, array)
    os.replace(tmp, path)


def load_cache(prepared: str):
    """Returns (info, rows, crops (n,N,N,3) uint8, contexts (n,C,C,3) uint8), building the cache if needed."""
    info, rows = read_prepared(prepared)
    n, c = info['size'], info['contextSize']
    base = os.path.join(prepared, f'cache-{n}')
    keys = [r['crop'] for r in rows]
    if os.path.exists(base + '.json'):
        with open(base + '.json') as f:
            if json.load(f)['crops'] == keys:
                return info, rows, np.load(base + '-crop.npy', mmap_mode='r'), np.load(base + '-context.npy', mmap_mode='r')
    crops = np.empty((len(rows), n, n, 3), np.uint8)
    contexts = np.empty((len(rows), c, c, 3), np.uint8)
    with Pool(2) as pool:
        jobs = [(prepared, r['crop'], r['context']) for r in rows]
        for i, (a, b) in enumerate(pool.imap(_load, jobs, chunksize=64)):
            crops[i], contexts[i] = a, b
    _atomic_save(base + '-crop.npy', crops)
    _atomic_save(base + '-context.npy', contexts)
    with open(base + '.json.tmp', 'w') as f:
        json.dump({'crops': keys}, f)
    os.replace(base + '.json.tmp', base + '.json')
    return info, rows, crops, contexts


def view_crops(crops: np.ndarray, contexts: np.ndarray, views) -> list:
    """One (n,S,S,3) array per test-time view factor (model card `crop.views`): factor 1 is the prepared inference
    crop itself, others the centred window of the context crop scaled by the factor (at most 1.25, the context)."""
    size = crops.shape[1]
    out = []
    for factor in views:
        if factor == 1:
            out.append(np.asarray(crops))
        elif not 0.5 <= factor <= 1.25:
            raise SystemExit(f'view factor {factor}: the prepared context crop holds factors 0.5-1.25 only')
        else:
            out.append(np.stack([augment.centred_window(c, size, factor) for c in contexts]))
    return out


def _source_weight(count: int) -> float:
    # Between uniform and proportional: a 31-image webcam set is not shown as often as 5,000 web photos
    # (it would be memorised), but far more often than its share.
    return float(np.clip(count, 100, 1000)) ** 0.5


class BalancedBatches:
    """Each batch: half live, half spoof; sources drawn by _source_weight; a share of the spoof half are synthetic
    attacks made on the fly from live training crops, mostly of the web-photo sources.

    Batch `step` depends only on (seed, step), so a resumed run replays exactly the same batches.
    """

    def __init__(self, rows, contexts, train_idx, size: int, batch: int, seed: int, synthetic_share: float = 0.35,
                 synthetic_web: float = 0.8, scene_share: float = 0.0, window_scale=augment.WINDOW_SCALE,
                 window_shift: float = augment.WINDOW_SHIFT, tight_share: float = 0.0):
        self.contexts, self.size, self.batch, self.seed = contexts, size, batch, seed
        self.tight_share = tight_share
        self.window_scale, self.window_shift = tuple(window_scale), window_shift
        self.synthetic_share, self.synthetic_web, self.scene_share = synthetic_share, synthetic_web, scene_share
        groups = {}
        for i in train_idx:
            groups.setdefault((rows[i]['label'], rows[i]['source']), []).append(i)
        self.groups = {k: np.array(v) for k, v in groups.items()}
        self.live = [k for k in self.groups if k[0] == 'live']
        self.spoof = [k for k in self.groups if k[0] == 'spoof']
        self.live_p = self._probs(self.live)
        self.spoof_p = self._probs(self.spoof)
        self.web_live = [k for k in self.live if k[1] in WEB_SOURCES]
        self.cam_live = [k for k in self.live if k[1] not in WEB_SOURCES]
        # Rooms to hold a scene-level attack in front of: live frames of the training cameras.
        self.rooms = np.concatenate([self.groups[k] for k in self.cam_live]) if self.cam_live else None

    def _probs(self, keys):
        w = np.array([_source_weight(len(self.groups[k])) for k in keys])
        return w / w.sum()

    def _pick(self, rng, keys, p, n):
        ks = rng.choice(len(keys), size=n, p=p) if p is not None else rng.integers(0, len(keys), n)
        return np.array([rng.choice(self.groups[keys[k]]) for k in ks], dtype=np.int64)

    def make(self, step: int):
        rng = np.random.default_rng([self.seed, step])
        half = self.batch // 2
        n_syn = int(round(half * self.synthetic_share)) if self.web_live else 0
        n_syn_web = int(round(n_syn * self.synthetic_web))
        idx = np.concatenate([
            self._pick(rng, self.live, self.live_p, half),
            self._pick(rng, self.spoof, self.spoof_p, self.batch - half - n_syn),
            self._pick(rng, self.web_live, None, n_syn_web),
            self._pick(rng, self.cam_live, None, n_syn - n_syn_web),
        ])
        labels = np.array([0] * half + [1] * (self.batch - half), np.int64)  # [live, spoof]
        n_scene = int(round(n_syn * self.scene_share)) if self.rooms is not None else 0
        if n_scene:
            tail = self.batch - n_syn
            idx[tail:] = idx[tail:][rng.permutation(n_syn)]  # web and camera faces in both kinds of synthesis
        contexts = np.array(self.contexts[idx])
        for j in range(self.batch - n_scene, self.batch):
            room = np.asarray(self.contexts[rng.choice(self.rooms)]).astype(np.float32) / 255
            made, _ = scene.scene_attack(contexts[j].astype(np.float32) / 255, room, rng)
            contexts[j] = synthetic.to_uint8(made)
        windows = augment.geometric(contexts, self.size, rng, self.window_scale, self.window_shift, self.tight_share)
        synth = np.arange(self.batch - n_syn, self.batch - n_scene)
        if len(synth):
            f = windows[synth].astype(np.float32) / 255
            windows[synth] = np.stack([synthetic.to_uint8(synthetic.synthesize(im, rng)[0])
                                       for im in f])
        x = augment.photometric(windows, rng)
        return x.transpose(0, 3, 1, 2), labels, idx, n_syn


class Prefetcher:
    """Builds batches on a background thread (PIL and most numpy ops release the GIL)."""

    def __init__(self, batches: BalancedBatches, start_step: int, depth: int = 3):
        self.q = queue.Queue(depth)
        self.stop = False
        self.thread = threading.Thread(target=self._run, args=(batches, start_step), daemon=True)
        self.thread.start()

    def _run(self, batches, step):
        while not self.stop:
            self.q.put((step, batches.make(step)))
            step += 1

    def get(self):
        return self.q.get()


def split_indices(rows):
    parts = splits.assign(rows)
    train = np.array([i for i, p in enumerate(parts) if p == 'train'], dtype=np.int64)
    val = np.array([i for i, p in enumerate(parts) if p == 'val'], dtype=np.int64)
    return train, val


def read_manifest_paths(manifest: str):
    """The `path` column of a corpus-format manifest (path,label,attack,subject,source,...)."""
    with open(manifest, newline='') as f:
        return {r['path'] for r in csv.DictReader(f)}


class UserBatches:
    """Fine-tuning batches from a user's own rows (`train.py --data`), optionally mixed with base batches.

    User part: half live, half spoof. With live_only the spoof half is made by synthetic.synthesize from the user's
    live crops (no real attacks needed); otherwise from the user's spoof rows. The first `round(batch * mix_base)`
    images of the batch are a BalancedBatches batch of the original training split (replay against forgetting).
    Batch `step` depends only on (seed, step), like BalancedBatches.
    """

    def __init__(self, rows, contexts, user_idx, base_idx, size: int, batch: int, seed: int,
                 live_only: bool = True, mix_base: float = 0.0, synthetic_share: float = 0.35,
                 base_rows=None, base_contexts=None):
        # base_rows/base_contexts: the folder base_idx indexes (--base-prepared), default the same as rows.
        self.contexts, self.size, self.seed, self.live_only = contexts, size, seed, live_only
        self.n_base = int(round(batch * mix_base))
        self.n_user = batch - self.n_base
        self.live = np.array([i for i in user_idx if rows[i]['label'] == 'live'], dtype=np.int64)
        self.spoof = np.array([i for i in user_idx if rows[i]['label'] != 'live'], dtype=np.int64)
        if not len(self.live):
            raise SystemExit('--data: no live rows of the prepared folder are in that manifest')
        if not live_only and not len(self.spoof):
            raise SystemExit('--data has no spoof rows: use --live-only to make synthetic spoofs')
        self.base = (BalancedBatches(base_rows if base_rows is not None else rows,
                                     base_contexts if base_contexts is not None else contexts,
                                     base_idx, size, self.n_base, seed, synthetic_share)
                     if self.n_base else None)

    def make(self, step: int):
        parts = []
        if self.base is not None:
            parts.append(self.base.make(step)[:3])
        rng = np.random.default_rng([self.seed, step, 1])
        half = self.n_user // 2
        n_spoof = self.n_user - half
        live = rng.choice(self.live, half)
        spoof = rng.choice(self.live if self.live_only else self.spoof, n_spoof)
        idx = np.concatenate([live, spoof])
        labels = np.array([0] * half + [1] * n_spoof, np.int64)
        windows = augment.geometric(np.asarray(self.contexts[idx]), self.size, rng)
        n_syn = n_spoof if self.live_only else 0
        if n_syn:
            f = windows[half:].astype(np.float32) / 255
            windows[half:] = np.stack([synthetic.to_uint8(synthetic.synthesize(im, rng)[0])
                                       for im in f])
        x = augment.photometric(windows, rng).transpose(0, 3, 1, 2)
        parts.append((x, labels, idx))
        return (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]),
                np.concatenate([p[2] for p in parts]), n_syn)
