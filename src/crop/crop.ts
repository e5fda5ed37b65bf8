import type { Box, RgbImage } from '../types.js';
import { reflect101, squareAround, type SquareRegion } from './geometry.js';
import { resampleTaps } from './resample.js';

export interface CropOptions {
  /** Square side as a multiple of the face box's longer side (the model card's crop.scale). */
  cropScale: number;
  /** Output side in pixels (the model card's input.size). */
  size: number;
}

/**
 * THE face crop — used by inference, by `prepare` for training data, and by the browser — so the model is
 * fed at inference exactly what it was trained on. Square of cropScale x the box, reflect-101 outside the image,
 * area-averaged down (bilinear up) to size x size.
 */
export function cropFace(image: RgbImage, face: Box, options: CropOptions): RgbImage {
  return cropSquare(image, squareAround(face, options.cropScale), options.size);
}

export function cropSquare(image: RgbImage, region: SquareRegion, size: number): RgbImage {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`crop size must be a positive integer, got ${size}`);
  const { width, height, data } = image;
  const columnTaps = resampleTaps(region.side, size);
  const rowTaps = resampleTaps(region.side, size);
  const imageColumn = (j: number) => reflect101(region.x + j, width);
  const imageRow = (j: number) => reflect101(region.y + j, height);

  // Horizontal pass, only for region rows some output row reads.
  const rowsNeeded = new Map<number, Float32Array>();
  for (const taps of rowTaps)
    for (const j of taps.indices) if (!rowsNeeded.has(j)) rowsNeeded.set(j, new Float32Array(0));
  const columnOffsets = columnTaps.map((taps) => Int32Array.from(taps.indices, (j) => imageColumn(j) * 3));
  for (const regionRow of rowsNeeded.keys()) {
    const rowStart = imageRow(regionRow) * width * 3;
    const line = new Float32Array(size * 3);
    for (let ox = 0; ox < size; ox++) {
      const { weights } = columnTaps[ox]!;
      const offsets = columnOffsets[ox]!;
      let r = 0;
      let g = 0;
      let b = 0;
      for (let t = 0; t < weights.length; t++) {
        const w = weights[t]!;
        const p = rowStart + offsets[t]!;
        r += w * data[p]!;
        g += w * data[p + 1]!;
        b += w * data[p + 2]!;
      }
      line[ox * 3] = r;
      line[ox * 3 + 1] = g;
      line[ox * 3 + 2] = b;
    }
    rowsNeeded.set(regionRow, line);
  }

  const out = new Uint8Array(size * size * 3);
  for (let oy = 0; oy < size; oy++) {
    const { indices, weights } = rowTaps[oy]!;
    const lines = Array.from(indices, (j) => rowsNeeded.get(j)!);
    const outRow = oy * size * 3;
    for (let k = 0; k < size * 3; k++) {
      let value = 0;
      for (let t = 0; t < weights.length; t++) value += weights[t]! * lines[t]![k]!;
      out[outRow + k] = Math.min(255, Math.max(0, Math.round(value)));
    }
  }
  return { data: out, width: size, height: size };
}
