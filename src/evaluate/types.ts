/** One scored sample of an evaluation set. */
export interface ScoredSample {
  /** P(live) in [0,1]: higher = more live. The sample is accepted as bona fide when `score >= threshold`. */
  score: number;
  label: 'live' | 'spoof';
  /** PAI species ('print', 'replay', ...); 'none' for live. A spoof without it counts as 'unknown'. */
  attack?: string;
  /** Data set / capture source the sample comes from. */
  source?: string;
  subject?: string;
}

/**
 * ISO/IEC 30107-3 metrics at one decision threshold plus threshold-free summaries. Every rate is a fraction in
 * [0,1], or null when undefined (no sample to measure it on): never NaN.
 */
export interface PadMetrics {
  n: number;
  nLive: number;
  nSpoof: number;
  /** Pooled APCER: fraction of all attack presentations accepted as bona fide. */
  apcer: number | null;
  /** ISO/IEC 30107-3 headline APCER: the maximum APCER over PAI species (attack types). */
  apcerWorst: number | null;
  /** APCER per PAI species, keyed by attack name. */
  apcerByAttack: Record<string, number | null>;
  /** Fraction of bona fide presentations rejected. */
  bpcer: number | null;
  /** (apcerWorst + bpcer) / 2: ACER uses the worst-species APCER, as ISO/IEC 30107-3 does. */
  acer: number | null;
  /** (pooled apcer + bpcer) / 2. */
  hter: number | null;
  accuracy: number | null;
  /**
   * Equal error rate of pooled APCER vs BPCER: over the candidate thresholds (every distinct score, plus one just
   * above the highest score = reject all) take the one where |APCER - BPCER| is smallest (the lowest such
   * threshold on a tie) and report the mean of the two rates there. No interpolation.
   */
  eer: number | null;
  eerThreshold: number | null;
  /** P(random live scores above random spoof), ties count 1/2 (Mann-Whitney). */
  auc: number | null;
  /** Lowest BPCER over candidate thresholds whose pooled APCER <= 1% (ISO/IEC 30107-3 BPCER100). */
  bpcer100: number | null;
  /** Lowest BPCER over candidate thresholds whose pooled APCER <= 5% (BPCER20). */
  bpcer20: number | null;
}

/** Error rates measured at one threshold. */
export interface OperatingPoint {
  threshold: number;
  apcer: number;
  apcerWorst: number;
  bpcer: number;
}

export interface CurvePoint {
  threshold: number;
  apcer: number;
  bpcer: number;
}

export interface DetPoint extends CurvePoint {
  /** probit(APCER), clipped. */
  x: number;
  /** probit(BPCER), clipped. */
  y: number;
}

export interface Interval {
  /** The metric on the full (not resampled) data. */
  estimate: number | null;
  lo: number;
  hi: number;
}

export type ClusterKey = 'subject' | 'source';

export interface BootstrapCi {
  iterations: number;
  seed: number;
  level: number;
  cluster: ClusterKey | null;
  apcer: Interval | null;
  apcerWorst: Interval | null;
  bpcer: Interval | null;
  acer: Interval | null;
  eer: Interval | null;
  auc: Interval | null;
}

/** A model's metrics at its threshold: what the eval JSON and the HTML report share. */
export interface ModelMetrics {
  name: string;
  file: string;
  threshold: number;
  overall: PadMetrics;
  ci?: BootstrapCi;
  bySource: Record<string, PadMetrics>;
  byAttack: Record<string, PadMetrics>;
}
