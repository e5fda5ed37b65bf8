import type { FaceDetector } from '../detect/index.js';
import type { DetectedFace, RgbImage } from '../types.js';
import type { Framing } from './manifest.js';

/**
 * The face a manifest image is about: the whole image for `tight` framing (a detector often misses a face that
 * fills the frame; score NaN as nothing was detected), otherwise the largest detected face — in a capture for
 * liveness the subject is the nearest person. Used by `prepare` and `eval` alike.
 */
export async function faceOfEntry(
  image: RgbImage,
  framing: Framing,
  detector: FaceDetector,
): Promise<DetectedFace | undefined> {
  if (framing === 'tight')
    return { box: { x: 0, y: 0, width: image.width, height: image.height }, keypoints: [], score: Number.NaN };
  const area = (face: DetectedFace) => face.box.width * face.box.height;
  return (await detector.detect(image)).reduce<DetectedFace | undefined>(
    (best, face) => (!best || area(face) > area(best) ? face : best),
    undefined,
  );
}
