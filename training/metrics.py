#!/usr/bin/env python3
"""Independent reference implementation of the ISO/IEC 30107-3 PAD metrics of src/evaluate (standard library only).

Written from the definitions, not from the TypeScript: per-threshold counts by binary search on per-class sorted
scores (the TS code sweeps one merged sorted list), AUC by the midrank formula (TS: tie-aware pair counting in the
sweep), EER by a keyed min over all candidates (TS: first strict minimum in ascending order).

Definitions (a sample is accepted as bona fide when score >= threshold):
  APCER(species) = accepted attacks of that species / attacks of that species
  apcerWorst     = max over species (ISO headline); apcer = pooled over all attacks
  BPCER          = rejected bona fide / bona fide
  ACER = (apcerWorst + BPCER) / 2;  HTER = (apcer + BPCER) / 2
  candidate thresholds = every distinct score, plus the next double above the highest (reject all)
  EER = mean of pooled APCER and BPCER at the candidate minimising |APCER - BPCER| (lowest threshold on a tie)
  AUC = P(live score > spoof score) + P(equal) / 2
  BPCER100 / BPCER20 = min BPCER over candidates with pooled APCER <= 1% / 5%
Undefined values (empty class) are null.

Usage: python3 training/metrics.py scores.csv --threshold 0.5   (CSV columns: score,label[,attack], header row)
"""

import argparse
import csv
import json
import math
import struct
import sys
from bisect import bisect_left


def next_up(x):
    """Smallest float greater than x (math.nextafter is Python 3.9+; fall back to the bit pattern)."""
    if hasattr(math, "nextafter"):
        return math.nextafter(x, math.inf)
    if x == 0:
        return 5e-324
    (as_int,) = struct.unpack("<q", struct.pack("<d", x))
    return struct.unpack("<d", struct.pack("<q", as_int + 1 if x > 0 else as_int - 1))[0]


def read_csv(path):
    live, spoof = [], {}
    with open(path, newline="") as f:
        for line_no, rec in enumerate(csv.DictReader(f), start=2):
            score = float(rec["score"])
            if not math.isfinite(score):
                raise ValueError("line %d: score must be finite" % line_no)
            label = rec["label"].strip()
            if label == "live":
                live.append(score)
            elif label == "spoof":
                attack = (rec.get("attack") or "").strip() or "unknown"
                spoof.setdefault(attack, []).append(score)
            else:
                raise ValueError("line %d: label must be live or spoof, got %r" % (line_no, label))
    return live, spoof


def midrank_auc(live, spoof_all):
    """Mann-Whitney AUC from the rank sum of the live scores, ties given their average rank."""
    tagged = sorted([(s, 1) for s in live] + [(s, 0) for s in spoof_all])
    rank_sum_live = 0.0
    i = 0
    while i < len(tagged):
        j = i
        while j < len(tagged) and tagged[j][0] == tagged[i][0]:
            j += 1
        avg_rank = (i + 1 + j) / 2.0  # ranks i+1 .. j
        rank_sum_live += avg_rank * sum(1 for k in range(i, j) if tagged[k][1] == 1)
        i = j
    n_l, n_s = len(live), len(spoof_all)
    return (rank_sum_live - n_l * (n_l + 1) / 2.0) / (n_l * n_s)


def evaluate(live, spoof, threshold):
    live_sorted = sorted(live)
    spoof_sorted = {a: sorted(v) for a, v in spoof.items()}
    spoof_all = sorted(s for v in spoof.values() for s in v)
    n_l, n_s = len(live_sorted), len(spoof_all)

    def rejected_live(t):
        return bisect_left(live_sorted, t)

    def accepted(scores, t):
        return len(scores) - bisect_left(scores, t)

    def ratio(a, b):
        return a / b if b else None

    def mean2(a, b):
        return None if a is None or b is None else (a + b) / 2

    by_attack = {a: accepted(v, threshold) / len(v) for a, v in sorted(spoof_sorted.items())}
    apcer_worst = max(by_attack.values()) if by_attack else None
    spoof_acc = accepted(spoof_all, threshold)
    live_rej = rejected_live(threshold)
    apcer = ratio(spoof_acc, n_s)
    bpcer = ratio(live_rej, n_l)

    eer = eer_threshold = auc = bpcer100 = bpcer20 = None
    if n_l and n_s:
        distinct = sorted(set(live_sorted) | set(spoof_all))
        candidates = distinct + [next_up(distinct[-1])]
        # (|APCER - BPCER| scaled by n_l * n_s so it is an exact integer, threshold, fa, fr)
        table = []
        for t in candidates:
            fa, fr = accepted(spoof_all, t), rejected_live(t)
            table.append((abs(fa * n_l - fr * n_s), t, fa, fr))
        _, eer_threshold, fa, fr = min(table)
        eer = (fa / n_s + fr / n_l) / 2
        auc = midrank_auc(live_sorted, spoof_all)

        def bpcer_at(target):
            return min(fr / n_l for _, _, fa, fr in table if fa / n_s <= target)

        bpcer100 = bpcer_at(0.01)
        bpcer20 = bpcer_at(0.05)

    n = n_l + n_s
    return {
        "n": n,
        "nLive": n_l,
        "nSpoof": n_s,
        "apcer": apcer,
        "apcerWorst": apcer_worst,
        "apcerByAttack": by_attack,
        "bpcer": bpcer,
        "acer": mean2(apcer_worst, bpcer),
        "hter": mean2(apcer, bpcer),
        "accuracy": ratio((n_l - live_rej) + (n_s - spoof_acc), n),
        "eer": eer,
        "eerThreshold": eer_threshold,
        "auc": auc,
        "bpcer100": bpcer100,
        "bpcer20": bpcer20,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("csv")
    parser.add_argument("--threshold", type=float, default=0.5)
    args = parser.parse_args(argv)
    live, spoof = read_csv(args.csv)
    json.dump(evaluate(live, spoof, args.threshold), sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
