"""finetune.py checkpoint -> ONNX (FP32) + model card, ready for quantize.py and `antispoof calibrate`.

  training/.venv/bin/python training/export_finetune.py --checkpoint training/runs/v3-a/best.pt \
      --prepared /work/prep/shift27-80 --out training/candidates/antispoof-v3-a.onnx --name antispoof-v3-a

The ONNX takes `input` as Silent-Face's weights expect it (BGR, 0..255, NCHW, 80x80: the card's `input` says so, so
the product feeds it that way) and returns the 3 `logits` (index 1 live); the Fourier head is dropped. The card's
crop is the prepared folder's (`prepare.json`: scale and mode), so inference crops as training did. Its threshold is
a first fit on the selection part (lowest with pooled APCER <= 5% on the prepared crops, one view); the shipped
threshold is refitted through the product with `antispoof calibrate`, views included.
"""
import argparse
import json
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data  # noqa: E402
import preprocess  # noqa: E402
import splits  # noqa: E402
from export import choose_threshold, git_commit  # noqa: E402
from train import pad_metrics  # noqa: E402
from finetune import CONTRACT_80, predict_live, selection_summary  # noqa: E402
from model import create_model  # noqa: E402

LABELS = ['attack-a', 'live', 'attack-b']
DATA_NOTE = ('Starts from Silent-Face-Anti-Spoofing\'s released 2.7_80x80_MiniFASNetV2 weights (minivision-ai, '
             'Apache-2.0, commit b6d5f04; trained by minivision on their own unpublished data), fine-tuned on this '
             'project\'s corpus: NUAA, CASIA-FASD and OULU-NPU crops as public repositories published them, 12 small '
             'public webcam liveness sets and 18 webcam-room sets (GitHub), CelebA (aligned), UTKFace (crop_part1); '
             'research-only licences (several sources state none): not for commercial use. See '
             '/work/shared/data/README.md of the training corpus.')


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--checkpoint', required=True)
    p.add_argument('--prepared', required=True)
    p.add_argument('--out', required=True)
    p.add_argument('--name', required=True)
    p.add_argument('--version', default='3.0.0-rc')
    p.add_argument('--views', type=float, nargs='+', help="the card's crop.views (factors of crop.scale)")
    p.add_argument('--threads', type=int, default=2)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)

    ck = torch.load(args.checkpoint, map_location='cpu')
    model = create_model(ck['model_name'], ck['size'])
    model.load_state_dict({k: v for k, v in ck['model'].items() if not k.startswith('fourier.')})
    model.eval()
    dummy = torch.zeros(2, 3, 80, 80)
    torch.onnx.export(model, dummy, args.out, opset_version=13, input_names=['input'], output_names=['logits'],
                      dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}}, do_constant_folding=True)
    onnx.checker.check_model(onnx.load(args.out))

    info, rows, crops, _ = data.load_cache(args.prepared)
    _, val_idx = data.split_indices(rows)
    val_rows = [rows[i] for i in val_idx]
    val_crops = np.asarray(crops[val_idx])
    session = ort.InferenceSession(args.out, providers=['CPUExecutionProvider'])
    probe = preprocess.to_input(val_crops[np.linspace(0, len(val_crops) - 1, 64).astype(int)], CONTRACT_80)
    with torch.no_grad():
        ref = model(torch.from_numpy(probe)).numpy()
    diff = float(np.abs(ref - session.run(['logits'], {'input': probe})[0]).max())
    print(f'parity on 64 selection crops: max |pytorch - onnxruntime| = {diff:.2e}')
    if diff >= 1e-3:
        raise SystemExit('parity check failed (>= 1e-3)')

    scores = predict_live(model, val_crops)
    labels = np.array([r['label'] for r in val_rows])
    threshold = choose_threshold(scores, labels)
    _, mean_eer, mean_auc = selection_summary(scores, val_rows)
    at = pad_metrics(scores, val_rows, threshold)
    pooled = at['pooled']
    print(f'selection part: mean per-source EER {mean_eer:.4f} AUC {mean_auc:.4f}; threshold {threshold:.4f}: '
          f'APCER {pooled["apcer"]:.4f} BPCER {pooled["bpcer"]:.4f}')
    run = ck['args']
    card = {
        'name': args.name, 'version': args.version, 'file': os.path.basename(args.out),
        'input': {**CONTRACT_80.card_input()},
        'output': {'name': 'logits', 'labels': LABELS},
        'crop': {'scale': info['cropScale'], 'mode': info.get('cropMode', 'reflect'),
                 **({'views': args.views} if args.views else {})},
        'threshold': {'live': threshold, 'measured': {
            'split': splits.validation_text(),
            'rule': 'lowest threshold with pooled APCER <= 0.05 on the prepared selection crops, one view '
                    '(a first fit: refit through the product with antispoof calibrate)',
            'apcer': pooled['apcer'], 'bpcer': pooled['bpcer'], 'eer': pooled['eer'], 'auc': pooled['auc'],
            'n': pooled['n'], 'selectionMeanEer': mean_eer, 'selectionMeanAuc': mean_auc}},
        'training': {
            'data': DATA_NOTE,
            'recipe': {'model': 'MiniFASNetV2 (Silent-Face), fine-tuned by training/finetune.py',
                       'init': os.path.basename(run['init']), 'epoch': ck.get('epoch'), 'step': ck.get('step'),
                       'batch': run['batch'], 'lr': run['lr'], 'optimizer': 'AdamW',
                       'weightDecay': run['weight_decay'], 'frozenLayers': run['freeze'],
                       'fourierWeight': run['ft_weight'], 'excludedSources': run['exclude_sources'],
                       'softLabels': os.path.basename(run['soft_labels']) if run.get('soft_labels') else None,
                       'augment': run['augment'], 'windowScale': list(run['window_scale']), 'seed': run['seed'],
                       'sampling': 'source uniform, then class, then image; web photos <= '
                                   f'{run["web_live_share"]:.0%} of live draws',
                       'loss': 'cross-entropy of live (logit 1) against the two attack classes summed'},
            'commit': git_commit(),
            'pytorch': torch.__version__,
        },
        'license': 'Apache-2.0 (Silent-Face weights, minivision-ai; changes: fine-tuned, exported to ONNX); '
                   'fine-tuned on research-only data (see training data)',
    }
    card_path = os.path.splitext(args.out)[0] + '.json'
    with open(card_path, 'w') as f:
        json.dump(card, f, indent=2)
        f.write('\n')
    print('wrote', args.out, 'and', card_path)


if __name__ == '__main__':
    main()
