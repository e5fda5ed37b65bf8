"""Train the anti-spoofing classifier on a prepared folder. Resumable after kill -9 (--resume).

  training/.venv/bin/python training/train.py --prepared /work/prepared/s80 --out training/runs/main \
      --size 80 --epochs 12 --batch 128 --lr 2e-3 --ft-weight 1.0 --threads 2

Fine-tune on a user's live captures (training/README.md, "Fine-tune on your own live captures"):

  training/.venv/bin/python training/train.py --prepared /tmp/my-prepared --base-prepared /work/prepared/s80 \
      --out training/runs/my-ft --init training/runs/main-ft5/checkpoint.pt --data my.csv --live-only \
      --mix-base 0.5 --epochs 8 --lr 3e-4 --ft-weight 5 --max-minutes 8

Writes to --out: log.jsonl (one JSON object per epoch plus a 'start' record with the loss-term magnitudes),
checkpoint.pt (atomic, every epoch and every --checkpoint-minutes), best.pt (lowest mean per-source validation EER),
val-scores.csv of the last evaluation.
"""
import argparse
import copy
import csv
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import augment  # noqa: E402
import data  # noqa: E402
import metrics  # noqa: E402
import preprocess  # noqa: E402
from model import create_model, fourier_target  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--prepared', required=True)
    p.add_argument('--out', required=True)
    p.add_argument('--model', default='minifasnet_se')
    p.add_argument('--size', type=int, default=80)
    p.add_argument('--epochs', type=int, default=12)
    p.add_argument('--steps-per-epoch', type=int, default=0, help='0: training images / batch (25 with --data)')
    p.add_argument('--batch', type=int, default=128)
    p.add_argument('--lr', type=float, default=2e-3)
    p.add_argument('--weight-decay', type=float, default=0.05)
    p.add_argument('--label-smoothing', type=float, default=0.1)
    p.add_argument('--ft-weight', type=float, default=1.0, help='lambda of the Fourier MSE; 0 disables it')
    p.add_argument('--synthetic-share', type=float, default=0.35, help='share of the spoof half that is synthetic')
    p.add_argument('--scene-share', type=float, default=0.0,
                   help='share of the synthetic attacks that are scene-level (scene.py: a phone, screen, print or ID '
                        'card in front of a room, bezel/edge/fingers in view) instead of texture-level')
    p.add_argument('--tight-share', type=float, default=0.0,
                   help='share of training faces framed as tight-crop sources show them: the face box only, '
                        'reflect-101 padded to the crop (augment.tight_frame)')
    p.add_argument('--window-scale', type=float, nargs=2, default=list(augment.WINDOW_SCALE), metavar=('LO', 'HI'),
                   help='range of the training window side relative to the inference crop; a user\'s detector '
                        'draws other boxes than ours (above ~1.25 the window is clipped to the context crop)')
    p.add_argument('--window-shift', type=float, default=augment.WINDOW_SHIFT,
                   help='largest window shift, as a share of the inference crop side')
    p.add_argument('--ema', type=float, default=0.0,
                   help='validate, keep as best.pt and export an exponential moving average of the weights with this '
                        'decay (e.g. 0.995: ~200 steps); 0 disables it. Averages out the epoch-to-epoch swings of '
                        'small held-out sources')
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--max-minutes', type=float, default=0,
                   help='wall-time budget: the cosine schedule follows max(step share, time share) and training stops '
                        'when either runs out, so a run on a busy machine still anneals (not bit-reproducible then)')
    p.add_argument('--checkpoint-minutes', type=float, default=5)
    p.add_argument('--resume', action='store_true')
    p.add_argument('--init', help='start from this checkpoint\'s weights (fresh optimizer and schedule); '
                                  '--resume of the new run takes precedence')
    p.add_argument('--data', help='train only on the prepared rows whose path is in this corpus-format manifest '
                                  '(path,label,...); those rows are left out of validation')
    p.add_argument('--live-only', action='store_true',
                   help='with --data: use only its live rows; the spoof half is synthetic print/replay of them')
    p.add_argument('--mix-base', type=float, default=0.0,
                   help='with --data: this share of every batch is drawn from the original training split as before')
    p.add_argument('--teacher', help='distil from this checkpoint (e.g. a larger model trained on the same split): '
                                     '+ distill-weight x T^2 x KL(teacher/T || student/T) on every batch')
    p.add_argument('--distill-weight', type=float, default=1.0)
    p.add_argument('--distill-temperature', type=float, default=2.0)
    p.add_argument('--mixstyle', type=float, default=0.0,
                   help='probability of MixStyle (feature-statistics mixing across the batch) after the stem and '
                        'after stage1, per batch; 0 disables it')
    p.add_argument('--soft-labels',
                   help='CSV from soft_labels.py (path, logit_live, logit_spoof of another model on the training '
                        'crops): + soft-weight x T^2 x KL(its logits/T || student/T) on the real images of a batch')
    p.add_argument('--soft-weight', type=float, default=0.5)
    p.add_argument('--soft-temperature', type=float, default=2.0)
    p.add_argument('--soft-gate', choices=['none', 'agree'], default='none',
                   help='agree: keep a soft label only where the teacher\'s argmax matches the hard label, so its '
                        'mistakes (attacks it calls live in rooms it never saw) are not taught')
    p.add_argument('--base-prepared',
                   help='with --data: a second prepared folder (the corpus) for the --mix-base replay and for '
                        'validation, when --prepared holds only your own captures')
    return p.parse_args(argv)


