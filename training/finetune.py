"""Fine-tune Silent-Face's released MiniFASNetV2 on a prepared folder (model v3). Resumable after kill -9 (--resume).

  training/.venv/bin/python training/finetune.py --prepared /work/prep/shift27-80 --out training/runs/v3-a \
      --epochs 4 --lr 3e-5 --freeze 2 --threads 1

The crops come from `antispoof prepare` with the crop the card will name (e.g. `--crop-scale 2.7 --crop-mode shift`,
Silent-Face's own window), so training sees what inference sees. Each step draws a source uniformly, then one of its
classes, then an image (web photos, live-only, stay a small share of the live draws). Loss: cross-entropy of live
(logit 1) against the two attack classes summed, plus optional terms: the Fourier head's spectrum MSE (--ft-weight)
and the soft labels of a teacher ensemble (--soft-labels: `antispoof eval --scores` CSV, gated to where it agrees
with the label). Selection uses the selection part of splits.json only: the mean per-source EER over its held-out
sources, every epoch. The test part is never read here.

Writes to --out: log.jsonl (one record per epoch), checkpoint.pt (atomic: every epoch and every
--checkpoint-minutes), epoch-N.pt (weights of each epoch, ~1.8 MB), best.pt (lowest selection mean EER).
"""
import argparse
import csv
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import augment  # noqa: E402
import data  # noqa: E402
import preprocess  # noqa: E402
import splits  # noqa: E402
from model import MiniFASNetV2, create_model, fourier_target, load_silent_face  # noqa: E402
from train import pad_metrics, save_atomic  # noqa: E402
from train import predict_live as train_predict_live  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SILENT_FACE = os.path.join(REPO, '..', 'shared', 'reference', 'silent-face', '2.7_80x80_MiniFASNetV2.pth')
# Silent-Face's input: BGR, 0..255, no mean/std.
CONTRACT_80 = preprocess.Contract(size=80, scale=1.0, channel_order='BGR')
LAYERS = ('conv1', 'conv2_dw', 'conv_23', 'conv_3', 'conv_34', 'conv_4', 'conv_45', 'conv_5', 'conv_6_sep')


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--prepared', required=True)
    p.add_argument('--out', required=True)
    p.add_argument('--init', default=SILENT_FACE, help='released Silent-Face .pth to start from')
    p.add_argument('--epochs', type=int, default=4)
    p.add_argument('--steps-per-epoch', type=int, default=0, help='0: training images / batch')
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--lr', type=float, default=3e-5)
    p.add_argument('--weight-decay', type=float, default=1e-4)
    p.add_argument('--freeze', type=int, default=2, help=f'leading layers kept frozen, of {", ".join(LAYERS)}')
    p.add_argument('--ft-weight', type=float, default=0.0, help='lambda of a fresh Fourier head\'s MSE; 0: no head')
    p.add_argument('--exclude-sources', default='', help='comma list of sources left out of training (e.g. casia,oulu)')
    p.add_argument('--web-live-share', type=float, default=0.2,
                   help='at most this share of the live draws are web photos (celeba, utkface)')
    p.add_argument('--window-scale', type=float, nargs=2, default=(0.85, 1.0), metavar=('LO', 'HI'),
                   help='side of the random training window relative to the prepared crop (at most 1: no padding)')
    p.add_argument('--augment', choices=('light', 'full'), default='light',
                   help='light: flips, brightness, contrast, gamma; full: augment.photometric (+ colour temperature, '
                        'low light, blur, JPEG)')
    p.add_argument('--soft-labels', help='`antispoof eval --scores` CSV whose column --soft-column is the teacher')
    p.add_argument('--soft-column', default='score')
    p.add_argument('--soft-weight', type=float, default=0.5)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--max-minutes', type=float, default=0, help='stop after this wall time (0: no limit)')
    p.add_argument('--checkpoint-minutes', type=float, default=5)
    p.add_argument('--resume', action='store_true')
    return p.parse_args(argv)


class SourceBatches:
    """Batch `step`: each image drawn as source (uniform) -> class (uniform among the source's) -> image; depends
    only on (seed, step), so a resumed run replays the same batches."""

    def __init__(self, rows, train_idx, batch: int, seed: int, web_live_share: float):
        self.batch, self.seed, self.web_live_share = batch, seed, web_live_share
        groups = {}
        for i in train_idx:
            groups.setdefault(rows[i]['source'], {}).setdefault(rows[i]['label'], []).append(i)
        self.web = sorted(s for s in groups if s in splits.WEB_SOURCES)
        self.cams = sorted(s for s in groups if s not in splits.WEB_SOURCES)
        self.groups = {s: {label: np.array(ix) for label, ix in by.items()} for s, by in groups.items()}

    def make(self, step: int):
        rng = np.random.default_rng([self.seed, step])
        idx = np.empty(self.batch, np.int64)
        live = np.empty(self.batch, np.float32)
        for j in range(self.batch):
            source = self.cams[rng.integers(len(self.cams))]
            label = sorted(self.groups[source])[rng.integers(len(self.groups[source]))]
            # Web photos replace a share of the live draws (they are the only faces of many people, but a web
            # photo shortcut must not dominate the live class).
            if label == 'live' and self.web and rng.random() < self.web_live_share:
                source = self.web[rng.integers(len(self.web))]
            pool = self.groups[source][label]
            idx[j] = pool[rng.integers(len(pool))]
            live[j] = 1.0 if label == 'live' else 0.0
        return idx, live, rng


