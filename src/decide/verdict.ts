import type { RetryReason } from './quality.js';

export type Verdict = 'live' | 'spoof' | 'retry';

/**
 * A poor-quality face is never accepted: 'retry' asks for a better capture instead of guessing, because a blurred
 * or dark frame hides exactly the texture that tells a screen or a print from skin.
 */
export function decideVerdict(liveScore: number, threshold: number, reasons: readonly RetryReason[]): Verdict {
  if (reasons.length > 0) return 'retry';
  return liveScore >= threshold ? 'live' : 'spoof';
}
