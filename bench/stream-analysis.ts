// Offline analysis of frame sequences already scored once per frame (bench/stream-fusion.ts): single-frame vs fused
// decisions at given thresholds, threshold-free EER / AUC, thresholds chosen leave-one-group-out, the stream
// threshold chosen on everything, and thresholds calibrated within each group on half its sequences. Pure: numbers in, numbers out, so it is unit-tested on synthetic scores.
import {
  computeMetrics,
  frameRows,
  type HeldOutRates,
  metricsByGroup,
  type OperatingPoint,
  type PadMetrics,
  type ScoredSample,
  sequenceRows,
  type SequenceScores,
  thresholdForApcer,
  thresholdForBpcer,
} from '../src/evaluate/index.js';

export { frameRows, sequenceRows, type SequenceScores };

/**
 * Decisions at a threshold: the rates a card stores (HeldOutRates: n decided, retry, APCER, BPCER, error, ACER =
 * (apcerWorst + bpcer) / 2), plus the class counts and the worst PAI species' APCER. Fractions over decided samples,
 * null where undefined.
 */
export interface DecisionRates extends HeldOutRates {
  nLive: number;
  nSpoof: number;
  apcerWorst: number | null;
}

export interface ThresholdFree {
  n: number;
  eer: number | null;
  auc: number | null;
}

export interface FrameVsFused<T> {
  frame: T;
  fused: T;
}

export interface HeldOutFold extends FrameVsFused<DecisionRates> {
  heldOut: string;
  /** Lowest threshold with APCER <= target on the other groups' frames. */
  frameThreshold: number;
  /** Lowest threshold with APCER <= target on the other groups' fused sequences. */
  streamThreshold: number;
}

export interface LeaveOneOut {
  by: 'source' | 'subject';
  folds: HeldOutFold[];
  /** Groups with no fold: the other groups lack live or spoof samples to choose a threshold on. */
  skipped: string[];
  /** Each fold's decisions at its own thresholds, pooled over all folds. */
  pooled: FrameVsFused<DecisionRates>;
}

export interface StreamThresholdChoice {
  threshold: number;
  rule: string;
  metrics: PadMetrics;
  bySource: Record<string, PadMetrics>;
}

export interface StreamAnalysis {
  targetApcer: number;
  rule: ThresholdRule;
  sequences: number;
  frames: number;
  /** (a) Frame and fused decisions at the given frame threshold (and, given one, fused at a stream threshold). */
  atThreshold: {
    frameThreshold: number;
    streamThreshold: number | null;
    pooled: FrameVsFused<DecisionRates> & { fusedAtStream: DecisionRates | null };
    bySource: Record<string, FrameVsFused<DecisionRates> & { fusedAtStream: DecisionRates | null }>;
  };
  /** (b) Frame-level vs sequence-level EER and AUC. */
  thresholdFree: {
    pooled: FrameVsFused<ThresholdFree>;
    bySource: Record<string, FrameVsFused<ThresholdFree>>;
  };
  /** (c) Thresholds chosen without the held-out group, applied to it. */
  leaveOneOut: LeaveOneOut;
  /** (d) The stream threshold chosen on all sequences by the same rule; null without live and spoof sequences. */
  streamThreshold: StreamThresholdChoice | null;
  /** (e) Thresholds calibrated within each group on half its sequences, applied to the other half (2-fold). */
  perGroupCalibration: PerGroupCalibration;
}

/** Which half of a group's sequences calibrated; the other half was tested. */
export type Half = 0 | 1;

export interface CalibrationFold extends FrameVsFused<DecisionRates> {
  calibrationHalf: Half;
  /** Chosen by the rule on the calibration half's frames. */
  frameThreshold: number;
  /** Chosen by the rule on the calibration half's fused sequences. */
  streamThreshold: number;
}

export interface CalibratedGroup extends FrameVsFused<DecisionRates> {
  /** The source (or subject). Its rates pool the test-half decisions of its folds. */
  group: string;
  folds: CalibrationFold[];
}

