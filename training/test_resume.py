#!/usr/bin/env python3
"""Kill -9 / resume test of train.py (issue "Hostile input and faults").

Builds a tiny synthetic prepared folder (16 px random textures, train and validation sources, both labels) in a temp
dir, starts train.py with frequent checkpoints, SIGKILLs it at seeded random points after the first checkpoint
exists, resumes it with --resume each time, and checks:

  * every resumed run starts from the saved checkpoint (its 'resumed at epoch E step S' equals the checkpoint that
    was on disk at the kill, S > 0), logs no second 'start' record, and log.jsonl is not rotated away;
  * the run finishes: the final checkpoint.pt loads with torch.load at epoch == --epochs, step == total steps, and
    holds the --ema averaged weights (restored on every resume) apart from the live ones;
  * every line of log.jsonl parses as JSON; every epoch 1..E has a record, epochs never go backwards;
  * no *.tmp file is left in the output or prepared folder; best.pt loads; val-scores.csv is complete.

Epoch records written twice (a kill after the epoch's log line but before its checkpoint) are reported, not failed.

  training/.venv/bin/python training/test_resume.py [--seed N] [--kills 2] [--keep]

Exit 0 on success; 1 with 'FAIL: ...' otherwise. Standard library + numpy + PIL + torch only.
"""
import argparse
import csv
import glob
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
import torch
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
TRAIN = os.path.join(HERE, 'train.py')
SIZE = 16                     # smallest size the model accepts (multiple of 16)
CONTEXT = round(1.25 * SIZE)  # what `antispoof prepare` writes (prepare.json contextSize)
BATCH = 8
STEPS_PER_EPOCH = 8
EPOCHS = 6
TOTAL_STEPS = STEPS_PER_EPOCH * EPOCHS
RUN_TIMEOUT_S = 90

# (source, label, attack, images): webcam-apfol and webcam-trickyf0x are validation sources in splits.py;
# celeba live photos feed the synthetic spoofs; webcam-testcam is an ordinary training source.
SOURCES = [
    ('celeba', 'live', 'none', 24),
    ('webcam-testcam', 'live', 'none', 20),
    ('webcam-testcam', 'spoof', 'replay', 20),
    ('webcam-printcam', 'spoof', 'print', 16),
    ('webcam-apfol', 'live', 'none', 10),
    ('webcam-apfol', 'spoof', 'replay', 10),
    ('webcam-trickyf0x', 'live', 'none', 6),
    ('webcam-trickyf0x', 'spoof', 'replay', 6),
]


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def texture(rng, n, live):
    """Random smooth texture (live) or a striped one (spoof), uint8 n x n x 3."""
    k = rng.integers(2, 6)
    low = rng.random((k, k, 3)).astype(np.float32)
    img = np.asarray(Image.fromarray((low * 255).astype(np.uint8)).resize((n, n), Image.BILINEAR), np.float32)
    img += rng.normal(0, 12, img.shape)
    if not live:
        img[::2] *= 0.7
    return np.clip(img, 0, 255).astype(np.uint8)


