import { computeMetrics } from './metrics.js';
import type { ScoredSample } from './types.js';

export {
  assignYardstick,
  crc32,
  HELD_OUT_PARTS,
  parseYardstickSplit,
  sourceDescription,
  webBucket,
  yardstickAssigner,
  yardstickSources,
  yardstickSplit,
  type HeldOutPart,
  type HeldOutSubjects,
  type SplitRow,
  type YardstickPart,
  type YardstickSplitFile,
} from './yardstick-split.js';

/** One image of the yardstick: P(live) per model, in model order; empty when it could not be scored (no face). */
export interface YardstickRow {
  source: string;
  label: 'live' | 'spoof';
  attack: string;
  subject: string;
  scores: readonly number[];
}

export interface YardstickModel {
  name: string;
  file: string;
  /** The card's live threshold: BPCER on the live-only web photos is measured at it. */
  threshold: number;
}

export interface ModelSourceMetrics {
  eer: number | null;
  auc: number | null;
  /** Fraction of live images rejected at the model's own threshold. */
  bpcer: number | null;
  /** Fraction of attacks accepted as live at the model's own threshold (all attack types pooled). */
  apcer: number | null;
}

export interface SourceMetrics {
  source: string;
  nLive: number;
  nSpoof: number;
  /** Images of the source that could not be scored: the same for every model, as all share one detection. */
  failures: number;
  /** One entry per model, in model order. */
  models: ModelSourceMetrics[];
}

/**
 * The ship rule (issue "Model v3", fixed before any v3 training), printed with every verdict: judged on the frozen
 * TEST part only, against the model that ships today. Beating the upstream is the goal, not the gate; the selection
 * part, where every choice was made, would flatter the candidate.
 */
export const SHIP_RULE =
  "REPLACES THE SHIPPED MODEL iff, on the test part, the candidate's mean per-source EER < the shipped model's AND " +
  'the candidate has a strictly lower EER (ties are not wins) on >= ceil(2/3 x number of test sources) sources';

/** Per source, per model: counts, EER, AUC and BPCER at each model's threshold (computeMetrics). */
export function sourceMetrics(
  rows: readonly YardstickRow[],
  sources: readonly string[],
  models: readonly YardstickModel[],
): SourceMetrics[] {
  return sources.map((source) => {
    const ofSource = rows.filter((row) => row.source === source);
    const scored = ofSource.filter((row) => row.scores.length > 0);
    const perModel = models.map((model, m) => {
      const samples: ScoredSample[] = scored.map((row) => ({
        score: row.scores[m]!,
        label: row.label,
        attack: row.attack,
        source,
        subject: row.subject,
      }));
      const metrics = computeMetrics(samples, model.threshold);
      return { eer: metrics.eer, auc: metrics.auc, bpcer: metrics.bpcer, apcer: metrics.apcer };
    });
    return {
      source,
      nLive: scored.filter((row) => row.label === 'live').length,
      nSpoof: scored.filter((row) => row.label === 'spoof').length,
      failures: ofSource.length - scored.length,
      models: perModel,
    };
  });
}

/** Sources with both live and attack images: the only ones an EER exists on, hence the ones the rule counts. */
export function comparableSources(results: readonly SourceMetrics[]): SourceMetrics[] {
  return results.filter((result) => result.nLive > 0 && result.nSpoof > 0);
}

const mean = (values: readonly number[]): number | null =>
  values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;

export interface PerSourceMeans {
  eer: number | null;
  auc: number | null;
}

/** Unweighted mean over sources (each camera counts once, however many images it has) of one model's EER and AUC. */
export function perSourceMeans(results: readonly SourceMetrics[], model: number): PerSourceMeans {
  const comparable = comparableSources(results);
  return {
    eer: mean(comparable.map((result) => result.models[model]!.eer!)),
    auc: mean(comparable.map((result) => result.models[model]!.auc!)),
  };
}

export interface Comparison {
  candidate: number;
  baseline: number;
  /** Comparable sources: those with both live and attack images. */
  sources: number;
  wins: number;
  ties: number;
  losses: number;
  /** Wins the rule needs: ceil(2/3 x sources). */
  winsNeeded: number;
  candidateMeanEer: number | null;
  baselineMeanEer: number | null;
  pass: boolean;
}

/** ceil(2n/3) in integers, so no rounding of 2/3 can move the bar. */
export function winsNeeded(sources: number): number {
  return Math.floor((2 * sources + 2) / 3);
}

/**
 * The opt-in `accurate` preset (issue "Ensemble cards"): an ensemble ships as the preset only when, on the test part,
 * its mean per-source EER is at least this much (absolute, 0.03 = 3 points) below the shipped model's.
 */
export const PRESET_MIN_GAIN = 0.03;

export const PRESET_RULE =
  "an ensemble ships as the 'accurate' preset iff, on the test part, its mean per-source EER is at least 3 points " +
  "below the shipped model's (the default stays one small model)";

/** Whether a comparison against the shipped model clears PRESET_RULE (`comparison.baseline` = the shipped model). */
export function presetPasses(comparison: Comparison): boolean {
  const { candidateMeanEer, baselineMeanEer } = comparison;
  return (
    candidateMeanEer !== null &&
    baselineMeanEer !== null &&
    baselineMeanEer - candidateMeanEer >= PRESET_MIN_GAIN - 1e-12
  );
}

/**
 * Candidate against baseline (model indices) on one part's sources: wins, ties, losses and the verdict of SHIP_RULE's
 * arithmetic. The verdict is the ship decision only on the test part with the shipped model as baseline.
 */
export function compareModels(results: readonly SourceMetrics[], candidate: number, baseline: number): Comparison {
  const comparable = comparableSources(results);
  let wins = 0;
  let ties = 0;
  for (const result of comparable) {
    const ours = result.models[candidate]!.eer!;
    const theirs = result.models[baseline]!.eer!;
    if (ours < theirs) wins++;
    else if (ours === theirs) ties++;
  }
  const candidateMeanEer = perSourceMeans(results, candidate).eer;
  const baselineMeanEer = perSourceMeans(results, baseline).eer;
  const needed = winsNeeded(comparable.length);
  return {
    candidate,
    baseline,
    sources: comparable.length,
    wins,
    ties,
    losses: comparable.length - wins - ties,
    winsNeeded: needed,
    candidateMeanEer,
    baselineMeanEer,
    pass:
      candidateMeanEer !== null &&
      baselineMeanEer !== null &&
      candidateMeanEer < baselineMeanEer &&
      comparable.length > 0 &&
      wins >= needed,
  };
}

/** Indices of the models with the lowest EER on a source (several on a tie; none when it has no EER). */
export function lowestEer(result: SourceMetrics): number[] {
  const eers = result.models.map((model) => model.eer);
  const best = Math.min(...eers.filter((eer): eer is number => eer !== null));
  return eers.flatMap((eer, m) => (eer === best ? [m] : []));
}
