import { stat } from 'node:fs/promises';
import sharp, { type Metadata } from 'sharp';
import { AntispoofError } from '../errors.js';
import type { RgbImage } from '../types.js';

/** 40 megapixels: a 12 MP phone photo passes with room; a decompression bomb is refused from its header. */
export const DEFAULT_MAX_PIXELS = 40_000_000;

export interface DecodeOptions {
  maxPixels?: number;
}

/** Raw pixels handed in by a caller (video frame, canvas): RGB or RGBA, 8-bit, row-major. */
export interface RawPixels {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  channels: 3 | 4;
}

export type ImageInput = string | Buffer | Uint8Array | RawPixels;

const SUPPORTED_FORMATS = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif', 'heif']);

function isRawPixels(input: unknown): input is RawPixels {
  return typeof input === 'object' && input !== null && 'data' in input && 'width' in input && 'channels' in input;
}

function rawToRgb(raw: RawPixels, maxPixels: number): RgbImage {
  const { width, height, channels, data } = raw;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1)
    throw new AntispoofError('INVALID_INPUT', `raw pixels: width and height must be positive integers`);
  if (channels !== 3 && channels !== 4)
    throw new AntispoofError('INVALID_INPUT', `raw pixels: channels must be 3 or 4, got ${String(channels)}`);
  if (width * height > maxPixels)
    throw new AntispoofError('IMAGE_TOO_LARGE', `raw pixels: ${width}x${height} exceeds the ${maxPixels} pixel limit`);
  if (data.length !== width * height * channels)
    throw new AntispoofError(
      'INVALID_INPUT',
      `raw pixels: expected ${width * height * channels} bytes for ${width}x${height}x${channels}, got ${data.length}`,
    );
  if (channels === 3) return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width, height };
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, o = 0; i < data.length; i += 4, o += 3) {
    rgb[o] = data[i]!;
    rgb[o + 1] = data[i + 1]!;
    rgb[o + 2] = data[i + 2]!;
  }
  return { data: rgb, width, height };
}

/**
 * Decodes a file path, encoded bytes or raw pixels to 8-bit sRGB RGB: EXIF orientation applied; grey, CMYK,
 * 16-bit and palette converted; alpha flattened onto white (a transparent PNG is a document, not a scene).
 * Only the first frame of an animation is used.
 */
export async function decodeImage(input: ImageInput, options: DecodeOptions = {}): Promise<RgbImage> {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (isRawPixels(input)) return rawToRgb(input, maxPixels);
  const label = typeof input === 'string' ? input : 'image buffer';
  if (typeof input !== 'string' && !(input instanceof Uint8Array))
    throw new AntispoofError('INVALID_INPUT', 'input must be a file path, a Buffer/Uint8Array or raw pixels');
  if (typeof input !== 'string' && input.length === 0) throw new AntispoofError('DECODE_FAILED', `${label} is empty`);
  if (typeof input === 'string') await checkFile(input);

  let metadata: Metadata;
  try {
    metadata = await sharp(input, { limitInputPixels: false }).metadata();
  } catch (cause) {
    throw describeSharpFailure(cause, label);
  }
  if (!metadata.format || !SUPPORTED_FORMATS.has(metadata.format))
    throw new AntispoofError(
      'UNSUPPORTED_FORMAT',
      `${label}: unsupported image format ${metadata.format ?? 'unknown'}`,
    );
  const pixels = (metadata.width ?? 0) * (metadata.pageHeight ?? metadata.height ?? 0);
  if (pixels > maxPixels)
    throw new AntispoofError(
      'IMAGE_TOO_LARGE',
      `${label}: ${metadata.width}x${metadata.pageHeight ?? metadata.height} exceeds the ${maxPixels} pixel limit`,
    );

  try {
    const { data, info } = await sharp(input, { limitInputPixels: maxPixels, failOn: 'error', pages: 1 })
      .rotate()
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`expected 3 channels after conversion, got ${info.channels}`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
  } catch (cause) {
    throw describeSharpFailure(cause, label);
  }
}

async function checkFile(file: string): Promise<void> {
  let size: number;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new AntispoofError('INVALID_INPUT', `${file} is not a regular file`);
    size = info.size;
  } catch (cause) {
    if (cause instanceof AntispoofError) throw cause;
    throw new AntispoofError('INVALID_INPUT', `cannot read ${file}: ${(cause as Error).message}`, { cause });
  }
  if (size === 0) throw new AntispoofError('DECODE_FAILED', `${file} is empty (0 bytes)`);
}

function describeSharpFailure(cause: unknown, label: string): AntispoofError {
  const message = cause instanceof Error ? cause.message : String(cause);
  if (/unsupported image format|Input file is missing|Input buffer contains unsupported/i.test(message)) {
    const code = /Input file is missing/i.test(message) ? 'INVALID_INPUT' : 'UNSUPPORTED_FORMAT';
    return new AntispoofError(code, `${label}: ${message}`, { cause });
  }
  if (/pixel limit/i.test(message)) return new AntispoofError('IMAGE_TOO_LARGE', `${label}: ${message}`, { cause });
  return new AntispoofError('DECODE_FAILED', `${label}: cannot decode image (${message})`, { cause });
}
