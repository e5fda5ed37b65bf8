import { AntispoofError } from '../errors.js';
import { metricsOfSorted } from './metrics.js';
import { sortScores, validateThreshold } from './sweep.js';
import type { BootstrapCi, ClusterKey, Interval, PadMetrics, ScoredSample } from './types.js';

/** mulberry32: a tiny, fast 32-bit seeded PRNG; uniform in [0,1). Good enough for resampling, not for crypto. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Percentile of sorted values, linear interpolation between order statistics (Hyndman-Fan type 7). */
export function quantileSorted(sorted: readonly number[], p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

export interface BootstrapOptions {
  /** Resamples; default 1000. */
  iterations?: number;
  /** PRNG seed; default 1. Same seed + same rows = same intervals. */
  seed?: number;
  /**
   * Resample whole clusters (all samples of one subject or source) with replacement, so correlated samples of one
   * person do not narrow the interval. A sample without the field is its own cluster. Default: single samples.
   */
  cluster?: ClusterKey;
  /** Confidence level; default 0.95. */
  level?: number;
}

const METRICS = ['apcer', 'apcerWorst', 'bpcer', 'acer', 'eer', 'auc'] as const;
type CiMetric = (typeof METRICS)[number];

/**
 * Percentile bootstrap confidence intervals at `threshold`. Each resample draws as many clusters as there are, with
 * replacement, and recomputes the metrics; a metric undefined in a resample (e.g. no live sample drawn) is left out
 * of that metric's distribution, and its interval is null when it is undefined in every resample.
 */
export function bootstrapCi(
  rows: readonly ScoredSample[],
  threshold: number,
  options: BootstrapOptions = {},
): BootstrapCi {
  const iterations = options.iterations ?? 1000;
  const seed = options.seed ?? 1;
  const level = options.level ?? 0.95;
  const cluster = options.cluster ?? null;
  validateThreshold(threshold);
  if (!Number.isInteger(iterations) || iterations < 1) {
    throw new AntispoofError('INVALID_INPUT', `iterations must be a positive integer, got ${String(iterations)}`);
  }
  if (!(level > 0 && level < 1)) throw new AntispoofError('INVALID_INPUT', `level must be in (0,1), got ${level}`);
  const s = sortScores(rows);
  const n = s.scores.length;
  const full = metricsOfSorted(s, threshold);

  // Cluster id of each sorted position.
  const clusterOf = new Int32Array(n);
  let nClusters = 0;
  if (cluster === null) {
    for (let k = 0; k < n; k++) clusterOf[k] = nClusters++;
  } else {
    const ids = new Map<string, number>();
    for (let k = 0; k < n; k++) {
      const value = rows[s.order[k]!]![cluster];
      if (value === undefined || value === '') clusterOf[k] = nClusters++;
      else {
        let id = ids.get(value);
        if (id === undefined) ids.set(value, (id = nClusters++));
        clusterOf[k] = id;
      }
    }
  }

  const random = mulberry32(seed);
  const draws = new Float64Array(nClusters);
  const weights = new Float64Array(n);
  const samples: Record<CiMetric, number[]> = {
    apcer: [],
    apcerWorst: [],
    bpcer: [],
    acer: [],
    eer: [],
    auc: [],
  };
  for (let it = 0; it < iterations && n > 0; it++) {
    draws.fill(0);
    for (let c = 0; c < nClusters; c++) draws[Math.floor(random() * nClusters)]! += 1;
    for (let k = 0; k < n; k++) weights[k] = draws[clusterOf[k]!]!;
    const m = metricsOfSorted(s, threshold, weights);
    for (const key of METRICS) {
      const v = m[key];
      if (v !== null) samples[key].push(v);
    }
  }

  const alpha = (1 - level) / 2;
  const interval = (key: CiMetric, estimate: PadMetrics[CiMetric]): Interval | null => {
    const values = samples[key].sort((a, b) => a - b);
    if (values.length === 0) return null;
    return {
      estimate,
      lo: quantileSorted(values, alpha),
      hi: quantileSorted(values, 1 - alpha),
    };
  };
  return {
    iterations,
    seed,
    level,
    cluster,
    apcer: interval('apcer', full.apcer),
    apcerWorst: interval('apcerWorst', full.apcerWorst),
    bpcer: interval('bpcer', full.bpcer),
    acer: interval('acer', full.acer),
    eer: interval('eer', full.eer),
    auc: interval('auc', full.auc),
  };
}
