import { sortScores, sweep } from './sweep.js';
import type { CurvePoint, DetPoint, ScoredSample } from './types.js';

/**
 * Operating points at every candidate threshold (each distinct score, then one just above the maximum), sorted by
 * ascending threshold: APCER falls from 1 to 0 while BPCER rises from 0 to 1. Distinct thresholds always differ in
 * at least one rate, so there are no duplicate points. Empty when either class is missing.
 */
export function rocCurve(rows: readonly ScoredSample[]): CurvePoint[] {
  const sw = sweep(sortScores(rows));
  if (sw.nLive === 0 || sw.nSpoof === 0) return [];
  return sw.thresholds.map((threshold, k) => ({
    threshold,
    apcer: sw.spoofAccepted[k]! / sw.nSpoof,
    bpcer: sw.liveRejected[k]! / sw.nLive,
  }));
}

// Acklam's rational approximation of the inverse standard normal CDF (relative error < 1.15e-9).
const A = [
  -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239,
];
const B = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
const C = [
  -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
  2.938163982698783,
];
const D = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
const P_LOW = 0.02425;

const poly = (coef: number[], x: number): number => coef.reduce((acc, c) => acc * x + c, 0);

/** Inverse standard normal CDF; -Infinity at 0, +Infinity at 1, NaN outside [0,1]. */
export function probit(p: number): number {
  if (!(p >= 0 && p <= 1)) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  if (p < P_LOW) {
    const q = Math.sqrt(-2 * Math.log(p));
    return poly(C, q) / (poly(D, q) * q + 1);
  }
  if (p > 1 - P_LOW) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -poly(C, q) / (poly(D, q) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return (poly(A, r) * q) / (poly(B, r) * r + 1);
}

/**
 * DET curve (ISO/IEC 30107-3 uses DET plots of APCER vs BPCER on normal-deviate axes): the ROC points with
 * x = probit(APCER), y = probit(BPCER), rates clipped to [clip, 1 - clip] so the 0 and 1 ends stay finite.
 */
export function detCurve(rows: readonly ScoredSample[], options: { clip?: number } = {}): DetPoint[] {
  const clip = options.clip ?? 1e-4;
  const clamp = (p: number): number => Math.min(1 - clip, Math.max(clip, p));
  return rocCurve(rows).map((p) => ({
    ...p,
    x: probit(clamp(p.apcer)),
    y: probit(clamp(p.bpcer)),
  }));
}
