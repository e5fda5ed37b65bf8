"""FP32 vs INT8 classifiers on the held-out validation crops of a prepared folder (cached, no detection):
AUC, EER, and APCER/BPCER at each model card's threshold, pooled and per source, plus verdict agreement.

    training/.venv/bin/python training/compare_quantized.py --prepared /work/prepared/s80 \
        models/antispoof-v1.onnx models/antispoof-v1.int8.onnx
"""
import argparse
import json
import os
import sys
from collections import defaultdict

import numpy as np
import onnxruntime as ort

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data  # noqa: E402
import metrics  # noqa: E402
import preprocess  # noqa: E402
import splits  # noqa: E402
from export import choose_threshold  # noqa: E402


def live_scores(model_path: str, crops: np.ndarray, contexts: np.ndarray) -> np.ndarray:
    """P(live) per crop as the product scores it: the mean over the card's crop.views, if it has any."""
    with open(os.path.splitext(model_path)[0] + '.json') as f:
        card = json.load(f)
    contract = preprocess.from_card(card)
    if contract.size != crops.shape[1]:
        raise SystemExit(f'{model_path} takes {contract.size} px, the prepared crops are {crops.shape[1]} px')
    session = ort.InferenceSession(model_path, providers=['CPUExecutionProvider'])
    live = card['output']['labels'].index('live')

    def one_view(view: np.ndarray) -> np.ndarray:
        out = []
        for start in range(0, len(view), 256):
            x = preprocess.to_input(view[start:start + 256], contract)
            logits = session.run([card['output']['name']], {contract.name: x})[0]
            e = np.exp(logits - logits.max(1, keepdims=True))
            out.append(e[:, live] / e.sum(1))
        return np.concatenate(out)

    views = data.view_crops(crops, contexts, card['crop'].get('views', [1.0]))
    return np.mean([one_view(v) for v in views], axis=0), card['threshold']['live']


def summary(rows, scores, threshold):
    live = [float(s) for r, s in zip(rows, scores) if r['label'] == 'live']
    spoof = defaultdict(list)
    for r, s in zip(rows, scores):
        if r['label'] == 'spoof':
            spoof[r['attack']].append(float(s))
    return metrics.evaluate(live, dict(spoof), threshold)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--prepared', required=True)
    parser.add_argument('models', nargs='+')
    parser.add_argument('--rethreshold', action='store_true',
                        help="with --write-measured: also set each card's threshold.live by export.py's rule "
                             '(lowest with pooled APCER <= 0.05) on its own validation scores; 8-bit rounding '
                             'shifts scores, so the FP32 threshold sits at another operating point for INT8')
    parser.add_argument('--write-measured', action='store_true',
                        help="rewrite each model card's threshold.measured with the rates measured here")
    args = parser.parse_args()
    _, rows, crops, contexts = data.load_cache(args.prepared)
    _, val_idx = data.split_indices(rows)
    val_rows = [rows[i] for i in val_idx]
    val_crops = np.asarray(crops[val_idx])
    results = {}
    for model in args.models:
        scores, threshold = live_scores(model, val_crops, np.asarray(contexts[val_idx]))
        results[model] = scores
        if args.rethreshold:
            labels = np.array([r['label'] for r in val_rows])
            threshold = choose_threshold(scores, labels)
        pooled = summary(val_rows, scores, threshold)
        print(f'{model} ({os.path.getsize(model) / 1024:.0f} KB) threshold {threshold:.4f}: '
              f'AUC {pooled["auc"]:.4f} EER {pooled["eer"]:.4f} APCER {pooled["apcer"]:.4f} BPCER {pooled["bpcer"]:.4f}')
        by_source = defaultdict(list)
        for i, r in enumerate(val_rows):
            by_source[r['source']].append(i)
        per_source = {}
        for source, idx in sorted(by_source.items()):
            m = summary([val_rows[i] for i in idx], scores[idx], threshold)
            per_source[source] = {'n': len(idx), **{k: m[k] for k in ('apcer', 'bpcer', 'eer', 'auc')}}
            fmt = lambda v: '   —  ' if v is None else f'{v:.4f}'  # noqa: E731
            print(f'  {source:26s} n {len(idx):5d} AUC {fmt(m["auc"])} EER {fmt(m["eer"])} '
                  f'APCER {fmt(m["apcer"])} BPCER {fmt(m["bpcer"])}')
        if args.write_measured:
            card_file = os.path.splitext(model)[0] + '.json'
            with open(card_file) as f:
                card = json.load(f)
            if args.rethreshold:
                card['threshold']['live'] = float(threshold)
                card['threshold'].setdefault('measured', {})['rule'] = (
                    'lowest threshold with pooled APCER <= 0.05, on this model\'s own validation scores')
            card['threshold']['measured'] = {
                **card['threshold'].get('measured', {}),
                'split': splits.validation_text(),
                'measuredWith': os.path.basename(model),
                **{k: pooled[k] for k in ('apcer', 'bpcer', 'eer', 'auc')},
                'n': len(val_rows),
                'perSource': per_source,
            }
            with open(card_file, 'w') as f:
                json.dump(card, f, indent=2)
                f.write('\n')
    base = args.models[0]
    for model in args.models[1:]:
        diff = np.abs(results[model] - results[base])
        print(f'{model} vs {base}: max |dP(live)| {diff.max():.4f}, mean {diff.mean():.4f}')


if __name__ == '__main__':
    main()
