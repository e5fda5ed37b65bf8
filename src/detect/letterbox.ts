import { resampleTaps } from '../crop/resample.js';
import type { Box, Point, RgbImage } from '../types.js';

/**
 * Where the original image sits inside the square model input: model = original * scale + offset, per axis.
 * Scales differ by at most a rounding error between axes because the content size is rounded to whole pixels.
 */
export interface LetterboxTransform {
  size: number;
  /** Size of the resized image inside the square, in model pixels. */
  contentWidth: number;
  contentHeight: number;
  scaleX: number;
  scaleY: number;
  offsetX: number;
  offsetY: number;
}

export interface Letterboxed {
  /** NHWC float32 [size, size, 3], RGB scaled to [-1, 1]; padding is black (-1). */
  tensor: Float32Array;
  transform: LetterboxTransform;
}

export function letterboxTransform(width: number, height: number, size: number): LetterboxTransform {
  const scale = Math.min(size / width, size / height);
  const contentW = Math.max(1, Math.min(size, Math.round(width * scale)));
  const contentH = Math.max(1, Math.min(size, Math.round(height * scale)));
  return {
    size,
    contentWidth: contentW,
    contentHeight: contentH,
    scaleX: contentW / width,
    scaleY: contentH / height,
    offsetX: Math.floor((size - contentW) / 2),
    offsetY: Math.floor((size - contentH) / 2),
  };
}

/** Maps a point in model-input pixels back to original image pixels. */
export function pointToOriginal(p: Point, t: LetterboxTransform): Point {
  return { x: (p.x - t.offsetX) / t.scaleX, y: (p.y - t.offsetY) / t.scaleY };
}

export function pointToModel(p: Point, t: LetterboxTransform): Point {
  return { x: p.x * t.scaleX + t.offsetX, y: p.y * t.scaleY + t.offsetY };
}

export function boxToOriginal(b: Box, t: LetterboxTransform): Box {
  const topLeft = pointToOriginal({ x: b.x, y: b.y }, t);
  return { x: topLeft.x, y: topLeft.y, width: b.width / t.scaleX, height: b.height / t.scaleY };
}

interface FilterTaps {
  /** First source index per output index. */
  start: Int32Array;
  count: Int32Array;
  /** Normalized weights, `maxTaps` per output index. */
  weights: Float32Array;
  maxTaps: number;
}

/**
 * The crop's resampling (area averaging when shrinking, bilinear when enlarging), packed for the hot loops.
 * Area averaging touches every source pixel once — no aliasing of a 5x reduction — at half the taps of a
 * widened triangle filter, which kept detect + crop of a 640x480 frame over 5 ms.
 */
function packedTaps(srcSize: number, dstSize: number): FilterTaps {
  const taps = resampleTaps(srcSize, dstSize);
  const maxTaps = Math.max(...taps.map((t) => t.indices.length));
  const start = new Int32Array(dstSize);
  const count = new Int32Array(dstSize);
  const weights = new Float32Array(dstSize * maxTaps);
  taps.forEach((t, i) => {
    start[i] = t.indices[0]!;
    count[i] = t.indices.length;
    weights.set(t.weights, i * maxTaps);
  });
  return { start, count, weights, maxTaps };
}

let scratchBuffer = new Float32Array(0);

/** A float buffer of at least `length`, reused: letterbox is synchronous, so no two calls share it at once. */
function scratch(length: number): Float32Array {
  if (scratchBuffer.length < length) scratchBuffer = new Float32Array(length);
  return scratchBuffer;
}

/** Resizes `image` to fit a size x size square (aspect ratio kept, centred, black padding) as a [-1, 1] tensor. */
export function letterbox(image: RgbImage, size: number): Letterboxed {
  const { width, height, data } = image;
  const transform = letterboxTransform(width, height, size);
  const { contentWidth: contentW, contentHeight: contentH } = transform;
  const tx = packedTaps(width, contentW);
  const ty = packedTaps(height, contentH);

  // Horizontal pass: height x contentW x 3, into a buffer kept between calls (0.7 MB per 640x480 frame otherwise).
  const horizontal = scratch(height * contentW * 3);
  const ratio = width / contentW;
  if (Number.isInteger(ratio)) boxSumRows(data, width, height, ratio, horizontal);
  else for (let y = 0; y < height; y++) weightedRow(data, y * width * 3, tx, horizontal, y * contentW * 3);

  const tensor = new Float32Array(size * size * 3).fill(-1);
  for (let y = 0; y < contentH; y++) {
    const s0 = ty.start[y]!;
    const n = ty.count[y]!;
    const wBase = y * ty.maxTaps;
    const outRow = ((y + transform.offsetY) * size + transform.offsetX) * 3;
    for (let x = 0; x < contentW; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = 0; k < n; k++) {
        const w = ty.weights[wBase + k]!;
        const p = ((s0 + k) * contentW + x) * 3;
        r += horizontal[p]! * w;
        g += horizontal[p + 1]! * w;
        b += horizontal[p + 2]! * w;
      }
      const o = outRow + x * 3;
      tensor[o] = r / 127.5 - 1;
      tensor[o + 1] = g / 127.5 - 1;
      tensor[o + 2] = b / 127.5 - 1;
    }
  }
  return { tensor, transform };
}

/**
 * Whole-number shrink (640 -> 128, 1280 -> 128, ...: most camera frames): every output pixel is the plain mean of
 * `ratio` source pixels, summed as integers — a third fewer operations than the weighted taps, same means.
 */
function boxSumRows(data: Uint8Array, width: number, height: number, ratio: number, out: Float32Array): void {
  const scale = 1 / ratio;
  const outWidth = width / ratio;
  for (let y = 0; y < height; y++) {
    let p = y * width * 3;
    let o = y * outWidth * 3;
    for (let x = 0; x < outWidth; x++, o += 3) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = 0; k < ratio; k++, p += 3) {
        r += data[p]!;
        g += data[p + 1]!;
        b += data[p + 2]!;
      }
      out[o] = r * scale;
      out[o + 1] = g * scale;
      out[o + 2] = b * scale;
    }
  }
}

function weightedRow(data: Uint8Array, rowStart: number, tx: FilterTaps, out: Float32Array, outStart: number): void {
  for (let x = 0; x < tx.start.length; x++) {
    let r = 0;
    let g = 0;
    let b = 0;
    const s0 = tx.start[x]!;
    const n = tx.count[x]!;
    const wBase = x * tx.maxTaps;
    for (let k = 0; k < n; k++) {
      const w = tx.weights[wBase + k]!;
      const p = rowStart + (s0 + k) * 3;
      r += data[p]! * w;
      g += data[p + 1]! * w;
      b += data[p + 2]! * w;
    }
    const o = outStart + x * 3;
    out[o] = r;
    out[o + 1] = g;
    out[o + 2] = b;
  }
}
