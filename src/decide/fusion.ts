/** Log-odds of a probability, clamped so a single 0 or 1 cannot dominate a mean. */
export function logit(p: number): number {
  const q = Math.min(1 - 1e-6, Math.max(1e-6, p));
  return Math.log(q / (1 - q));
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

export interface FusionOptions {
  /** Good frames needed before a decision; until then the answer is 'retry'. */
  minFrames: number;
  /** Most recent good frames averaged. */
  window: number;
}

export const DEFAULT_FUSION: FusionOptions = { minFrames: 5, window: 15 };

/**
 * Windowed mean of per-frame log-odds. Averaging in log-odds, not probabilities, lets consistent moderate
 * evidence add up, while one confident frame cannot outvote many frames that disagree.
 */
export class ScoreFusion {
  private readonly logOdds: number[] = [];
  constructor(private readonly options: FusionOptions = DEFAULT_FUSION) {}

  add(liveScore: number): void {
    this.logOdds.push(logit(liveScore));
    if (this.logOdds.length > this.options.window) this.logOdds.shift();
  }

  get frames(): number {
    return this.logOdds.length;
  }

  get ready(): boolean {
    return this.logOdds.length >= this.options.minFrames;
  }

  /** Fused P(live), or null before the first good frame. */
  get score(): number | null {
    if (this.logOdds.length === 0) return null;
    return sigmoid(this.logOdds.reduce((sum, value) => sum + value, 0) / this.logOdds.length);
  }
}
