import type { RgbImage } from '../types.js';

// What a caller may hand a Node checker, and the one test that tells raw pixels from a decoded image. No sharp
// here: the checker's types and the worker pool's packing read this without loading a decoder.

/** Raw pixels handed in by a caller (video frame, canvas): RGB or RGBA, 8-bit, row-major. */
export interface RawPixels {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  channels: 3 | 4;
}

export type ImageInput = string | Buffer | Uint8Array | RawPixels;

/**
 * Which in-memory image `input` is: 'raw' pixels (`channels` given: validated and converted by decodeImage), an
 * already decoded 'rgb' RgbImage (no `channels`: used as is), or undefined for anything else (a path, encoded
 * bytes, or a value decodeImage refuses). `channels` is what tells the two apart, so it must travel exactly as given.
 */
export function pixelKind(input: unknown): 'raw' | 'rgb' | undefined {
  if (typeof input !== 'object' || input === null || !('data' in input)) return undefined;
  if (!('channels' in input)) return 'rgb';
  return 'width' in input ? 'raw' : undefined;
}

export const isRawPixels = (input: unknown): input is RawPixels => pixelKind(input) === 'raw';
export const isDecodedImage = (input: unknown): input is RgbImage => pixelKind(input) === 'rgb';
