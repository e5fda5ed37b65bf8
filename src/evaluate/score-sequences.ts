import { resolve } from 'node:path';
import type { CheckResult, LivenessChecker } from '../check.js';
import type { ManifestEntry } from '../data/manifest.js';
import { forEachLimited } from '../data/pool.js';
import type { FusionOptions } from '../decide/fusion.js';
import { isAntispoofError } from '../errors.js';
import { describeEntry, type ScoredImage } from './score-manifest.js';
import { cutIntoSequences, fuseSequence, sessionFrameScore, type SequenceScores } from './sequences.js';

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

/** A manifest image after the checker: its result, or why there is none. */
export type CheckedImage = CheckResult | { error: string };

/**
 * Every manifest image through the checker once (decoded once, `concurrency` at a time), in manifest order: enough
 * for frame scores (scoredFromChecks) and for sequences (fuseCheckedSequences) without reading an image twice.
 */
export async function checkManifest(
  entries: readonly ManifestEntry[],
  checker: LivenessChecker,
  options: { root: string; concurrency?: number; onProgress?: (done: number, total: number) => void },
): Promise<CheckedImage[]> {
  const checked: CheckedImage[] = new Array(entries.length);
  let done = 0;
  await forEachLimited(entries.entries(), options.concurrency ?? 2, async ([index, entry]) => {
    try {
      checked[index] = await checker.check(resolve(options.root, entry.path), {
        wholeImage: entry.framing === 'tight',
      });
    } catch (error) {
      checked[index] = { error: isAntispoofError(error) ? error.message : String(error) };
    }
    options.onProgress?.(++done, entries.length);
  });
  return checked;
}

/**
 * Frame scores of checked images, as scoreManifest gives them for one classifier: P(live) of the face an entry is
 * about (the largest, listed first; the whole image for tight framing), whatever the quality gate said.
 */
export function scoredFromChecks(entries: readonly ManifestEntry[], checked: readonly CheckedImage[]): ScoredImage[] {
  return entries.map((entry, index) => {
    const base = describeEntry(entry);
    const image = checked[index]!;
    if ('error' in image) return { ...base, scores: [], error: image.error };
    const face = image.faces[0];
    return face ? { ...base, scores: [face.score], box: face.box } : { ...base, scores: [], error: 'no face detected' };
  });
}

/** Checked frames cut into sequences of `length` (cutIntoSequences) and fused as a session would fuse them. */
export function fuseCheckedSequences(
  entries: readonly ManifestEntry[],
  checked: readonly CheckedImage[],
  length: number,
  fusion: FusionOptions,
): SequenceScores[] {
  const indexed = entries.map((entry, index) => ({ ...entry, index }));
  return cutIntoSequences(indexed, length).map((frames) =>
    fuseSequence(
      frames[0]!,
      frames.map(({ index }) => {
        const image = checked[index]!;
        return 'error' in image ? null : sessionFrameScore(image);
      }),
      fusion,
    ),
  );
}
