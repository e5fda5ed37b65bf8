import { packTaps, resampleTaps, type PackedTaps } from '../crop/resample.js';
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
  // The crop's resampling (area averaging when shrinking, bilinear when enlarging): every source pixel counts once,
  // so a 5x reduction does not alias.
  const ty = packTaps(resampleTaps(height, contentH), (j) => j * contentW * 3);

  // Horizontal pass: height x contentW x 3, into a buffer kept between calls (0.7 MB per 640x480 frame otherwise).
  const horizontal = scratch(height * contentW * 3);
  const ratio = width / contentW;
  if (Number.isInteger(ratio)) boxSumRows(data, width, height, ratio, horizontal);
  else {
    const tx = packTaps(resampleTaps(width, contentW), (j) => j * 3);
    for (let y = 0; y < height; y++) weightedRow(data, y * width * 3, tx, horizontal, y * contentW * 3);
  }

  const tensor = new Float32Array(size * size * 3).fill(-1);
  for (let y = 0; y < contentH; y++) {
    const first = y * ty.stride;
    const end = first + ty.counts[y]!;
    const outRow = ((y + transform.offsetY) * size + transform.offsetX) * 3;
    for (let x = 0; x < contentW; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let t = first; t < end; t++) {
        const w = ty.weights[t]!;
        const p = ty.offsets[t]! + x * 3;
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
 * `ratio` source pixels, summed as integers — a third fewer operations than the weighted taps; the means differ from
 * the weighted sums only by float rounding (<= 1.2e-7 of the [-1, 1] range).
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

function weightedRow(data: Uint8Array, rowStart: number, tx: PackedTaps, out: Float32Array, outStart: number): void {
  for (let x = 0; x < tx.counts.length; x++) {
    let r = 0;
    let g = 0;
    let b = 0;
    const end = x * tx.stride + tx.counts[x]!;
    for (let t = x * tx.stride; t < end; t++) {
      const w = tx.weights[t]!;
      const p = rowStart + tx.offsets[t]!;
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
