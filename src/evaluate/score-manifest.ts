import { resolve } from 'node:path';
import { scoreFacesWithMembers, type Classifier } from '../classify/index.js';
import type { ManifestEntry } from '../data/manifest.js';
import { forEachLimited } from '../data/pool.js';
import type { FaceDetector } from '../detect/index.js';
import { isAntispoofError } from '../errors.js';
import { decodeImage } from '../image/decode.js';
import { faceOfEntry } from '../data/entry-face.js';
import type { Box } from '../types.js';
import { scaleBox } from '../crop/geometry.js';

export interface ScoredImage {
  path: string;
  label: 'live' | 'spoof';
  attack: string;
  source: string;
  subject: string;
  /** P(live) per classifier, in the order given; empty when the image failed. */
  scores: number[];
  box?: Box;
  /**
   * Per classifier, its ensemble members' own P(live) of the face, in card order ([] for a single network); present
   * when any classifier is an ensemble.
   */
  memberScores?: number[][];
  /** With `boxScales`: P(live) per scale (in that order), per classifier, from the face box scaled about its centre. */
  scaledScores?: number[][];
  error?: string;
}

export interface ScoreOptions {
  root: string;
  classifiers: Classifier[];
  detector: FaceDetector;
  concurrency?: number;
  /** Also score crops of the face box scaled by these factors (bench/yardstick.ts: box-scale sensitivity). */
  boxScales?: readonly number[];
  onProgress?: (done: number, total: number) => void;
}

/** The manifest fields a scored image carries. */
export function describeEntry(
  entry: ManifestEntry,
): Pick<ScoredImage, 'path' | 'label' | 'attack' | 'source' | 'subject'> {
  return { path: entry.path, label: entry.label, attack: entry.attack, source: entry.source, subject: entry.subject };
}

/**
 * Scores every manifest image with every classifier, detecting each face once. Images are decoded a few at a time
 * and dropped after scoring, so memory does not grow with the manifest.
 */
export async function scoreManifest(entries: readonly ManifestEntry[], options: ScoreOptions): Promise<ScoredImage[]> {
  const results: ScoredImage[] = new Array(entries.length);
  let done = 0;
  const indexed = entries.map((entry, index) => ({ entry, index }));
  await forEachLimited(indexed, options.concurrency ?? 2, async ({ entry, index }) => {
    const base = { ...describeEntry(entry), scores: [] as number[] };
    try {
      const image = await decodeImage(resolve(options.root, entry.path));
      const box = (await faceOfEntry(image, entry.framing, options.detector))?.box;
      if (!box) {
        results[index] = { ...base, error: 'no face detected' };
      } else {
        const scales = options.boxScales ?? [];
        const boxes = [box, ...scales.map((factor) => scaleBox(box, factor))];
        const scores: number[] = [];
        const scaledScores: number[][] = scales.map(() => []);
        const memberScores: number[][] = [];
        for (const classifier of options.classifiers) {
          const scored = await scoreFacesWithMembers(classifier, image, boxes);
          const [score, ...scaled] = scored.scores;
          scores.push(score!);
          scaled.forEach((value, s) => scaledScores[s]!.push(value));
          memberScores.push(scored.members.map((member) => member.scores[0]!));
        }
        results[index] = {
          ...base,
          scores,
          box,
          ...(scales.length > 0 ? { scaledScores } : {}),
          ...(memberScores.some((members) => members.length > 0) ? { memberScores } : {}),
        };
      }
    } catch (error) {
      results[index] = { ...base, error: isAntispoofError(error) ? error.message : String(error) };
    }
    options.onProgress?.(++done, entries.length);
  });
  return results;
}
