import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createClassifier,
  singleCard,
  createFaceDetector,
  createLivenessChecker,
  cropFace,
  decodeImage,
  viewScales,
} from '../src/index.js';
import { samplePhoto } from './helpers/images.js';

// Models kept for outside measurement but not shipped (training/candidates/README.md): each must load as a user would
// load it, stay within the size budget, and score faces as its card says (the mean over its test-time views).
const DIR = join(import.meta.dirname, '..', 'training', 'candidates');
const cards = readdirSync(DIR).filter((name) => name.endsWith('.json'));

describe('training/candidates', () => {
  it('holds at least one card', () => expect(cards.length).toBeGreaterThan(0));

  it.each(cards)(
    '%s loads, is <= 600 KB, and scores a face as the mean over its views, cropped as its card says',
    async (name) => {
      const classifier = await createClassifier({ model: join(DIR, name) });
      expect(statSync(classifier.modelFile).size).toBeLessThanOrEqual(600 * 1024);
      const detector = await createFaceDetector();
      const image = await decodeImage(samplePhoto(1));
      const [face] = await detector.detect(image);
      const card = singleCard(classifier.card, 'a candidate');
      const size = card.input.size;
      const views = await classifier.classify(
        viewScales(card).map((cropScale) => cropFace(image, face!.box, { cropScale, size, mode: card.crop.mode })),
      );
      const checker = await createLivenessChecker({ model: join(DIR, name) });
      const result = await checker.check(image, { box: face!.box });
      expect(result.faces[0]!.score).toBeCloseTo(views.reduce((a, b) => a + b, 0) / views.length, 6);
      expect(checker.threshold).toBe(classifier.card.threshold.live);
      await Promise.all([checker.close(), classifier.close(), detector.close()]);
    },
  );
});
