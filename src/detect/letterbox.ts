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
 * Separable triangle (bilinear) filter weights. When shrinking, the triangle is widened to the scale factor so
 * every source pixel contributes (antialiasing); plain 2-tap bilinear at 5x reduction would alias badly and
 * change what the detector sees compared with a camera frame of that size.
 */
function triangleTaps(srcSize: number, dstSize: number): FilterTaps {
  const scale = srcSize / dstSize;
  const support = Math.max(1, scale);
  const maxTaps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(dstSize);
  const count = new Int32Array(dstSize);
  const weights = new Float32Array(dstSize * maxTaps);
  for (let i = 0; i < dstSize; i++) {
    const center = (i + 0.5) * scale;
    const lo = Math.max(0, Math.floor(center - support));
    const hi = Math.min(srcSize, Math.ceil(center + support));
    let total = 0;
    let n = 0;
    for (let s = lo; s < hi && n < maxTaps; s++, n++) {
      const w = Math.max(0, 1 - Math.abs((s + 0.5 - center) / support));
      weights[i * maxTaps + n] = w;
      total += w;
    }
    if (total <= 0) {
      // Cannot happen for valid sizes, but never divide by zero: fall back to nearest neighbour.
      const nearest = Math.min(srcSize - 1, Math.floor(center));
      start[i] = nearest;
      count[i] = 1;
      weights[i * maxTaps] = 1;
      continue;
    }
    for (let k = 0; k < n; k++) weights[i * maxTaps + k] = weights[i * maxTaps + k]! / total;
    start[i] = lo;
    count[i] = n;
  }
  return { start, count, weights, maxTaps };
}

/** Resizes `image` to fit a size x size square (aspect ratio kept, centred, black padding) as a [-1, 1] tensor. */
export function letterbox(image: RgbImage, size: number): Letterboxed {
  const { width, height, data } = image;
  const transform = letterboxTransform(width, height, size);
  const { contentWidth: contentW, contentHeight: contentH } = transform;
  const tx = triangleTaps(width, contentW);
  const ty = triangleTaps(height, contentH);

  // Horizontal pass: height x contentW x 3.
  const horizontal = new Float32Array(height * contentW * 3);
  for (let y = 0; y < height; y++) {
    const row = y * width * 3;
    for (let x = 0; x < contentW; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      const s0 = tx.start[x]!;
      const n = tx.count[x]!;
      const wBase = x * tx.maxTaps;
      for (let k = 0; k < n; k++) {
        const w = tx.weights[wBase + k]!;
        const p = row + (s0 + k) * 3;
        r += data[p]! * w;
        g += data[p + 1]! * w;
        b += data[p + 2]! * w;
      }
      const o = (y * contentW + x) * 3;
      horizontal[o] = r;
      horizontal[o + 1] = g;
      horizontal[o + 2] = b;
    }
  }

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