export interface PerGroupCalibration {
  by: 'source' | 'subject';
  /** How sequences are split into halves. */
  split: string;
  groups: CalibratedGroup[];
  /** Folds whose calibration half lacks live or spoof samples (frames or fused sequences). */
  skipped: Array<{ group: string; calibrationHalf: Half }>;
  /** Every fold's test-half decisions at its own thresholds, pooled over all groups and both folds. */
  pooled: FrameVsFused<DecisionRates>;
}

/**
 * How a threshold is chosen from scores with a target APCER. 'lowest': the lowest threshold with pooled APCER <=
 * target (the rule of the shipped card's frame threshold; it spends the whole APCER budget even where a higher
 * threshold rejects no more live samples). 'safest': the same lowest BPCER, then the highest threshold that keeps
 * it, i.e. the fewest attacks accepted at that BPCER.
 */
export type ThresholdRule = 'lowest' | 'safest';

export function thresholdRuleText(rule: ThresholdRule, targetApcer: number): string {
  return rule === 'lowest'
    ? `lowest threshold with pooled APCER <= ${targetApcer}`
    : `lowest BPCER with pooled APCER <= ${targetApcer}, then the highest threshold at that BPCER`;
}

/** A threshold by `rule`; null without both live and spoof samples. */
export function chooseThreshold(
  rows: readonly ScoredSample[],
  targetApcer: number,
  rule: ThresholdRule = 'lowest',
): OperatingPoint | null {
  const point = thresholdForApcer(rows, targetApcer);
  if (!point || rule === 'lowest') return point;
  return thresholdForBpcer(rows, point.bpcer) ?? point;
}

export interface AnalysisOptions {
  /** The single-frame threshold to compare at (the card's). */
  frameThreshold: number;
  /** A stream threshold to compare at as well (the card's, when it has one). */
  streamThreshold?: number;
  /** Thresholds are the lowest with pooled APCER <= this. Default 0.05, the rule of the shipped card. */
  targetApcer?: number;
  /** Hold out one source (default) or one subject at a time (c). */
  leaveOut?: 'source' | 'subject';
  /** Calibrate within each source or each subject (e); default: as leaveOut. */
  calibrateWithin?: 'source' | 'subject';
  /** How thresholds are chosen (c, d, e); default 'lowest'. */
  rule?: ThresholdRule;
}

/** Decisions as scores: accepted -> 1, rejected -> 0, so pooled decisions made at different thresholds are
 * measured together at 0.5. */
const decided = (rows: readonly ScoredSample[], threshold: number): ScoredSample[] =>
  rows.map((r) => ({ ...r, score: r.score >= threshold ? 1 : 0 }));

const frameRetries = (sequences: readonly SequenceScores[]) => sequences.reduce((sum, s) => sum + s.frameRetries, 0);
const sequenceRetries = (sequences: readonly SequenceScores[]) => sequences.filter((s) => s.fused === null).length;

/** Decision rates of `rows` accepted at score >= threshold, with `retry` undecided samples beside them. */
export function decisionRates(rows: readonly ScoredSample[], threshold: number, retry: number): DecisionRates {
  const m = computeMetrics(rows, threshold);
  return {
    n: m.n,
    nLive: m.nLive,
    nSpoof: m.nSpoof,
    retry,
    apcer: m.apcer,
    apcerWorst: m.apcerWorst,
    bpcer: m.bpcer,
    error: m.accuracy === null ? null : 1 - m.accuracy,
    acer: m.acer,
  };
}

function thresholdFree(rows: readonly ScoredSample[]): ThresholdFree {
  const m = computeMetrics(rows, 0.5); // EER and AUC do not depend on the threshold
  return { n: m.n, eer: m.eer, auc: m.auc };
}

