import { computeMetrics } from './metrics.js';
import type { ScoredSample } from './types.js';

export {
  assignYardstick,
  crc32,
  NUAA_SOURCE,
  nuaaValidationSet,
  parseYardstickSplit,
  webBucket,
  yardstickSources,
  yardstickSplit,
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

/** The fixed selection rule, printed with every verdict. */
export const YARDSTICK_RULE =
  "PASS iff the candidate's mean per-source EER < the baseline's AND the candidate wins (strictly lower EER; " +
  'ties are not wins) on >= ceil(2/3 x number of sources) sources';

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

/** Candidate against baseline (model indices) on the yardstick sources, and the verdict of YARDSTICK_RULE. */
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