def window(crop: np.ndarray, size: int, rng, scale) -> np.ndarray:
    """Random window of the crop (side scale x crop, shifted anywhere inside it), resized to size, maybe flipped."""
    c = crop.shape[0]
    side = c * rng.uniform(*scale)
    x0, y0 = rng.uniform(0, c - side, 2)
    out = np.asarray(Image.fromarray(crop).resize((size, size), Image.BILINEAR, box=(x0, y0, x0 + side, y0 + side),
                                                  reducing_gap=None))
    return out[:, ::-1] if rng.random() < 0.5 else out


def light_photometric(batch: np.ndarray, rng) -> np.ndarray:
    """(B,H,W,3) uint8 -> float32 in [0,1]: gamma, contrast and brightness jitter only."""
    x = batch.astype(np.float32) / 255.0
    shape = (len(batch), 1, 1, 1)
    x = x ** np.exp(rng.uniform(-0.3, 0.3, shape)).astype(np.float32)
    mean = x.mean(axis=(1, 2, 3), keepdims=True)
    x = (x - mean) * rng.uniform(0.75, 1.25, shape).astype(np.float32) + mean + rng.uniform(-0.1, 0.1, shape).astype(
        np.float32)
    return np.clip(x, 0, 1)


def live_log_probs(logits: torch.Tensor):
    """log P(live) and log P(attack) of 3-class logits (index 1 live, 0 and 2 attacks)."""
    logp = torch.log_softmax(logits, 1)
    return logp[:, 1], torch.logsumexp(logp[:, [0, 2]], 1)


def predict_live(model, crops: np.ndarray) -> np.ndarray:
    """P(live) of uint8 crops, fed as Silent-Face's weights expect (train.predict_live with this contract)."""
    return train_predict_live(model, crops, contract=CONTRACT_80, live_index=MiniFASNetV2.LIVE_INDEX)


def selection_summary(scores, rows):
    """pad_metrics of the selection part, and the mean per-source EER / AUC over its attack-bearing sources."""
    at = pad_metrics(scores, rows)
    judged = {s: m for s, m in at['sources'].items() if s in splits.SELECTION_YARDSTICK and m['eer'] is not None}
    if not judged:
        raise SystemExit('no selection-part source with both labels among the validation rows (splits.json)')
    mean_eer = float(np.mean([m['eer'] for m in judged.values()]))
    mean_auc = float(np.mean([m['auc'] for m in judged.values()]))
    return at, mean_eer, mean_auc