function groupBy(sequences: readonly SequenceScores[], key: 'source' | 'subject'): Map<string, SequenceScores[]> {
  const groups = new Map<string, SequenceScores[]>();
  for (const s of sequences) groups.set(s[key], [...(groups.get(s[key]) ?? []), s]);
  return new Map([...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function atThreshold(sequences: readonly SequenceScores[], options: AnalysisOptions) {
  const fusedRows = sequenceRows(sequences);
  return {
    frame: decisionRates(frameRows(sequences), options.frameThreshold, frameRetries(sequences)),
    fused: decisionRates(fusedRows, options.frameThreshold, sequenceRetries(sequences)),
    fusedAtStream:
      options.streamThreshold === undefined
        ? null
        : decisionRates(fusedRows, options.streamThreshold, sequenceRetries(sequences)),
  };
}

/** Test decisions pooled over folds: accepted -> score 1, rejected -> 0, so rates are measured at 0.5. */
interface DecisionPool {
  frames: ScoredSample[];
  fused: ScoredSample[];
  frameRetries: number;
  fusedRetries: number;
}

const emptyPool = (): DecisionPool => ({ frames: [], fused: [], frameRetries: 0, fusedRetries: 0 });

function poolRates(pool: DecisionPool): FrameVsFused<DecisionRates> {
  return {
    frame: decisionRates(pool.frames, 0.5, pool.frameRetries),
    fused: decisionRates(pool.fused, 0.5, pool.fusedRetries),
  };
}

/**
 * One fold: the frame and stream thresholds chosen by `rule` on `calibration`'s frames / fused sequences, applied
 * to `test`, whose decisions are added to every pool given. Null when `calibration` lacks live or spoof samples.
 */
function calibrateThenTest(
  calibration: readonly SequenceScores[],
  test: readonly SequenceScores[],
  targetApcer: number,
  rule: ThresholdRule,
  pools: readonly DecisionPool[],
): (FrameVsFused<DecisionRates> & { frameThreshold: number; streamThreshold: number }) | null {
  const frameThreshold = chooseThreshold(frameRows(calibration), targetApcer, rule)?.threshold;
  const streamThreshold = chooseThreshold(sequenceRows(calibration), targetApcer, rule)?.threshold;
  if (frameThreshold === undefined || streamThreshold === undefined) return null;
  const frames = frameRows(test);
  const fused = sequenceRows(test);
  for (const pool of pools) {
    pool.frames.push(...decided(frames, frameThreshold));
    pool.fused.push(...decided(fused, streamThreshold));
    pool.frameRetries += frameRetries(test);
    pool.fusedRetries += sequenceRetries(test);
  }
  return {
    frameThreshold,
    streamThreshold,
    frame: decisionRates(frames, frameThreshold, frameRetries(test)),
    fused: decisionRates(fused, streamThreshold, sequenceRetries(test)),
  };
}

/**
 * Leave one group out: for each group G, the frame threshold and the stream threshold are each the lowest with
 * pooled APCER <= target on the OTHER groups' frames / fused sequences, and are applied to G. Each sample's
 * decision is made at its own fold's thresholds; the decisions are pooled over all folds (accepted -> score 1,
 * rejected -> 0, measured at 0.5) so the rates describe thresholds that never saw the data they decide.
 */
export function leaveOneOut(
  sequences: readonly SequenceScores[],
  targetApcer: number,
  by: 'source' | 'subject' = 'source',
  rule: ThresholdRule = 'lowest',
): LeaveOneOut {
  const folds: HeldOutFold[] = [];
  const skipped: string[] = [];
  const pooled = emptyPool();
  for (const [name, heldOut] of groupBy(sequences, by)) {
    const others = sequences.filter((s) => s[by] !== name);
    const fold = calibrateThenTest(others, heldOut, targetApcer, rule, [pooled]);
    if (fold) folds.push({ heldOut: name, ...fold });
    else skipped.push(name);
  }
  return { by, folds, skipped, pooled: poolRates(pooled) };
}

export const SPLIT_RULE =
  'alternate sequences (in input order) of each (label, attack) within the group: 1st, 3rd, ... form half 0, ' +
  '2nd, 4th, ... half 1';

/** The half of each sequence by SPLIT_RULE, in the order given. */
export function splitHalves(sequences: ReadonlyArray<Pick<SequenceScores, 'label' | 'attack'>>): Half[] {
  const seen = new Map<string, number>();
  return sequences.map((s) => {
    const key = `${s.label}|${s.attack}`;
    const k = seen.get(key) ?? 0;
    seen.set(key, k + 1);
    return (k % 2) as Half;
  });
}

/**
 * Per-group calibration, split half ("calibrate the threshold on your own camera"): within each group (source, or
 * subject) separately, its sequences are split into two halves by SPLIT_RULE. The frame threshold is chosen by
 * `rule` on one half's frames and the stream threshold on its fused sequences; both are applied to the other half's
 * frames and sequences. Then the halves swap, so each sequence is tested once. Decisions are pooled per group and
 * over all groups as in leaveOneOut.
 */
export function perGroupCalibration(
  sequences: readonly SequenceScores[],
  targetApcer: number,
  by: 'source' | 'subject' = 'source',
  rule: ThresholdRule = 'lowest',
): PerGroupCalibration {
  const groups: CalibratedGroup[] = [];
  const skipped: PerGroupCalibration['skipped'] = [];
  const all = emptyPool();
  for (const [name, list] of groupBy(sequences, by)) {
    const halves = splitHalves(list);
    const half = (h: Half) => list.filter((_, i) => halves[i] === h);
    const folds: CalibrationFold[] = [];
    const pool = emptyPool();
    for (const calibrationHalf of [0, 1] as const) {
      const fold = calibrateThenTest(half(calibrationHalf), half(calibrationHalf === 0 ? 1 : 0), targetApcer, rule, [
        pool,
        all,
      ]);
      if (fold) folds.push({ calibrationHalf, ...fold });
      else skipped.push({ group: name, calibrationHalf });
    }
    if (folds.length > 0) groups.push({ group: name, folds, ...poolRates(pool) });
  }
  return { by, split: SPLIT_RULE, groups, skipped, pooled: poolRates(all) };
}

/** The stream threshold chosen by `rule` on all fused sequences, with the rates there. */
export function chooseStreamThreshold(
  sequences: readonly SequenceScores[],
  targetApcer: number,
  rule: ThresholdRule = 'lowest',
): StreamThresholdChoice | null {
  const rows = sequenceRows(sequences);
  const point = chooseThreshold(rows, targetApcer, rule);
  if (!point) return null;
  return {
    threshold: point.threshold,
    rule: `${thresholdRuleText(rule, targetApcer)} on fused sequence scores`,
    metrics: computeMetrics(rows, point.threshold),
    bySource: metricsByGroup(rows, point.threshold, 'source'),
  };
}

export function analyseStreams(sequences: readonly SequenceScores[], options: AnalysisOptions): StreamAnalysis {
  const targetApcer = options.targetApcer ?? 0.05;
  const bySource = groupBy(sequences, 'source');
  const free = (list: readonly SequenceScores[]) => ({
    frame: thresholdFree(frameRows(list)),
    fused: thresholdFree(sequenceRows(list)),
  });
  return {
    targetApcer,
    rule: options.rule ?? 'lowest',
    sequences: sequences.length,
    frames: sequences.reduce((sum, s) => sum + s.frameScores.length + s.frameRetries, 0),
    atThreshold: {
      frameThreshold: options.frameThreshold,
      streamThreshold: options.streamThreshold ?? null,
      pooled: atThreshold(sequences, options),
      bySource: Object.fromEntries([...bySource].map(([name, list]) => [name, atThreshold(list, options)])),
    },
    thresholdFree: {
      pooled: free(sequences),
      bySource: Object.fromEntries([...bySource].map(([name, list]) => [name, free(list)])),
    },
    leaveOneOut: leaveOneOut(sequences, targetApcer, options.leaveOut ?? 'source', options.rule),
    streamThreshold: chooseStreamThreshold(sequences, targetApcer, options.rule),
    perGroupCalibration: perGroupCalibration(
      sequences,
      targetApcer,
      options.calibrateWithin ?? options.leaveOut ?? 'source',
      options.rule,
    ),
  };
}
