import type { ManifestEntry } from '../data/manifest.js';
import { AntispoofError } from '../errors.js';
import { thresholdForBpcer } from './metrics.js';
import type { ScoredSample } from './types.js';

export const PROTOCOLS = ['celeba-spoof-intra'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

/**
 * CelebA-Spoof intra-dataset test (Zhang et al., ECCV 2020): the official test split, as written by
 * `antispoof manifest celeba-spoof` in the `split` column.
 */
export function protocolEntries(protocol: Protocol, entries: ManifestEntry[], manifestFile: string): ManifestEntry[] {
  if (entries.length > 0 && !('split' in entries[0]!.columns))
    throw new AntispoofError(
      'INVALID_INPUT',
      `--protocol ${protocol}: manifest ${manifestFile} has no "split" column (write it with antispoof manifest celeba-spoof)`,
    );
  return entries.filter((entry) => entry.columns.split === 'test');
}

export interface CelebaSpoofReport {
  /** Spoof is the positive class, as in the CelebA-Spoof paper: TPR = attacks rejected, FPR = live rejected. */
  tprAtFpr1: number | null;
  tprAtFpr05: number | null;
  tprAtFpr01: number | null;
}

/** TPR at a given FPR = 1 - APCER at the highest threshold whose BPCER stays within that FPR. */
export function celebaSpoofReport(rows: readonly ScoredSample[]): CelebaSpoofReport {
  const tprAt = (fpr: number) => {
    const point = thresholdForBpcer(rows, fpr);
    return point ? 1 - point.apcer : null;
  };
  return { tprAtFpr1: tprAt(0.01), tprAtFpr05: tprAt(0.005), tprAtFpr01: tprAt(0.001) };
}
