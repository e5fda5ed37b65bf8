import { AntispoofError } from '../errors.js';
import {
  aucFromSweep,
  bpcerAtApcer,
  eerFromSweep,
  indexForApcer,
  indexForBpcer,
  sortScores,
  sweep,
  validateThreshold,
  type SortedScores,
  type Sweep,
} from './sweep.js';
import type { OperatingPoint, PadMetrics, ScoredSample } from './types.js';

const ratio = (num: number, den: number): number | null => (den > 0 ? num / den : null);
const mean2 = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : (a + b) / 2);

/**
 * All ISO/IEC 30107-3 metrics of `rows` at `threshold` (accepted as bona fide when score >= threshold).
 * ACER = (apcerWorst + bpcer) / 2, i.e. with the worst-PAI-species APCER as the standard prescribes; HTER uses the
 * pooled APCER. See PadMetrics for the EER and BPCER100/BPCER20 definitions.
 */
export function computeMetrics(rows: readonly ScoredSample[], threshold: number): PadMetrics {
  validateThreshold(threshold);
  return metricsOfSorted(sortScores(rows), threshold);
}

/** computeMetrics on pre-sorted samples, each counted `weights[k]` times (a bootstrap resample). */
export function metricsOfSorted(s: SortedScores, threshold: number, weights?: ArrayLike<number>): PadMetrics {
  const nAttacks = s.attacks.length;
  const spoofN = new Float64Array(nAttacks);
  const spoofAccepted = new Float64Array(nAttacks);
  let nLive = 0;
  let liveRejected = 0;
  for (let k = 0; k < s.scores.length; k++) {
    const w = weights ? weights[k]! : 1;
    if (w === 0) continue;
    const accepted = s.scores[k]! >= threshold;
    if (s.live[k]) {
      nLive += w;
      if (!accepted) liveRejected += w;
    } else {
      const a = s.attack[k]!;
      spoofN[a]! += w;
      if (accepted) spoofAccepted[a]! += w;
    }
  }
  const apcerByAttack: Record<string, number | null> = {};
  let nSpoof = 0;
  let spoofAcceptedAll = 0;
  let apcerWorst: number | null = null;
  for (let a = 0; a < nAttacks; a++) {
    if (spoofN[a] === 0) continue;
    const rate = spoofAccepted[a]! / spoofN[a]!;
    apcerByAttack[s.attacks[a]!] = rate;
    apcerWorst = apcerWorst === null ? rate : Math.max(apcerWorst, rate);
    nSpoof += spoofN[a]!;
    spoofAcceptedAll += spoofAccepted[a]!;
  }
  const n = nLive + nSpoof;
  const apcer = ratio(spoofAcceptedAll, nSpoof);
  const bpcer = ratio(liveRejected, nLive);
  const sw = sweep(s, weights);
  const eer = eerFromSweep(sw);
  return {
    n,
    nLive,
    nSpoof,
    apcer,
    apcerWorst,
    apcerByAttack,
    bpcer,
    acer: mean2(apcerWorst, bpcer),
    hter: mean2(apcer, bpcer),
    accuracy: ratio(nLive - liveRejected + nSpoof - spoofAcceptedAll, n),
    eer: eer?.eer ?? null,
    eerThreshold: eer?.threshold ?? null,
    auc: aucFromSweep(sw),
    bpcer100: bpcerAtApcer(sw, 0.01),
    bpcer20: bpcerAtApcer(sw, 0.05),
  };
}

function validateTarget(target: number): void {
  if (typeof target !== 'number' || !(target >= 0 && target <= 1)) {
    throw new AntispoofError('INVALID_INPUT', `target rate must be in [0,1], got ${String(target)}`);
  }
}

function pointAt(sw: Sweep, k: number): OperatingPoint {
  return {
    threshold: sw.thresholds[k]!,
    apcer: sw.spoofAccepted[k]! / sw.nSpoof,
    apcerWorst: sw.apcerWorst[k]!,
    bpcer: sw.liveRejected[k]! / sw.nLive,
  };
}

export interface ApcerTargetOptions {
  /** Which APCER must meet the target: 'pooled' (default) or 'worst' (every PAI species). */
  apcer?: 'pooled' | 'worst';
}

/**
 * Calibration: the lowest threshold (hence lowest BPCER) whose measured APCER is <= target, so the achieved APCER
 * never exceeds it. Candidate thresholds are the observed scores plus one just above the maximum (APCER 0).
 * null when there is no live or no spoof sample.
 */
export function thresholdForApcer(
  rows: readonly ScoredSample[],
  target: number,
  options: ApcerTargetOptions = {},
): OperatingPoint | null {
  validateTarget(target);
  const sw = sweep(sortScores(rows));
  if (sw.nLive === 0 || sw.nSpoof === 0) return null;
  return pointAt(sw, indexForApcer(sw, target, options.apcer === 'worst'));
}

/**
 * The highest threshold (hence lowest APCER) whose measured BPCER is <= target; the lowest observed score always
 * qualifies (BPCER 0). null when there is no live or no spoof sample.
 */
export function thresholdForBpcer(rows: readonly ScoredSample[], target: number): OperatingPoint | null {
  validateTarget(target);
  const sw = sweep(sortScores(rows));
  if (sw.nLive === 0 || sw.nSpoof === 0) return null;
  return pointAt(sw, indexForBpcer(sw, target));
}
