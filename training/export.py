"""Checkpoint -> ONNX + model card (+ parity fixture for the TypeScript test).

  training/.venv/bin/python training/export.py --checkpoint training/runs/main/best.pt \
      --prepared /work/prepared/s80 --out models/antispoof-v1.onnx

The ONNX takes `input` as the card's input contract says (training/preprocess.py; today NCHW float32 RGB pixel/255)
with a dynamic batch and returns `logits` [N,2] ([live, spoof]);
the Fourier head is dropped and every BatchNorm folded into the conv / linear before it. The threshold is chosen on
the validation split (training/splits.py) so that pooled APCER <= 5%.
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn as nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data  # noqa: E402
import preprocess  # noqa: E402
import splits  # noqa: E402
from model import LABELS, ConvBN, create_model  # noqa: E402
from train import pad_metrics, predict_live  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA_NOTE = ('NUAA Photograph Imposter Database, 12 small public webcam liveness sets and 18 webcam-room sets with '
             'full-frame context (GitHub), CelebA (aligned), UTKFace (crop_part1), plus synthetic print/replay '
             'attacks (texture- and scene-level) made from their live images; '
             'research-only licences (several sources state none): not for commercial use. '
             'See /work/shared/data/README.md of the training corpus.')


def load_model(checkpoint: str):
    ck = torch.load(checkpoint, map_location='cpu')
    model = create_model(ck['model_name'], ck['size'], fourier_head=False)
    # A run with --ema validated and keeps the averaged weights: those are the model.
    state = {k: v for k, v in ck.get('ema', ck['model']).items() if not k.startswith('fourier.')}
    model.load_state_dict(state)
    return model.eval(), ck


def fold_batchnorm(model: nn.Module) -> nn.Module:
    """Fold every BatchNorm into the conv / linear before it (eval statistics)."""
    for module in model.modules():
        if isinstance(module, ConvBN):
            module[0] = fuse_conv_bn_eval(module[0], module[1])
            module[1] = nn.Identity()
    linear, bn = model.embed[1], model.embed[2]
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    fused = nn.Linear(linear.in_features, linear.out_features, bias=True)
    with torch.no_grad():
        fused.weight.copy_(linear.weight * scale[:, None])
        fused.bias.copy_(bn.bias - bn.running_mean * scale)
    model.embed[1], model.embed[2] = fused, nn.Identity()
    return model


def parity_inputs(size: int, count: int = 8) -> np.ndarray:
    """Deterministic synthetic inputs (no corpus images): value = round(255 * (0.5 + 0.5 sin(a))) / 255,
    a = 0.05 (n+1)(x+1) + 0.031 (c+2)(y+1) + 0.7 n, for image n, channel c, row y, column x."""
    n, c, y, x = np.meshgrid(np.arange(count), np.arange(3), np.arange(size), np.arange(size), indexing='ij')
    a = 0.05 * (n + 1) * (x + 1) + 0.031 * (c + 2) * (y + 1) + 0.7 * n
    return (np.round(255 * (0.5 + 0.5 * np.sin(a))) / 255).astype(np.float32)


def choose_threshold(scores: np.ndarray, labels: np.ndarray, max_apcer: float = 0.05) -> float:
    """Lowest P(live) threshold with pooled APCER <= max_apcer (lowest BPCER under that constraint)."""
    spoof = np.sort(scores[labels == 'spoof'])
    allowed = int(np.floor(max_apcer * len(spoof)))  # spoofs that may score >= threshold
    if allowed >= len(spoof):
        return 0.0
    t = float(spoof[len(spoof) - allowed - 1])
    return float(np.nextafter(np.float32(t), np.float32(1)))


def git_commit() -> str:
    try:
        return subprocess.check_output(['git', 'rev-parse', 'HEAD'], cwd=REPO, text=True).strip()
    except (OSError, subprocess.CalledProcessError):
        return 'unknown'


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--checkpoint', required=True)
    p.add_argument('--prepared', required=True)
    p.add_argument('--out', default=os.path.join(REPO, 'models', 'antispoof-v1.onnx'))
    p.add_argument('--fixture', default=os.path.join(REPO, 'test', 'fixtures', 'classifier-parity.json'))
    p.add_argument('--max-apcer', type=float, default=0.05)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--version', default='1.0.0', help="the card's model version")
    p.add_argument('--views', type=float, nargs='+',
                   help="test-time views for the card's crop.views (e.g. 0.88 1.12): P(live) is the mean over crops "
                        'at crop.scale x each factor; the threshold is then chosen on those mean scores')
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)

    model, ck = load_model(args.checkpoint)
    size = ck['size']
    fused = fold_batchnorm(load_model(args.checkpoint)[0]).eval()
    dummy = torch.from_numpy(parity_inputs(size, 2))
    torch.onnx.export(fused, dummy, args.out, opset_version=13, input_names=['input'], output_names=['logits'],
                      dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}}, do_constant_folding=True)
    graph = onnx.load(args.out)
    onnx.checker.check_model(graph)
    ops = sorted({n.op_type for n in graph.graph.node})
    if 'BatchNormalization' in ops:
        raise SystemExit('BatchNormalization left in the exported graph')
    mb = os.path.getsize(args.out) / 1e6
    print(f'wrote {args.out}: {mb:.2f} MB, opset 13, ops {ops}')
    if mb >= 2.5:
        raise SystemExit('model file is not under 2.5 MB')

    info, rows, crops, contexts = data.load_cache(args.prepared)
    if info['size'] != size:
        raise SystemExit(f'checkpoint is {size} px, {args.prepared} is {info["size"]} px')
    _, val_idx = data.split_indices(rows)
    val_rows = [rows[i] for i in val_idx]
    val_crops = np.asarray(crops[val_idx])
    # The contract train.py trained with; the card's `input` and `crop` are written from this same object.
    contract = preprocess.DEFAULT_FOR(size, info.get('cropScale'))

    session = ort.InferenceSession(args.out, providers=['CPUExecutionProvider'])
    real = preprocess.to_input(val_crops[np.linspace(0, len(val_crops) - 1, 64).astype(int)], contract)
    with torch.no_grad():
        ref = model(torch.from_numpy(real)).numpy()
    got = session.run(['logits'], {'input': real})[0]
    diff = float(np.abs(ref - got).max())
    print(f'parity on 64 real validation crops: max |pytorch - onnxruntime| = {diff:.2e}')
    if diff >= 1e-3:
        raise SystemExit('parity check failed (>= 1e-3)')

    synthetic_inputs = parity_inputs(size)
    with torch.no_grad():
        fixture_logits = model(torch.from_numpy(synthetic_inputs)).numpy()
    ort_logits = session.run(['logits'], {'input': synthetic_inputs})[0]
    print(f'parity on 8 synthetic inputs: max diff {float(np.abs(fixture_logits - ort_logits).max()):.2e}')
    os.makedirs(os.path.dirname(args.fixture), exist_ok=True)
    with open(args.fixture, 'w') as f:
        json.dump({'model': os.path.basename(args.out), 'size': size, 'count': len(synthetic_inputs),
                   'formula': parity_inputs.__doc__.split('):', 1)[1].strip().replace('\n    ', ' '),
                   'layout': 'NCHW', 'tolerance': 1e-3,
                   'inputSums': [float(s) for s in synthetic_inputs.reshape(len(synthetic_inputs), -1).sum(1)],
                   'logits': fixture_logits.astype(float).round(6).tolist()}, f, indent=1)
    print('wrote', args.fixture)

    views = args.views or [1.0]
    scores = np.mean([predict_live(model, v, contract=contract)
                      for v in data.view_crops(val_crops, np.asarray(contexts[val_idx]), views)], axis=0)
    labels = np.array([r['label'] for r in val_rows])
    threshold = choose_threshold(scores, labels, args.max_apcer)
    at = pad_metrics(scores, val_rows, threshold)
    pooled = at['pooled']
    print(f'threshold live >= {threshold:.6f}: pooled APCER {pooled["apcer"]:.4f} BPCER {pooled["bpcer"]:.4f} '
          f'EER {pooled["eer"]:.4f} AUC {pooled["auc"]:.4f} n {pooled["n"]}')
    for s, m in at['sources'].items():
        print(f'  {s:28s} ' + ' '.join(f'{k} {m[k]:.4f}' for k in ('apcer', 'bpcer', 'eer', 'auc') if m[k] is not None))

    log_path = os.path.join(os.path.dirname(args.checkpoint), 'log.jsonl')
    epochs = [json.loads(line) for line in open(log_path)] if os.path.exists(log_path) else []
    epochs = [e for e in epochs if 'epoch' in e]
    run = ck['args']
    card = {
        'name': 'antispoof-v1', 'version': args.version, 'file': os.path.basename(args.out),
        'input': contract.card_input(),
        'output': {'name': 'logits', 'labels': list(LABELS)},
        'crop': {**contract.card_crop(), **({'views': views} if args.views else {})},
        'threshold': {'live': threshold, 'measured': {
            'split': splits.validation_text(),
            'rule': f'lowest threshold with pooled APCER <= {args.max_apcer}',
            'apcer': pooled['apcer'], 'bpcer': pooled['bpcer'], 'eer': pooled['eer'], 'auc': pooled['auc'],
            'n': pooled['n'],
            'perSource': {s: {k: m[k] for k in ('n', 'apcer', 'bpcer', 'eer', 'auc')} for s, m in at['sources'].items()}}},
        'training': {
            'data': DATA_NOTE,
            'recipe': {'model': ck['model_name'], 'epochs': ck.get('epoch'), 'steps': ck.get('step'),
                       'inputSize': size, 'threads': run['threads'], 'batch': run['batch'], 'lr': run['lr'],
                       'optimizer': 'AdamW', 'schedule': 'linear warmup + cosine', 'weightDecay': run['weight_decay'],
                       'labelSmoothing': run['label_smoothing'], 'fourierWeight': run['ft_weight'],
                       'syntheticShare': run['synthetic_share'], 'sceneShare': run.get('scene_share', 0.0),
                       'mixstyle': run.get('mixstyle', 0.0),
                       'softLabels': ({'file': os.path.basename(run['soft_labels']), 'weight': run['soft_weight'],
                                       'temperature': run['soft_temperature']} if run.get('soft_labels') else None),
                       'teacher': os.path.basename(run['teacher']) if run.get('teacher') else None,
                       'seed': run['seed'],
                       'sampling': 'half live / half spoof, sources weighted sqrt(clip(n,100,1000))',
                       'augmentation': 'random square window of the 1.875x context (scale 0.88-1.12, shift 6%), '
                                       'hflip, brightness/contrast/gamma, colour temperature, low light + noise, '
                                       'blur, JPEG'},
            'wallMinutes': round(epochs[-1]['wallMinutes'], 1) if epochs else None,
            'imagesPerSecond': round(float(np.median([e['imagesPerSecond'] for e in epochs])), 1) if epochs else None,
            'commit': git_commit(),
            'pytorch': torch.__version__,
        },
        'license': 'Apache-2.0 code; weights trained on research-only data (see training data)',
    }
    card_path = os.path.splitext(args.out)[0] + '.json'
    with open(card_path, 'w') as f:
        json.dump(card, f, indent=2)
        f.write('\n')
    print('wrote', card_path)


if __name__ == '__main__':
    main()