def lr_at(step: int, progress: float, base: float, warmup: int) -> float:
    """Linear warmup over `warmup` steps, then cosine to zero as progress (0..1) runs out."""
    if step < warmup:
        return base * (step + 1) / warmup
    return base * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def save_atomic(obj, path: str):
    tmp = path + '.tmp'
    torch.save(obj, tmp)
    os.replace(tmp, path)


@torch.no_grad()
def predict_live(model, crops: np.ndarray, batch: int = 256, contract=None, live_index: int = 0) -> np.ndarray:
    """P(live) for (n,S,S,3) uint8 crops: the inference input (preprocess.to_input; default contract pixel / 255),
    softmax read at `live_index` (0 for our [live, spoof] models, 1 for Silent-Face's three classes)."""
    contract = contract or preprocess.DEFAULT_FOR(crops.shape[1])
    model.eval()
    out = []
    for i in range(0, len(crops), batch):
        x = torch.from_numpy(preprocess.to_input(np.asarray(crops[i:i + batch]), contract))
        x = x.contiguous(memory_format=torch.channels_last)
        out.append(torch.softmax(model(x), 1)[:, live_index].numpy())
    return np.concatenate(out) if out else np.zeros(0)


def pad_metrics(scores, rows, threshold: float = 0.5):
    """Pooled and per-source ISO/IEC 30107-3 metrics (training/metrics.py) of P(live) scores."""
    def summarise(sel):
        live = [float(scores[i]) for i in sel if rows[i]['label'] == 'live']
        spoof = {}
        for i in sel:
            if rows[i]['label'] != 'live':
                spoof.setdefault(rows[i]['attack'], []).append(float(scores[i]))
        m = metrics.evaluate(live, spoof, threshold)
        return {k: m[k] for k in ('n', 'nLive', 'nSpoof', 'apcer', 'bpcer', 'acer', 'eer', 'auc', 'bpcer20')}
    everything = list(range(len(rows)))
    per_source = {}
    for i, r in enumerate(rows):
        per_source.setdefault(r['source'], []).append(i)
    sources = {s: summarise(v) for s, v in sorted(per_source.items())}
    # The yardstick's summary (bench/yardstick.ts): each camera source counts once, whatever its size.
    judged = [m for m in sources.values() if m['eer'] is not None]
    mean = {'eer': float(np.mean([m['eer'] for m in judged])) if judged else None,
            'auc': float(np.mean([m['auc'] for m in judged])) if judged else None, 'sources': len(judged)}
    return {'pooled': summarise(everything), 'meanPerSource': mean, 'sources': sources}


def read_soft_labels(path: str, rows, train_idx) -> np.ndarray:
    """(n_rows, 2) float32 teacher logits aligned with rows; NaN where the file has none (validation rows always)."""
    with open(path, newline='') as f:
        table = {r['path']: (float(r['logit_live']), float(r['logit_spoof'])) for r in csv.DictReader(f)}
    out = np.full((len(rows), 2), np.nan, np.float32)
    train = set(int(i) for i in train_idx)
    for i, r in enumerate(rows):
        if i in train and r['path'] in table:
            out[i] = table[r['path']]
    covered = int(np.isfinite(out[:, 0]).sum())
    print(f'--soft-labels {path}: {covered} of {len(train)} training rows', flush=True)
    if covered < 0.9 * len(train):
        raise SystemExit('--soft-labels covers under 90% of the training rows: made from another corpus or split?')
    return out


