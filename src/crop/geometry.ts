import { AntispoofError } from '../errors.js';
import type { Box } from '../types.js';

/** An integer square on the pixel grid; may extend past the image edges. */
export interface SquareRegion {
  x: number;
  y: number;
  side: number;
}

/**
 * The square the classifier sees: side = cropScale x the longer side of the face box, centred on the box,
 * snapped to whole pixels so the same box always gives the same pixels in training and at inference.
 */
export function squareAround(face: Box, cropScale: number): SquareRegion {
  if (![face.x, face.y, face.width, face.height].every(Number.isFinite))
    throw new AntispoofError('INVALID_INPUT', `face box must have finite coordinates`);
  if (!(face.width > 0) || !(face.height > 0))
    throw new AntispoofError('INVALID_INPUT', `face box must have a positive size`);
  if (!(cropScale > 0) || !Number.isFinite(cropScale))
    throw new AntispoofError('INVALID_INPUT', `cropScale must be positive, got ${cropScale}`);
  const side = Math.max(1, Math.round(cropScale * Math.max(face.width, face.height)));
  const centreX = face.x + face.width / 2;
  const centreY = face.y + face.height / 2;
  return { x: Math.round(centreX - side / 2), y: Math.round(centreY - side / 2), side };
}

/** The face box scaled about its centre: how much a model's score moves when a detector draws a looser box. */
export function scaleBox(box: Box, factor: number): Box {
  const width = box.width * factor;
  const height = box.height * factor;
  return {
    x: box.x + (box.width - width) / 2,
    y: box.y + (box.height - height) / 2,
    width,
    height,
  };
}

/**
 * Reflect-101 (OpenCV BORDER_REFLECT_101, "gfedcb|abcdefgh|gfedcba"): the edge pixel is not repeated, so padding
 * does not create the flat bands a replicate border would, which a texture classifier could read as a cue.
 */
export function reflect101(index: number, length: number): number {
  if (length === 1) return 0;
  const period = 2 * length - 2;
  let i = index % period;
  if (i < 0) i += period;
  return i < length ? i : period - i;
}
