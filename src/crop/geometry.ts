import { AntispoofError } from '../errors.js';
import type { Box } from '../types.js';

/** An integer square on the pixel grid; may extend past the image edges. */
export interface SquareRegion {
  x: number;
  y: number;
  side: number;
}

/** An integer rectangle on the pixel grid: the pixels [x, x + width) x [y, y + height) are cropped. */
export interface CropRegion {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * How the crop window is placed (the model card's crop.mode):
 * - `reflect`: a square of cropScale x the box's longer side, centred on the box, reflect-101 padded where it leaves
 *   the image (this project's crop);
 * - `shift`: the box scaled about its centre in width and height separately, the scale first lowered until the window
 *   fits inside the image, then the window slid back inside; no padding, and the resize does not keep the aspect
 *   ratio (Silent-Face's crop, which its pretrained MiniFASNets were trained on).
 */
export type CropMode = 'reflect' | 'shift';

export const CROP_MODES: readonly CropMode[] = ['reflect', 'shift'];

/**
 * The square the classifier sees: side = cropScale x the longer side of the face box, centred on the box,
 * snapped to whole pixels so the same box always gives the same pixels in training and at inference.
 */
export function squareAround(face: Box, cropScale: number): SquareRegion {
  checkBoxAndScale(face, cropScale);
  const side = Math.max(1, Math.round(cropScale * Math.max(face.width, face.height)));
  const centreX = face.x + face.width / 2;
  const centreY = face.y + face.height / 2;
  return { x: Math.round(centreX - side / 2), y: Math.round(centreY - side / 2), side };
}

/**
 * Silent-Face's window (crop mode `shift`), in their integer arithmetic: the scale is lowered to what fits inside a
 * width x height image, the window is slid back inside, and its corners are truncated to whole pixels, both
 * inclusive.
 */
export function shiftedWindow(face: Box, cropScale: number, width: number, height: number): CropRegion {
  checkBoxAndScale(face, cropScale);
  const scale = Math.min((height - 1) / face.height, (width - 1) / face.width, cropScale);
  const [left, right] = slideInside(face.x + face.width / 2, face.width * scale, width);
  const [top, bottom] = slideInside(face.y + face.height / 2, face.height * scale, height);
  const x = Math.max(0, Math.trunc(left));
  const y = Math.max(0, Math.trunc(top));
  return { x, y, width: Math.max(1, Math.trunc(right) - x + 1), height: Math.max(1, Math.trunc(bottom) - y + 1) };
}

/** [start, end] of a span of `length` centred at `centre`, moved back inside [0, size - 1]. */
function slideInside(centre: number, length: number, size: number): [number, number] {
  let start = centre - length / 2;
  let end = centre + length / 2;
  if (start < 0) {
    end -= start;
    start = 0;
  }
  if (end > size - 1) {
    start -= end - size + 1;
    end = size - 1;
  }
  return [start, end];
}

function checkBoxAndScale(face: Box, cropScale: number): void {
  if (![face.x, face.y, face.width, face.height].every(Number.isFinite))
    throw new AntispoofError('INVALID_INPUT', `face box must have finite coordinates`);
  if (!(face.width > 0) || !(face.height > 0))
    throw new AntispoofError('INVALID_INPUT', `face box must have a positive size`);
  if (!(cropScale > 0) || !Number.isFinite(cropScale))
    throw new AntispoofError('INVALID_INPUT', `cropScale must be positive, got ${cropScale}`);
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
