import { resolve } from 'node:path';
import type { LivenessChecker } from '../check.js';
import type { ManifestEntry } from '../data/manifest.js';
import type { FusionOptions } from '../decide/fusion.js';
import { cutIntoSequences, fuseSequence, type SequenceScores } from './sequences.js';

export interface SequenceScoreOptions {
  root: string;
  length: number;
  fusion: FusionOptions;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Manifest frames -> sequences of `length` (cutIntoSequences) -> fused scores. Each frame goes through the checker as
 * a LivenessSession frame would (detection, quality gate, classification); its largest face counts when it passed the
 * gate. An unreadable frame is a retry, as in a session.
 */
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
    const scores: Array<number | null> = [];
    for (const entry of frames) {
      try {
        const result = await checker.check(resolve(options.root, entry.path), {
          wholeImage: entry.framing === 'tight',
        });
        const face = result.faces[0];
        scores.push(face !== undefined && face.reasons.length === 0 ? face.score : null);
      } catch {
        scores.push(null);
      }
      options.onProgress?.(++done, total);
    }
    fused.push(fuseSequence(frames[0]!, scores, options.fusion));
  }
  return fused;
}