def make_prepared(folder, rng):
    os.makedirs(os.path.join(folder, 'crops'))
    os.makedirs(os.path.join(folder, 'contexts'))
    cols = ['path', 'label', 'attack', 'subject', 'source', 'framing', 'status', 'crop', 'context',
            'box_x', 'box_y', 'box_w', 'box_h', 'det_score', 'error']
    rows, i = [], 0
    for source, label, attack, count in SOURCES:
        for _ in range(count):
            ctx = texture(rng, CONTEXT, label == 'live')
            off = (CONTEXT - SIZE) // 2
            crop, context = f'crops/{i:04d}.png', f'contexts/{i:04d}.png'
            Image.fromarray(np.ascontiguousarray(ctx[off:off + SIZE, off:off + SIZE])).save(os.path.join(folder, crop))
            Image.fromarray(ctx).save(os.path.join(folder, context))
            subject = f'{source}-s{i % 7}' if source != 'celeba' else f'celeba-{i}'
            rows.append({'path': f'/corpus/{source}/{i:04d}.jpg', 'label': label, 'attack': attack,
                         'subject': subject, 'source': source, 'framing': 'face', 'status': 'ok', 'crop': crop,
                         'context': context, 'box_x': 10, 'box_y': 10, 'box_w': 40, 'box_h': 40, 'det_score': 0.99,
                         'error': ''})
            i += 1
    # One failed row: train.py must skip it.
    rows.append({c: '' for c in cols} | {'path': '/corpus/broken.jpg', 'label': 'live', 'source': 'celeba',
                                         'status': 'error', 'error': 'no face'})
    with open(os.path.join(folder, 'prepared.csv'), 'w', newline='') as f:
        w = csv.DictWriter(f, cols)
        w.writeheader()
        w.writerows(rows)
    with open(os.path.join(folder, 'prepare.json'), 'w') as f:
        json.dump({'size': SIZE, 'contextSize': CONTEXT, 'cropScale': 1.0, 'contextScale': 1.25}, f)
    sys.path.insert(0, HERE)
    import splits  # noqa: E402
    ok = [r for r in rows if r['status'] == 'ok']
    parts = splits.assign(ok)
    n_val = parts.count('val')
    n_train = parts.count('train')
    check(n_val and n_train >= STEPS_PER_EPOCH, f'synthetic split is degenerate: {n_train} train / {n_val} val')
    return n_train, n_val


def train_cmd(prepared, out, resume):
    cmd = [sys.executable, TRAIN, '--prepared', prepared, '--out', out, '--size', str(SIZE),
           '--epochs', str(EPOCHS), '--steps-per-epoch', str(STEPS_PER_EPOCH), '--batch', str(BATCH),
           '--lr', '1e-3', '--ft-weight', '1.0', '--threads', '1', '--seed', '0',
           '--ema', '0.9',  # the averaged weights must survive kills too
           '--checkpoint-minutes', '0.0005']  # ~30 ms: a mid-epoch checkpoint after nearly every step
    return cmd + (['--resume'] if resume else [])


class Run:
    """train.py in a subprocess; stdout collected line by line on a thread."""

    def __init__(self, cmd):
        self.lines = []
        self.t0 = time.time()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     cwd=os.path.dirname(HERE), start_new_session=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip('\n'))

    def wait(self, timeout):
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise Fail(f'train.py did not finish within {timeout} s; last output:\n' + '\n'.join(self.lines[-15:]))
        self.reader.join(5)
        return self.proc.returncode

    def kill(self):
        os.killpg(self.proc.pid, signal.SIGKILL)  # its own session: the process and nothing else
        self.proc.wait()
        self.reader.join(5)

    def output(self):
        return '\n'.join(self.lines)


def read_ckpt(path):
    ck = torch.load(path, map_location='cpu')
    return ck['epoch'], ck['step']


