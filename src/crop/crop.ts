import { AntispoofError } from '../errors.js';
import { checkRgbImage } from '../image/rgb.js';
import type { Box, RgbImage } from '../types.js';
import {
  reflect101,
  shiftedWindow,
  squareAround,
  type CropMode,
  type CropRegion,
  type SquareRegion,
} from './geometry.js';
import { packTaps, resampleTaps, type PackedTaps } from './resample.js';

export interface CropOptions {
  /** Square side as a multiple of the face box's longer side (the model card's crop.scale). */
  cropScale: number;
  /** Output side in pixels (the model card's input.size). */
  size: number;
  /** Window placement (the model card's crop.mode); default `reflect`. */
  mode?: CropMode;
}

/**
 * THE face crop — used by inference, by `prepare` for training data, and by the browser — so the model is
 * fed at inference exactly what it was trained on. Mode `reflect`: a square of cropScale x the box, reflect-101
 * outside the image; mode `shift`: Silent-Face's window kept inside the image (see CropMode). Area-averaged down
 * (bilinear up) to size x size. Throws INVALID_INPUT for a bad box, scale, size or image.
 */
export function cropFace(image: RgbImage, face: Box, options: CropOptions): RgbImage {
  const mode = options.mode ?? 'reflect';
  if (mode === 'shift') {
    checkRgbImage(image);
    return cropRegion(image, shiftedWindow(face, options.cropScale, image.width, image.height), options.size);
  }
  if (mode !== 'reflect')
    throw new AntispoofError('INVALID_INPUT', `crop mode must be reflect or shift, got ${String(mode)}`);
  return cropSquare(image, squareAround(face, options.cropScale), options.size);
}

export function cropSquare(image: RgbImage, region: SquareRegion, size: number): RgbImage {
  return cropRegion(image, { x: region.x, y: region.y, width: region.side, height: region.side }, size);
}

/** A rectangle of the image (reflect-101 outside it) resampled to size x size. */
export function cropRegion(image: RgbImage, region: CropRegion, size: number): RgbImage {
  if (!Number.isInteger(size) || size < 1)
    throw new AntispoofError('INVALID_INPUT', `crop size must be a positive integer, got ${size}`);
  checkRgbImage(image);
  const { width, height, data } = image;
  const columns = packTaps(resampleTaps(region.width, size), (j) => reflect101(region.x + j, width) * 3);
  const rows = packTaps(resampleTaps(region.height, size), (j) => j);
  const lineLength = size * 3;

  // Horizontal pass into one line per region row, only for the rows some output row reads. Lines are float32,
  // and the sums run in the same order as the vertical pass below, so every caller gets identical pixels.
  const lines = new Float32Array(region.height * lineLength);
  const needed = new Uint8Array(region.height);
  for (let oy = 0; oy < size; oy++)
    for (let t = oy * rows.stride; t < oy * rows.stride + rows.counts[oy]!; t++) needed[rows.offsets[t]!] = 1;
  for (let regionRow = 0; regionRow < region.height; regionRow++)
    if (needed[regionRow])
      resampleLine(data, reflect101(region.y + regionRow, height) * width * 3, columns, lines, regionRow * lineLength);

  const out = new Uint8Array(size * lineLength);
  const sums = new Float64Array(lineLength);
  for (let oy = 0; oy < size; oy++) blendLines(lines, rows, oy, sums, out, oy * lineLength);
  return { data: out, width: size, height: size };
}

// The two passes are small functions of typed arrays only, so V8 optimises each once and keeps it: inlined in
// cropSquare, the loops were deoptimised and re-optimised dozens of times per thousand crops.

/** One source row through the column taps: RGB float sums into `lines` at `lineStart`. */
function resampleLine(
  data: Uint8Array,
  rowStart: number,
  columns: PackedTaps,
  lines: Float32Array,
  lineStart: number,
): void {
  const { offsets, weights, counts, stride } = columns;
  for (let ox = 0; ox < counts.length; ox++) {
    const first = ox * stride;
    const end = first + counts[ox]!;
    let r = 0;
    let g = 0;
    let b = 0;
    for (let t = first; t < end; t++) {
      const w = weights[t]!;
      const p = rowStart + offsets[t]!;
      r += w * data[p]!;
      g += w * data[p + 1]!;
      b += w * data[p + 2]!;
    }
    lines[lineStart + ox * 3] = r;
    lines[lineStart + ox * 3 + 1] = g;
    lines[lineStart + ox * 3 + 2] = b;
  }
}

/** Output row `oy`: the weighted sum of the lines its row taps name, rounded to bytes into `out` at `outStart`. */
function blendLines(
  lines: Float32Array,
  rows: PackedTaps,
  oy: number,
  sums: Float64Array,
  out: Uint8Array,
  outStart: number,
): void {
  const lineLength = sums.length;
  sums.fill(0);
  for (let t = oy * rows.stride; t < oy * rows.stride + rows.counts[oy]!; t++) {
    const w = rows.weights[t]!;
    const lineStart = rows.offsets[t]! * lineLength;
    for (let k = 0; k < lineLength; k++) sums[k] = sums[k]! + w * lines[lineStart + k]!;
  }
  for (let k = 0; k < lineLength; k++) out[outStart + k] = Math.min(255, Math.max(0, Math.round(sums[k]!)));
}