def read_soft_labels(path: str, column: str, rows) -> np.ndarray:
    """Teacher P(live) per prepared row (NaN where the CSV has none), matched by corpus path."""
    with open(path, newline='') as f:
        by_path = {r['path']: r.get(column, '') for r in csv.DictReader(f)}
    out = np.full(len(rows), np.nan, np.float32)
    for i, r in enumerate(rows):
        value = by_path.get(r['path'], '')
        if value not in ('', None):
            out[i] = float(value)
    return out


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    info, rows, crops, _ = data.load_cache(args.prepared)
    size = info['size']
    train_idx, val_idx = data.split_indices(rows)
    excluded = {s for s in args.exclude_sources.split(',') if s}
    train_idx = np.array([i for i in train_idx if rows[i]['source'] not in excluded], np.int64)
    val_rows = [rows[i] for i in val_idx]
    val_crops = np.asarray(crops[val_idx])
    batches = SourceBatches(rows, train_idx, args.batch, args.seed, args.web_live_share)
    steps_per_epoch = args.steps_per_epoch or max(1, len(train_idx) // args.batch)

    soft = None
    if args.soft_labels:
        soft = read_soft_labels(args.soft_labels, args.soft_column, rows)
        label_live = np.array([r['label'] == 'live' for r in rows])
        agree = (soft >= 0.5) == label_live
        soft[~agree] = np.nan  # the teacher's mistakes are not taught
        print(f'soft labels: {int(np.isfinite(soft[train_idx]).sum())} of {len(train_idx)} training rows kept')

    model = create_model('minifasnet_v2', size, fourier_head=args.ft_weight > 0)
    load_silent_face(model, args.init)
    frozen = LAYERS[:args.freeze]
    for name, param in model.named_parameters():
        param.requires_grad = name.split('.')[0] not in frozen
    # Debian's torch 1.13 runs depthwise-conv backward about twice as fast in channels_last on CPU (measured here).
    model = model.to(memory_format=torch.channels_last)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=args.weight_decay)

    ck_path = os.path.join(args.out, 'checkpoint.pt')
    step, best, elapsed = 0, None, 0.0
    if args.resume and os.path.exists(ck_path):
        ck = torch.load(ck_path, map_location='cpu')
        model.load_state_dict(ck['model'])
        opt.load_state_dict(ck['opt'])
        step, best, elapsed = ck['step'], ck['best'], ck['elapsed']
        print(f'resumed at step {step} ({step / steps_per_epoch:.2f} epochs)')
    elif os.path.exists(os.path.join(args.out, 'log.jsonl')):
        os.remove(os.path.join(args.out, 'log.jsonl'))

    started = time.time() - elapsed
    last_save = time.time()

    def checkpoint():
        save_atomic({'model': model.state_dict(), 'opt': opt.state_dict(), 'step': step, 'best': best,
                     'elapsed': time.time() - started, 'args': vars(args), 'size': size,
                     'model_name': 'minifasnet_v2', 'epoch': step // steps_per_epoch}, ck_path)

    total = args.epochs * steps_per_epoch
    seen = 0
    epoch_start = time.time()
    while step < total:
        if args.max_minutes and (time.time() - started) / 60 > args.max_minutes:
            print('wall-time budget spent')
            break
        model.train()
        idx, live, rng = batches.make(step)
        windows = np.stack([window(np.asarray(crops[i]), size, rng, args.window_scale) for i in idx])
        unit = augment.photometric(windows, rng) if args.augment == 'full' else light_photometric(windows, rng)
        unit = unit.transpose(0, 3, 1, 2)
        x = torch.from_numpy(preprocess.from_unit(unit, CONTRACT_80)).contiguous(memory_format=torch.channels_last)
        y = torch.from_numpy(live)
        if model.fourier is not None:
            logits, spectrum = model(x, with_fourier=True)
        else:
            logits = model(x)
        lp_live, lp_spoof = live_log_probs(logits)
        target = y
        if soft is not None:
            teacher = torch.from_numpy(soft[idx])
            has = torch.isfinite(teacher)
            mixed = (1 - args.soft_weight) * y + args.soft_weight * torch.nan_to_num(teacher)
            target = torch.where(has, mixed, y)
        loss = -(target * lp_live + (1 - target) * lp_spoof).mean()
        if model.fourier is not None:
            grid = spectrum.shape[-1]
            loss = loss + args.ft_weight * F.mse_loss(spectrum, fourier_target(torch.from_numpy(unit), grid))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        seen += len(idx)
        if step % 20 == 0:
            print(f'step {step}/{total} loss {loss.item():.4f}', flush=True)
        if time.time() - last_save > args.checkpoint_minutes * 60:
            checkpoint()
            last_save = time.time()
        if step % steps_per_epoch == 0:
            epoch = step // steps_per_epoch
            scores = predict_live(model, val_crops)
            at, mean_eer, mean_auc = selection_summary(scores, val_rows)
            record = {'epoch': epoch, 'step': step, 'selectionMeanEer': mean_eer, 'selectionMeanAuc': mean_auc,
                      'pooledEer': at['pooled']['eer'], 'loss': float(loss.item()),
                      'wallMinutes': (time.time() - started) / 60,
                      'imagesPerSecond': seen / max(1e-9, time.time() - epoch_start),
                      'sources': {s: {k: m[k] for k in ('eer', 'auc', 'bpcer')} for s, m in at['sources'].items()}}
            print(json.dumps({k: v for k, v in record.items() if k != 'sources'}), flush=True)
            with open(os.path.join(args.out, 'log.jsonl'), 'a') as f:
                f.write(json.dumps(record) + '\n')
            weights = {'model': model.state_dict(), 'size': size, 'model_name': 'minifasnet_v2', 'epoch': epoch,
                       'step': step, 'args': vars(args), 'selectionMeanEer': mean_eer}
            save_atomic(weights, os.path.join(args.out, f'epoch-{epoch}.pt'))
            if best is None or mean_eer < best:
                best = mean_eer
                save_atomic(weights, os.path.join(args.out, 'best.pt'))
            checkpoint()
            last_save = time.time()
            seen, epoch_start = 0, time.time()
    checkpoint()


if __name__ == '__main__':
    main()