def run_until_killed(cmd, ckpt_path, rng, min_step, boundary=False):
    """Start train.py and SIGKILL it at a seeded random point: once the checkpoint on disk reaches a random target
    step >= min_step (checkpoints land after nearly every step), wait a random 0..2 step-times more, so the kill
    falls anywhere in the step loop, validation, log or checkpoint writes. Returns (run, killed?).

    boundary: instead kill the moment the checkpoint on disk is the timed one written after the last step of an
    epoch (step == (epoch + 1) * steps per epoch), i.e. while that epoch is being validated, before its epoch-end
    checkpoint. The window is short; if it is missed at every epoch the run finishes and (run, False) comes back."""
    target = rng.randint(min_step, max(min_step, min_step + (TOTAL_STEPS - min_step) // 2))
    run = Run(cmd)
    deadline = time.time() + RUN_TIMEOUT_S
    seen, step_time, mtime = None, 0.1, None
    while time.time() < deadline and run.proc.poll() is None:
        ck = None
        try:
            m = os.stat(ckpt_path).st_mtime_ns
            if m != mtime:
                ck = read_ckpt(ckpt_path)
                mtime = m
        except Exception:  # absent, or replaced while being read (os.replace is atomic): poll again
            pass
        if ck is not None:
            epoch, step = ck
            if boundary:
                if step >= min_step and step == (epoch + 1) * STEPS_PER_EPOCH:
                    seen = (time.time(), step)
                    run.kill()
                    return run, True
            else:
                now = time.time()
                if seen and step > seen[1]:
                    step_time = (now - seen[0]) / (step - seen[1])
                if not seen or step != seen[1]:
                    seen = (now, step)
                if step >= target:
                    break
        time.sleep(0.002 if boundary else 0.01)
    if run.proc.poll() is not None:
        return run, False
    check(not boundary and seen is not None and seen[1] >= target,
          f'no checkpoint at step >= {target} within {RUN_TIMEOUT_S} s:\n' + run.output())
    time.sleep(rng.uniform(0, 2) * step_time)
    if run.proc.poll() is not None:
        return run, False
    run.kill()
    return run, True


def parse_log(log_path):
    with open(log_path, 'rb') as f:
        raw = f.read()
    records, bad = [], []
    lines = raw.split(b'\n')
    if lines and lines[-1] == b'':
        lines.pop()
    elif lines:
        bad.append(('unterminated last line', lines[-1][:80]))
    for n, line in enumerate(lines, 1):
        try:
            records.append(json.loads(line))
        except ValueError:
            bad.append((f'line {n}', line[:80]))
    return records, bad


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--kills', type=int, default=2)
    ap.add_argument('--keep', action='store_true', help='keep the temp folder')
    ap.add_argument('--no-boundary-kill', dest='boundary_kill', action='store_false',
                    help='make the last kill random too, not the targeted one during an epoch\'s validation')
    args = ap.parse_args()
    t0 = time.time()
    rng = random.Random(args.seed)
    tmp = tempfile.mkdtemp(prefix='antispoof-resume-')
    prepared, out = os.path.join(tmp, 'prepared'), os.path.join(tmp, 'out')
    ckpt_path, log_path = os.path.join(out, 'checkpoint.pt'), os.path.join(out, 'log.jsonl')
    notes = []
    try:
        n_train, n_val = make_prepared(prepared, np.random.default_rng(args.seed))
        kills, resumes = [], []
        min_step = 1
        for k in range(args.kills + 1):
            resume = k > 0
            if k < args.kills:
                boundary = args.boundary_kill and k == args.kills - 1
                run, killed = run_until_killed(train_cmd(prepared, out, resume), ckpt_path, rng, min_step, boundary)

            else:
                run, killed = Run(train_cmd(prepared, out, resume)), False
            if not killed:
                rc = run.wait(RUN_TIMEOUT_S)
                hint = ''
                last = kills[-1]['ckpt'] if resume and kills else None
                if last and last[1] == (last[0] + 1) * STEPS_PER_EPOCH:
                    hint = (f'\n(train.py resumed from the checkpoint written after the last step of epoch '
                            f'{last[0] + 1} but before that epoch was validated and logged ({kills[-1]["kind"]} kill): '
                            f'checkpoint epoch {last[0]}, step {last[1]} = '
                            f'(epoch + 1) * steps per epoch. The epoch loop must validate/log that epoch without '
                            f'running a step; every further --resume fails the same way.)')
                check(rc == 0, f'train.py exited {rc} (run {k + 1}, resume={resume}):\n' + run.output()[-3000:] + hint)
                if k < args.kills and boundary:
                    notes.append('the epoch-boundary kill missed its window at every epoch (not tested this time)')
            text = run.output()
            if resume:
                m = re.search(r'resumed at epoch (\d+) step (\d+)', text)
                check(m, f'run {k + 1} with --resume did not resume from the checkpoint:\n' + text[-2000:])
                got = (int(m.group(1)), int(m.group(2)))
                check(got == kills[-1]['ckpt'], f'run {k + 1} resumed at epoch/step {got} but the checkpoint on '
                                                f'disk at the kill was {kills[-1]["ckpt"]}')
                check(got[1] > 0, f'run {k + 1} resumed at step 0')
                check('"start": true' not in text, f'run {k + 1} redid the step-0 start record after resume')
                resumes.append(got)
            if killed:
                check(os.path.exists(ckpt_path), 'killed after a checkpoint existed, but checkpoint.pt is gone')
                try:
                    ck = read_ckpt(ckpt_path)
                except Exception as e:
                    raise Fail(f'checkpoint.pt left by the kill does not load: {e!r}')
                left = sorted(os.path.basename(p) for p in glob.glob(os.path.join(out, '*.tmp*')))
                if left:
                    notes.append(f'kill {k + 1} left {",".join(left)} (overwritten later)')
                kills.append({'ckpt': ck, 'after_s': time.time() - run.t0,
                              'kind': 'epoch-boundary' if boundary else 'random'})
                # The next kill must come after progress beyond this checkpoint.
                min_step = ck[1] + 1
                if min_step > TOTAL_STEPS:
                    notes.append('the run reached its last step before the second kill')
                    break
            else:
                if k < args.kills:
                    notes.append(f'run {k + 1} finished before its kill point')
                break

        # Final state.
        try:
            final = torch.load(ckpt_path, map_location='cpu')
        except Exception as e:
            raise Fail(f'final checkpoint.pt does not load: {e!r}')
        check((final['epoch'], final['step']) == (EPOCHS, TOTAL_STEPS),
              f'final checkpoint at epoch {final["epoch"]} step {final["step"]}, want {EPOCHS} / {TOTAL_STEPS}')
        check('ema' in final and final['ema'].keys() == final['model'].keys(),
              'final checkpoint.pt has no averaged weights (--ema) next to the model')
        moved = [k for k, v in final['ema'].items() if v.is_floating_point() and not torch.equal(v, final['model'][k])]
        check(moved, '--ema weights equal the live weights: nothing was averaged')
        check(os.path.exists(os.path.join(out, 'best.pt')), 'best.pt missing')
        try:
            torch.load(os.path.join(out, 'best.pt'), map_location='cpu')
        except Exception as e:
            raise Fail(f'best.pt does not load: {e!r}')
        with open(os.path.join(out, 'val-scores.csv')) as f:
            vs = list(csv.DictReader(f))
        check(len(vs) == n_val, f'val-scores.csv has {len(vs)} rows, want {n_val}')
        left = [os.path.relpath(p, tmp) for p in glob.glob(os.path.join(tmp, '**', '*.tmp*'), recursive=True)]
        check(not left, f'temporary files left behind: {left}')
        check(not os.path.exists(log_path + '.old'), 'log.jsonl was rotated to log.jsonl.old by a resumed run')

        records, bad = parse_log(log_path)
        check(not bad, f'log.jsonl has lines that do not parse: {bad}')
        starts = [r for r in records if r.get('start')]
        check(len(starts) == 1, f'log.jsonl has {len(starts)} start records, want 1')
        epochs = [r['epoch'] for r in records if 'epoch' in r]
        check(sorted(set(epochs)) == list(range(1, EPOCHS + 1)), f'log.jsonl epoch records {epochs}')
        check(all(b >= a for a, b in zip(epochs, epochs[1:])), f'epoch records go backwards: {epochs}')
        dups = sorted({e for e in epochs if epochs.count(e) > 1})
        if dups:
            notes.append(f'epoch(s) {dups} logged twice (killed between the epoch log line and its checkpoint: '
                         f'the epoch was redone)')
        for r in records:
            if 'epoch' in r and r['step'] != r['epoch'] * STEPS_PER_EPOCH:
                raise Fail(f'epoch {r["epoch"]} record at step {r["step"]}, want {r["epoch"] * STEPS_PER_EPOCH}')

        kill_txt = '; '.join(f'{k["kind"]} kill at {k["after_s"]:.1f}s -> resumed at epoch {r[0]} step {r[1]}'
                             for k, r in zip(kills, resumes))
        check(kills, 'the run was never killed (it finished before the first kill point)')
        print(f'OK resume: {len(kills)} SIGKILLs ({kill_txt}); finished at epoch {EPOCHS} step {TOTAL_STEPS}; '
              f'{len(records)} log records parse; no *.tmp left; '
              f'{n_train} train / {n_val} val images; {time.time() - t0:.1f}s'
              + (f'; notes: {" | ".join(notes)}' if notes else ''))
        return 0
    except Fail as e:
        print(f'FAIL: {e}' + (f'\nnotes: {" | ".join(notes)}' if notes else ''), file=sys.stderr)
        print(f'(files kept in {tmp})' if args.keep else '(rerun with --keep to keep the temp folder)', file=sys.stderr)
        return 1
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
