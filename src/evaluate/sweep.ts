import { AntispoofError } from '../errors.js';
import type { ScoredSample } from './types.js';

export const UNKNOWN = 'unknown';

/**
 * Samples sorted once by ascending score, stored column-wise. Every threshold-free metric is one linear sweep over
 * this; a bootstrap resample is only a multiplicity vector over the same order, so it never re-sorts.
 */
export interface SortedScores {
  readonly scores: Float64Array;
  /** 1 = bona fide (live), 0 = attack. */
  readonly live: Uint8Array;
  /** Index into `attacks` for a spoof, -1 for live. */
  readonly attack: Int32Array;
  /** PAI species names, sorted. */
  readonly attacks: readonly string[];
  /** Original row index of each sorted position. */
  readonly order: Int32Array;
}

export function attackOf(row: ScoredSample): string {
  return row.attack === undefined || row.attack === '' ? UNKNOWN : row.attack;
}

export function validateRows(rows: readonly ScoredSample[]): void {
  if (!Array.isArray(rows)) throw new AntispoofError('INVALID_INPUT', 'rows must be an array of scored samples');
  rows.forEach((row, i) => {
    if (typeof row?.score !== 'number' || !Number.isFinite(row.score)) {
      throw new AntispoofError('INVALID_INPUT', `row ${i}: score must be a finite number, got ${String(row?.score)}`);
    }
    if (row.label !== 'live' && row.label !== 'spoof') {
      throw new AntispoofError('INVALID_INPUT', `row ${i}: label must be 'live' or 'spoof', got ${String(row.label)}`);
    }
  });
}

export function validateThreshold(threshold: number): void {
  if (typeof threshold !== 'number' || Number.isNaN(threshold)) {
    throw new AntispoofError('INVALID_INPUT', `threshold must be a number, got ${String(threshold)}`);
  }
}

export function sortScores(rows: readonly ScoredSample[]): SortedScores {
  validateRows(rows);
  const n = rows.length;
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => rows[a]!.score - rows[b]!.score || a - b);
  const attacks = [...new Set(rows.filter((r) => r.label === 'spoof').map(attackOf))].sort();
  const attackIndex = new Map(attacks.map((name, i) => [name, i]));
  const scores = new Float64Array(n);
  const live = new Uint8Array(n);
  const attack = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const row = rows[order[k]!]!;
    scores[k] = row.score;
    live[k] = row.label === 'live' ? 1 : 0;
    attack[k] = row.label === 'live' ? -1 : attackIndex.get(attackOf(row))!;
  }
  return { scores, live, attack, attacks, order };
}

const bits = new DataView(new ArrayBuffer(8));

/** The smallest double greater than x: the "reject everything" threshold just above the highest score. */
export function nextUp(x: number): number {
  if (Number.isNaN(x) || x === Infinity) return x;
  if (x === 0) return Number.MIN_VALUE;
  bits.setFloat64(0, x);
  const raw = bits.getBigInt64(0);
  bits.setBigInt64(0, x > 0 ? raw + 1n : raw - 1n);
  return bits.getFloat64(0);
}

/**
 * Counts at every candidate threshold, ascending: each distinct score present (weight > 0), then nextUp(max score)
 * where everything is rejected. Counts are (weighted) integers, so rate comparisons can be done exactly.
 */
export interface Sweep {
  thresholds: number[];
  /** Bona fide samples with score < threshold. */
  liveRejected: number[];
  /** Attack samples with score >= threshold. */
  spoofAccepted: number[];
  /** Max over present PAI species of its APCER at each threshold (0 when there is no attack sample). */
  apcerWorst: number[];
  nLive: number;
  nSpoof: number;
  /** Sum over live samples of (#spoofs below + #spoofs tied / 2): the Mann-Whitney U of live vs spoof. */
  mannWhitneyU: number;
}

