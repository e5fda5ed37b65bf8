import { cropFace } from '../crop/crop.js';
import type { Box, RgbImage } from '../types.js';
import { viewScales } from './card.js';
import type { Classifier } from './classifier.js';

/**
 * P(live) of each face box in an image: cropped as the classifier's card says (one crop per view), all crops in one
 * classifier call, each face's score the mean over its views.
 */
export async function scoreFaces(classifier: Classifier, image: RgbImage, boxes: readonly Box[]): Promise<number[]> {
  const scales = viewScales(classifier.card);
  const { size } = classifier.card.input;
  const crops = boxes.flatMap((box) => scales.map((cropScale) => cropFace(image, box, { cropScale, size })));
  const scores = await classifier.classify(crops);
  return boxes.map((_, face) => {
    let sum = 0;
    for (let view = 0; view < scales.length; view++) sum += scores[face * scales.length + view]!;
    return sum / scales.length;
  });
}