def gate_soft_labels(table: np.ndarray, rows) -> np.ndarray:
    """A copy of table with NaN where the teacher's argmax disagrees with the row's hard label; prints what is kept."""
    out = table.copy()
    kept, had = 0, 0
    for i, r in enumerate(rows):
        if not np.isfinite(out[i, 0]):
            continue
        had += 1
        says_live = out[i, 0] > out[i, 1]
        if says_live != (r['label'] == 'live'):
            out[i] = np.nan
        else:
            kept += 1
    print(f'--soft-gate agree: kept {kept} of {had} soft labels (the teacher agrees with the hard label)', flush=True)
    return out


def soft_label_loss(logits, soft_logits: np.ndarray, idx, n_syn: int, temperature: float):
    """T^2 x KL(teacher/T || student/T), averaged over the batch rows that have a soft label.

    Synthetic attacks sit at the end of a batch and are made from live rows, whose soft label says live: they are
    left out, as are rows without one (NaN).
    """
    target = soft_logits[np.asarray(idx)[:len(idx) - n_syn]]
    keep = torch.from_numpy(np.flatnonzero(np.isfinite(target[:, 0])))
    if not len(keep):
        return logits.new_zeros(())
    t = temperature
    soft = F.softmax(torch.from_numpy(target)[keep] / t, 1)
    return t * t * F.kl_div(F.log_softmax(logits[keep] / t, 1), soft, reduction='batchmean')


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    ckpt_path = os.path.join(args.out, 'checkpoint.pt')
    log_path = os.path.join(args.out, 'log.jsonl')

    info, rows, crops, contexts = data.load_cache(args.prepared)
    if info['size'] != args.size:
        raise SystemExit(f'--size {args.size} but {args.prepared} holds {info["size"]} px crops')
    # The input contract (preprocess.py) export.py writes into the card: the default, identity on [0,1] batches.
    contract = preprocess.DEFAULT_FOR(args.size, info.get('cropScale'))
    train_idx, val_idx = data.split_indices(rows)
    base_idx = train_idx
    if args.data:
        wanted = data.read_manifest_paths(args.data)
        user = np.array([i for i, r in enumerate(rows) if r['path'] in wanted], dtype=np.int64)
        print(f'--data {args.data}: {len(user)} of {len(wanted)} manifest rows are in {args.prepared} '
              f'({sum(rows[i]["label"] == "live" for i in user)} live)', flush=True)
        if not len(user):
            raise SystemExit('--data: no row of the prepared folder is in that manifest (compare the path columns)')
        val_idx = np.setdiff1d(val_idx, user)
        base_idx = np.setdiff1d(base_idx, user)
        train_idx = user[[rows[i]['label'] == 'live' for i in user]] if args.live_only else user
    elif args.live_only or args.mix_base:
        raise SystemExit('--live-only and --mix-base need --data')
    if args.soft_labels and args.data:
        raise SystemExit('--soft-labels works on the corpus training split, not with --data')
    soft_logits = read_soft_labels(args.soft_labels, rows, train_idx) if args.soft_labels else None
    if soft_logits is not None and args.soft_gate == 'agree':
        soft_logits = gate_soft_labels(soft_logits, rows)
    base_rows, base_contexts = rows, contexts
    if args.data and args.base_prepared:
        binfo, base_rows, bcrops, base_contexts = data.load_cache(args.base_prepared)
        if (binfo['size'], binfo['contextSize']) != (info['size'], info['contextSize']):
            raise SystemExit(f'--base-prepared is {binfo["size"]}/{binfo["contextSize"]} px, --prepared '
                             f'{info["size"]}/{info["contextSize"]} px')
        base_idx, bval = data.split_indices(base_rows)
        theirs = {r['path'] for r in base_rows}
        base_idx = np.array([i for i in base_idx if base_rows[i]['path'] not in wanted], dtype=np.int64)
        bval = np.array([i for i in bval if base_rows[i]['path'] not in wanted], dtype=np.int64)
        val_idx = np.array([i for i in val_idx if rows[i]['path'] not in theirs], dtype=np.int64)
    elif args.base_prepared:
        raise SystemExit('--base-prepared needs --data')
    if args.mix_base and not len(base_idx):
        raise SystemExit('--mix-base: no rows of the original training split (pass --base-prepared CORPUS_FOLDER)')
    val_rows = [rows[i] for i in val_idx]
    val_crops = np.asarray(crops[val_idx])
    if args.base_prepared:  # the corpus validation split first, then any of --prepared's own not in the corpus
        val_rows = [base_rows[i] for i in bval] + val_rows
        val_crops = np.concatenate([np.asarray(bcrops[bval]), val_crops])
    # A user's few hundred frames would make 1-step epochs: with --data an epoch is 25 steps unless set.
    steps_per_epoch = args.steps_per_epoch or (25 if args.data else len(train_idx) // args.batch)
    total_steps = steps_per_epoch * args.epochs
    warmup = min(100, max(1, total_steps // 30))
    if args.init:
        warmup = min(warmup, 10)  # the weights are trained already: a short ramp for the fresh AdamW moments

    torch.manual_seed(args.seed)
    random.seed(args.seed)
    model = create_model(args.model, args.size, fourier_head=args.ft_weight > 0, mixstyle=args.mixstyle)
    model = model.to(memory_format=torch.channels_last)
    decay = [p for n, p in model.named_parameters() if p.ndim > 1]
    no_decay = [p for n, p in model.named_parameters() if p.ndim <= 1]
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': args.weight_decay},
                             {'params': no_decay, 'weight_decay': 0.0}], lr=args.lr)
    step, epoch, best_eer, wall_before = 0, 0, float('inf'), 0.0
    ema = copy.deepcopy(model).eval() if args.ema > 0 else None
    if args.resume and os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path)
        model.load_state_dict(ck['model'])
        if ema is not None:
            ema.load_state_dict(ck['ema'] if 'ema' in ck else ck['model'])
        opt.load_state_dict(ck['optimizer'])
        step, epoch, best_eer, wall_before = ck['step'], ck['epoch'], ck['best_eer'], ck['wall_seconds']
        torch.set_rng_state(ck['torch_rng'])
        random.setstate(ck['python_rng'])
        print(f'resumed at epoch {epoch} step {step}', flush=True)
    else:
        if os.path.exists(log_path):
            os.replace(log_path, log_path + '.old')
        if args.init:
            ck = torch.load(args.init, map_location='cpu')
            if ck.get('model_name', args.model) != args.model or ck.get('size', args.size) != args.size:
                raise SystemExit(f'--init {args.init} is {ck.get("model_name")} at {ck.get("size")} px')
            state = ck['model']
            if args.ft_weight <= 0:
                state = {k: v for k, v in state.items() if not k.startswith('fourier.')}
            missing, unexpected = model.load_state_dict(state, strict=False)
            if unexpected or [k for k in missing if not k.startswith('fourier.')]:
                raise SystemExit(f'--init: missing {missing} unexpected {unexpected}')
            print(f'initialised from {args.init} (epoch {ck.get("epoch")}, step {ck.get("step")})'
                  + (f'; fresh Fourier head: {len(missing)} tensors' if missing else ''), flush=True)

    if args.data:
        batches = data.UserBatches(rows, contexts, train_idx, base_idx, args.size, args.batch, args.seed,
                                   args.live_only, args.mix_base, args.synthetic_share,
                                   base_rows=base_rows, base_contexts=base_contexts)
    else:
        batches = data.BalancedBatches(rows, contexts, train_idx, args.size, args.batch, args.seed,
                                       args.synthetic_share, scene_share=args.scene_share,
                                       window_scale=args.window_scale, window_shift=args.window_shift,
                                       tight_share=args.tight_share)
    prefetch = data.Prefetcher(batches, step)
    grid = args.size // 4
    t_start = time.time()

    def wall():
        return wall_before + time.time() - t_start

    def progress():
        share = step / total_steps
        return max(share, wall() / (args.max_minutes * 60)) if args.max_minutes else share

    @torch.no_grad()
    def update_ema():
        # Bias towards the live weights early on, so the first steps' random weights do not linger in the average.
        decay = min(args.ema, (1 + step) / (10 + step))
        for averaged, current in zip(ema.parameters(), model.parameters()):
            averaged.mul_(decay).add_(current.detach(), alpha=1 - decay)
        for averaged, current in zip(ema.buffers(), model.buffers()):
            averaged.copy_(current)

    def checkpoint():
        save_atomic({'model': model.state_dict(), 'optimizer': opt.state_dict(), 'step': step, 'epoch': epoch,
                     **({'ema': ema.state_dict()} if ema is not None else {}),
                     'best_eer': best_eer, 'wall_seconds': wall(), 'torch_rng': torch.get_rng_state(),
                     'python_rng': random.getstate(), 'args': vars(args), 'size': args.size,
                     'model_name': args.model}, ckpt_path)

    def log(record):
        with open(log_path, 'a') as f:
            f.write(json.dumps(record) + '\n')

    teacher = None
    if args.teacher:
        tck = torch.load(args.teacher, map_location='cpu')
        if tck['size'] != args.size:
            raise SystemExit(f'--teacher {args.teacher} is {tck["size"]} px, not {args.size}')
        teacher = create_model(tck['model_name'], tck['size'], fourier_head=False)
        teacher.load_state_dict({k: v for k, v in tck['model'].items() if not k.startswith('fourier.')})
        teacher = teacher.to(memory_format=torch.channels_last).eval()
        print(f'distilling from {args.teacher} ({tck["model_name"]}, epoch {tck.get("epoch")})', flush=True)

    def tensors(xb):
        """Batch of [0,1] floats -> (model input by the contract, the [0,1] batch the Fourier target reads)."""
        unit = torch.from_numpy(xb).contiguous(memory_format=torch.channels_last)
        return torch.from_numpy(preprocess.from_unit(xb, contract)).contiguous(memory_format=torch.channels_last), unit

    def losses(x, unit, y, idx, n_syn):
        if args.ft_weight > 0:
            logits, spec = model(x, with_fourier=True)
            ft = F.mse_loss(spec, fourier_target(unit, grid))
        else:
            logits, ft = model(x), torch.zeros(())
        ce = F.cross_entropy(logits, y, label_smoothing=args.label_smoothing)
        if teacher is not None:
            t = args.distill_temperature
            with torch.no_grad():
                soft = F.softmax(teacher(x) / t, 1)
            ce = ce + args.distill_weight * t * t * F.kl_div(F.log_softmax(logits / t, 1), soft, reduction='batchmean')
        if soft_logits is not None:
            ce = ce + args.soft_weight * soft_label_loss(logits, soft_logits, idx, n_syn, args.soft_temperature)
        return ce, ft

    if step == 0:
        # Loss-term magnitudes at the start: the FT term must carry real gradient into the shared layers.
        xb, yb, ib, nb = batches.make(0)
        (x, unit), y = tensors(xb), torch.from_numpy(yb)
        model.train()
        shared = [p for n, p in model.named_parameters() if n.startswith(('stem.', 'stage1.'))]
        ce, ft = losses(x, unit, y, ib, nb)
        g_ce = torch.autograd.grad(ce, shared, retain_graph=True)
        norm_ce = float(torch.sqrt(sum((g ** 2).sum() for g in g_ce)))
        start = {'start': True, 'ce': float(ce), 'ft_mse': float(ft), 'ft_weight': args.ft_weight,
                 'grad_norm_ce_shared': norm_ce, 'train_images': len(train_idx), 'val_images': len(val_idx),
                 'steps_per_epoch': steps_per_epoch, 'total_steps': total_steps}
        if args.ft_weight > 0:
            g_ft = torch.autograd.grad(ft, shared)
            norm_ft = float(torch.sqrt(sum((g ** 2).sum() for g in g_ft)))
            start.update(grad_norm_ft_shared=norm_ft,
                         ratio_weighted_ft_to_ce_loss=args.ft_weight * float(ft) / float(ce),
                         ratio_weighted_ft_to_ce_grad=args.ft_weight * norm_ft / norm_ce)
        print(json.dumps(start), flush=True)
        log(start)
        opt.zero_grad(set_to_none=True)

    last_ckpt = time.time()
    stopped = False
    # A time-based checkpoint can land after an epoch's last step but before its validation; a run resumed from it
    # must still validate and log that epoch, even when the time budget is already spent.
    while epoch < args.epochs and not stopped and (progress() < 1 or step > epoch * steps_per_epoch):
        model.train()
        sums = {'ce': 0.0, 'ft': 0.0, 'n': 0}
        t_epoch, seen = time.time(), 0
        lr = lr_at(step, progress(), args.lr, warmup)
        while step < (epoch + 1) * steps_per_epoch:
            s, (xb, yb, ib, nb) = prefetch.get()
            assert s == step, (s, step)
            (x, unit), y = tensors(xb), torch.from_numpy(yb)
            lr = lr_at(step, progress(), args.lr, warmup)
            for g in opt.param_groups:
                g['lr'] = lr
            ce, ft = losses(x, unit, y, ib, nb)
            loss = ce + args.ft_weight * ft
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            if ema is not None:
                update_ema()
            seen += len(yb)
            sums['ce'] += float(ce)
            sums['ft'] += float(ft)
            sums['n'] += 1
            if step % 10 == 0:
                ips = seen / (time.time() - t_epoch)
                print(f'epoch {epoch + 1}/{args.epochs} step {step}/{total_steps} ce {sums["ce"] / sums["n"]:.4f} '
                      f'ft {sums["ft"] / sums["n"]:.4f} lr {lr:.2e} {ips:.0f} img/s', flush=True)
            if time.time() - last_ckpt > args.checkpoint_minutes * 60:
                checkpoint()
                last_ckpt = time.time()
            if progress() >= 1:
                stopped = True
                break
        ips = seen / max(1e-9, time.time() - t_epoch)
        if not len(val_rows):
            # A --data run on a prepared folder of the user's own captures only: nothing held out to validate on.
            epoch += 1
            log({'epoch': epoch, 'step': step, 'ce': sums['ce'] / max(1, sums['n']),
                 'ft': sums['ft'] / max(1, sums['n']), 'lr': lr, 'imagesPerSecond': ips, 'wallMinutes': wall() / 60,
                 'partial': step != epoch * steps_per_epoch, 'val': None})
            print(f'== epoch {epoch} ce {sums["ce"] / max(1, sums["n"]):.4f} (no validation rows)', flush=True)
            checkpoint()
            last_ckpt = time.time()
            continue
        judged = ema if ema is not None else model
        scores = predict_live(judged, val_crops, contract=contract)
        val = pad_metrics(scores, val_rows)
        finished_epoch = step == (epoch + 1) * steps_per_epoch
        epoch += 1
        record = {'epoch': epoch, 'step': step, 'ce': sums['ce'] / max(1, sums['n']),
                  'ft': sums['ft'] / max(1, sums['n']), 'lr': lr, 'imagesPerSecond': ips,
                  'wallMinutes': wall() / 60, 'partial': not finished_epoch, 'val': val}
        log(record)
        eer = val['meanPerSource']['eer']
        p = val['pooled']
        def f4(value):
            return 'n/a' if value is None else f'{value:.4f}'
        print(f'== epoch {epoch} ce {record["ce"]:.4f} ft {record["ft"]:.4f} val mean per-source eer {f4(eer)} '
              f'auc {f4(val["meanPerSource"]["auc"])}, pooled eer {f4(p["eer"])} auc {f4(p["auc"])} '
              f'| ' + ' '.join(f'{s}:{m["eer"]:.3f}' if m['eer'] is not None else f'{s}:bpcer {m["bpcer"]:.3f}'
                               for s, m in val['sources'].items()), flush=True)
        with open(os.path.join(args.out, 'val-scores.csv.tmp'), 'w') as f:
            f.write('path,source,label,attack,score\n')
            for r, sc in zip(val_rows, scores):
                f.write(f'{r["path"]},{r["source"]},{r["label"]},{r["attack"]},{sc:.6f}\n')
        os.replace(os.path.join(args.out, 'val-scores.csv.tmp'), os.path.join(args.out, 'val-scores.csv'))
        if eer is not None and eer < best_eer:
            best_eer = eer
            save_atomic({'model': judged.state_dict(), 'epoch': epoch, 'args': vars(args), 'size': args.size,
                         'model_name': args.model, 'val': val}, os.path.join(args.out, 'best.pt'))
        checkpoint()
        last_ckpt = time.time()
    prefetch.stop = True
    print(f'done: epoch {epoch}, {wall() / 60:.1f} min', flush=True)


if __name__ == '__main__':
    main()