export function sweep(s: SortedScores, weights?: ArrayLike<number>): Sweep {
  const n = s.scores.length;
  const nAttacks = s.attacks.length;
  const spoofTotal = new Float64Array(nAttacks);
  let nLive = 0;
  let nSpoof = 0;
  for (let k = 0; k < n; k++) {
    const w = weights ? weights[k]! : 1;
    if (s.live[k]) nLive += w;
    else {
      nSpoof += w;
      spoofTotal[s.attack[k]!]! += w;
    }
  }
  const out: Sweep = {
    thresholds: [],
    liveRejected: [],
    spoofAccepted: [],
    apcerWorst: [],
    nLive,
    nSpoof,
    mannWhitneyU: 0,
  };
  const spoofBelowByAttack = new Float64Array(nAttacks);
  let liveBelow = 0;
  let spoofBelow = 0;
  let last = NaN;
  for (let i = 0; i < n;) {
    let j = i;
    let liveHere = 0;
    let spoofHere = 0;
    for (; j < n && s.scores[j] === s.scores[i]; j++) {
      const w = weights ? weights[j]! : 1;
      if (s.live[j]) liveHere += w;
      else spoofHere += w;
    }
    if (liveHere + spoofHere > 0) {
      pushPoint(out, s.scores[i]!, liveBelow, spoofBelow, spoofBelowByAttack, spoofTotal);
      out.mannWhitneyU += liveHere * (spoofBelow + spoofHere / 2);
      for (let k = i; k < j; k++) {
        if (!s.live[k]) spoofBelowByAttack[s.attack[k]!]! += weights ? weights[k]! : 1;
      }
      liveBelow += liveHere;
      spoofBelow += spoofHere;
      last = s.scores[i]!;
    }
    i = j;
  }
  if (!Number.isNaN(last)) pushPoint(out, nextUp(last), liveBelow, spoofBelow, spoofBelowByAttack, spoofTotal);
  return out;
}

function pushPoint(
  out: Sweep,
  threshold: number,
  liveBelow: number,
  spoofBelow: number,
  spoofBelowByAttack: Float64Array,
  spoofTotal: Float64Array,
): void {
  let worst = 0;
  for (let a = 0; a < spoofTotal.length; a++) {
    const total = spoofTotal[a]!;
    if (total > 0) worst = Math.max(worst, (total - spoofBelowByAttack[a]!) / total);
  }
  out.thresholds.push(threshold);
  out.liveRejected.push(liveBelow);
  out.spoofAccepted.push(out.nSpoof - spoofBelow);
  out.apcerWorst.push(worst);
}

/** Index of the EER threshold: minimal |APCER - BPCER| (compared exactly on cross-multiplied counts), lowest first. */
export function eerIndex(sw: Sweep): number {
  let best = -1;
  let bestGap = Infinity;
  for (let k = 0; k < sw.thresholds.length; k++) {
    const gap = Math.abs(sw.spoofAccepted[k]! * sw.nLive - sw.liveRejected[k]! * sw.nSpoof);
    if (gap < bestGap) {
      bestGap = gap;
      best = k;
    }
  }
  return best;
}

export function eerFromSweep(sw: Sweep): { eer: number; threshold: number } | null {
  if (sw.nLive === 0 || sw.nSpoof === 0) return null;
  const k = eerIndex(sw);
  return {
    eer: (sw.spoofAccepted[k]! / sw.nSpoof + sw.liveRejected[k]! / sw.nLive) / 2,
    threshold: sw.thresholds[k]!,
  };
}

export function aucFromSweep(sw: Sweep): number | null {
  if (sw.nLive === 0 || sw.nSpoof === 0) return null;
  return sw.mannWhitneyU / (sw.nLive * sw.nSpoof);
}

/**
 * First (lowest) candidate threshold whose APCER is <= target. APCER only falls as the threshold rises and the
 * reject-all threshold has APCER 0, so this is the operating point with the lowest BPCER among those meeting the
 * target. `worst`: constrain the worst-species APCER instead of the pooled one.
 */
export function indexForApcer(sw: Sweep, target: number, worst = false): number {
  for (let k = 0; k < sw.thresholds.length; k++) {
    const apcer = worst ? sw.apcerWorst[k]! : sw.spoofAccepted[k]! / sw.nSpoof;
    if (apcer <= target) return k;
  }
  return -1;
}

/** Last (highest) candidate threshold whose BPCER is <= target: the lowest APCER among those meeting it. */
export function indexForBpcer(sw: Sweep, target: number): number {
  for (let k = sw.thresholds.length - 1; k >= 0; k--) {
    if (sw.liveRejected[k]! / sw.nLive <= target) return k;
  }
  return -1;
}

export function bpcerAtApcer(sw: Sweep, target: number): number | null {
  if (sw.nLive === 0 || sw.nSpoof === 0) return null;
  const k = indexForApcer(sw, target);
  return k < 0 ? null : sw.liveRejected[k]! / sw.nLive;
}
