import { resolve } from 'node:path';
import type { Classifier } from '../classify/index.js';
import { cropFace } from '../crop/index.js';
import type { ManifestEntry } from '../data/manifest.js';
import { forEachLimited } from '../data/pool.js';
import type { FaceDetector } from '../detect/index.js';
import { isAntispoofError } from '../errors.js';
import { decodeImage } from '../image/decode.js';
import { faceOfEntry } from '../data/entry-face.js';
import type { Box } from '../types.js';

export interface ScoredImage {
  path: string;
  label: 'live' | 'spoof';
  attack: string;
  source: string;
  subject: string;
  /** P(live) per classifier, in the order given; empty when the image failed. */
  scores: number[];
  box?: Box;
  error?: string;
}

export interface ScoreOptions {
  root: string;
  classifiers: Classifier[];
  detector: FaceDetector;
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
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
    const base = {
      path: entry.path,
      label: entry.label,
      attack: entry.attack,
      source: entry.source,
      subject: entry.subject,
      scores: [] as number[],
    };
    try {
      const image = await decodeImage(resolve(options.root, entry.path));
      const box = (await faceOfEntry(image, entry.framing, options.detector))?.box;
      if (!box) {
        results[index] = { ...base, error: 'no face detected' };
      } else {
        const scores: number[] = [];
        for (const classifier of options.classifiers) {
          const { crop, input } = classifier.card;
          const [score] = await classifier.classify([
            cropFace(image, box, { cropScale: crop.scale, size: input.size }),
          ]);
          scores.push(score!);
        }
        results[index] = { ...base, scores, box };
      }
    } catch (error) {
      results[index] = { ...base, error: isAntispoofError(error) ? error.message : String(error) };
    }
    options.onProgress?.(++done, entries.length);
  });
  return results;
}
