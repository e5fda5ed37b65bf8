// threshold.stream of a model card, written by one function for `antispoof calibrate --sequence-length` (a user's
// own captures) and bench/stream-fusion.ts --write-card (the shipped card), so both cards read alike.
import type { StreamThreshold } from '../classify/card.js';
import type { FusionOptions } from '../decide/fusion.js';
import { metricsByGroup } from './groups.js';
import { computeMetrics } from './metrics.js';
import { sequenceRows, type SequenceScores } from './sequences.js';
import type { OperatingPoint, ScoredSample } from './types.js';

/** Decision rates of a validation, as the card stores them. */
export type HeldOutRates = {
  n: number;
  retry: number;
  apcer: number | null;
  bpcer: number | null;
  /** Wrong decisions / decided samples. */
  error: number | null;
  acer: number | null;
};

/** Thresholds chosen by the same rule without each held-out group, applied to it; decisions pooled over groups. */
export interface HeldOutValidation {
  by: 'source' | 'subject';
  frame: HeldOutRates;
  fused: HeldOutRates;
  /** Groups whose others lacked live or spoof samples to choose a threshold on. */
  skipped: string[];
}

export interface StreamThresholdSetup {
  /** How the threshold was chosen from scores, e.g. "target APCER 0.05"; the card says "... on fused sequence scores". */
  rule: string;
  sequenceLength: number;
  fusion: FusionOptions;
  /** How a sequence's frames became one track: 'one track per sequence', or 'LivenessSession (IoU tracker)'. */
  tracking: string;
  /** File name of the model that scored the frames. */
  model: string;
  /** The subjects the sequences were restricted to, if they were. */
  subjects?: readonly string[];
  /** Default: now. */
  measuredAt?: Date;
  heldOut?: HeldOutValidation;
}

/** threshold.stream.measured as written here (a type, not an interface, so that it is a card's plain record). */
export type StreamThresholdMeasured = {
  rule: string;
  sources: string[];
  subjects?: string[];
  sequenceLength: number;
  fusion: { minFrames: number; window: number; tracking: string };
  n: number;
  nLive: number;
  nSpoof: number;
  /** Sequences that never reached a decision (too few good frames): not in n. */
  retry: number;
  apcer: number | null;
  apcerWorst: number | null;
  bpcer: number | null;
  eer: number | null;
  auc: number | null;
  perSource: Record<
    string,
    { n: number; apcer: number | null; bpcer: number | null; eer: number | null; auc: number | null }
  >;
  leaveOneSourceOut?: HeldOutSummary;
  leaveOneSubjectOut?: HeldOutSummary;
  model: string;
  measuredAt: string;
};

export type HeldOutSummary = { rule: string; frame: HeldOutRates; fused: HeldOutRates; skipped: string[] };

/** A card's threshold.stream as fitted here. */
export type FittedStreamThreshold = StreamThreshold & { measured: StreamThresholdMeasured };

/**
 * The card's threshold.stream for fused sequences accepted at `threshold`: the rule and setup, then the rates there,
 * pooled and per source. `retry` counts the sequences that never reached a decision (too few good frames).
 */
export function streamThresholdEntry(
  sequences: readonly SequenceScores[],
  threshold: number,
  setup: StreamThresholdSetup,
): FittedStreamThreshold {
  const rows = sequenceRows(sequences);
  const m = computeMetrics(rows, threshold);
  const pick = (r: HeldOutRates): HeldOutRates => ({
    n: r.n,
    retry: r.retry,
    apcer: r.apcer,
    bpcer: r.bpcer,
    error: r.error,
    acer: r.acer,
  });
  const heldOut = setup.heldOut;
  return {
    live: threshold,
    measured: {
      rule: `${setup.rule} on fused sequence scores`,
      sources: [...new Set(sequences.map((s) => s.source))].sort(),
      ...(setup.subjects ? { subjects: [...setup.subjects] } : {}),
      sequenceLength: setup.sequenceLength,
      fusion: { minFrames: setup.fusion.minFrames, window: setup.fusion.window, tracking: setup.tracking },
      n: m.n,
      nLive: m.nLive,
      nSpoof: m.nSpoof,
      retry: sequences.length - rows.length,
      apcer: m.apcer,
      apcerWorst: m.apcerWorst,
      bpcer: m.bpcer,
      eer: m.eer,
      auc: m.auc,
      perSource: Object.fromEntries(
        Object.entries(metricsByGroup(rows, threshold, 'source')).map(([name, s]) => [
          name,
          { n: s.n, apcer: s.apcer, bpcer: s.bpcer, eer: s.eer, auc: s.auc },
        ]),
      ),
      ...(heldOut
        ? {
            [heldOut.by === 'source' ? 'leaveOneSourceOut' : 'leaveOneSubjectOut']: {
              rule: `thresholds chosen by the same rule on the other ${heldOut.by}s, applied to the held-out one; decisions pooled`,
              frame: pick(heldOut.frame),
              fused: pick(heldOut.fused),
              skipped: heldOut.skipped,
            },
          }
        : {}),
      model: setup.model,
      measuredAt: (setup.measuredAt ?? new Date()).toISOString(),
    },
  };
}

/** The stream threshold `choose` picks on the fused sequences, as a card entry; null without live and spoof ones. */
export function fitStreamThreshold(
  sequences: readonly SequenceScores[],
  choose: (rows: ScoredSample[]) => OperatingPoint | null,
  setup: StreamThresholdSetup,
): FittedStreamThreshold | null {
  const point = choose(sequenceRows(sequences));
  return point ? streamThresholdEntry(sequences, point.threshold, setup) : null;
}
