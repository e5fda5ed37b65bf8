import { resolve } from 'node:path';
import type { CheckResult, LivenessChecker } from '../check.js';
import type { ManifestEntry } from '../data/manifest.js';
import type { FusionOptions } from '../decide/fusion.js';
import { cutIntoSequences, fuseSequence, sessionFrameScore, type SequenceScores } from './sequences.js';

export interface SequenceScoreOptions {
  root: string;
  length: number;
  fusion: FusionOptions;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Each frame through the checker as a LivenessSession frame would go (detection, quality gate, classification);
 * null for a frame that could not be read, which a session answers with retry. `onFrame` runs after every frame.
 */
export async function checkFrames(
  frames: readonly ManifestEntry[],
  checker: LivenessChecker,
  root: string,
  onFrame?: () => void,
): Promise<Array<CheckResult | null>> {
  const results: Array<CheckResult | null> = [];
  for (const entry of frames) {
    try {
      results.push(await checker.check(resolve(root, entry.path), { wholeImage: entry.framing === 'tight' }));
    } catch {
      results.push(null);
    }
    onFrame?.();
  }
  return results;
}

/** Manifest frames -> sequences of `length` (cutIntoSequences) -> checked frames (checkFrames) -> fused scores. */
export async function scoreSequences(
  entries: readonly ManifestEntry[],
  checker: LivenessChecker,
  options: SequenceScoreOptions,
): Promise<SequenceScores[]> {
  const sequences = cutIntoSequences(entries, options.length);
  const total = sequences.length * options.length;
  let done = 0;
  const fused: SequenceScores[] = [];
  for (const frames of sequences) {
    const results = await checkFrames(frames, checker, options.root, () => options.onProgress?.(++done, total));
    fused.push(fuseSequence(frames[0]!, results.map(sessionFrameScore), options.fusion));
  }
  return fused;
}
