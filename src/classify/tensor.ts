import { AntispoofError } from '../errors.js';
import type { RgbImage } from '../types.js';
import type { ModelCard } from './card.js';

/** Packs face crops into one float32 batch laid out and normalised as the card says. */
export function cropsToTensorData(crops: readonly RgbImage[], input: ModelCard['input']): Float32Array {
  const { size, layout, channelOrder, scale, mean, std } = input;
  const plane = size * size;
  const out = new Float32Array(crops.length * 3 * plane);
  const order = channelOrder === 'RGB' ? [0, 1, 2] : [2, 1, 0];
  crops.forEach((crop, n) => {
    if (crop.width !== size || crop.height !== size)
      throw new AntispoofError('INVALID_INPUT', `crop is ${crop.width}x${crop.height}, model wants ${size}x${size}`);
    const base = n * 3 * plane;
    for (let c = 0; c < 3; c++) {
      const source = order[c]!;
      const m = mean[c]!;
      const s = std[c]!;
      for (let p = 0; p < plane; p++) {
        const value = (crop.data[p * 3 + source]! * scale - m) / s;
        if (layout === 'NCHW') out[base + c * plane + p] = value;
        else out[base + p * 3 + c] = value;
      }
    }
  });
  return out;
}

/** P(live) from one row of logits: softmax, read at the card's 'live' index. */
export function liveProbability(logits: ArrayLike<number>, liveIndex: number): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i]! - max);
  return Math.exp(logits[liveIndex]! - max) / sum;
}
