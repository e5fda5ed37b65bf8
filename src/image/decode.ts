import { readFile, stat } from 'node:fs/promises';
import sharp, { type Metadata } from 'sharp';
import { AntispoofError } from '../errors.js';
import type { RgbImage } from '../types.js';
import { isRawPixels, type ImageInput, type RawPixels } from './pixels.js';

/** 40 megapixels: a 12 MP phone photo passes with room; a decompression bomb is refused from its header. */
export const DEFAULT_MAX_PIXELS = 40_000_000;

export interface DecodeOptions {
  maxPixels?: number;
}

export type { ImageInput, RawPixels } from './pixels.js';

const SUPPORTED_FORMATS = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif', 'heif']);

/**
 * Metadata (JPEG APPn/COM segments, PNG chunks other than IDAT, WebP chunks other than image data) allowed per
 * image. Real EXIF is at most 64 KB, ICC profiles and extended XMP a few MB; libvips copies metadata several times,
 * so 64 MB of it cost ~300 MB of memory and most of a second per request.
 */
export const MAX_METADATA_BYTES = 16 * 1024 * 1024;

/**
 * Scans allowed in a progressive JPEG. Encoders write about 10 (mozjpeg up to ~20); every scan is a pass over the
 * whole coefficient buffer, so a 120 KB file of 883 near-empty scans over 6000 x 6000 pixels costs over 10 s of
 * CPU in libjpeg, which has no limit of its own.
 */
export const MAX_JPEG_SCANS = 100;

type SniffedFormat = 'jpeg' | 'png' | 'gif' | 'webp' | 'tiff' | 'heif';

/** ISO-BMFF brands of HEIF/AVIF still images and sequences. */
const HEIF_BRANDS = new Set(['avif', 'avis', 'heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'mif1', 'mif2', 'msf1']);

const ascii = (bytes: Uint8Array, start: number, end: number) =>
  String.fromCharCode(...bytes.subarray(start, Math.min(end, bytes.length)));

/**
 * The format by magic number. Anything else (SVG and other XML, PDF, BMP, video, text) is refused before a parser
 * sees it: libvips would otherwise run librsvg/libxml2 on it just to learn that we do not take it.
 */
function sniffFormat(bytes: Uint8Array): SniffedFormat | undefined {
  const at = (offset: number, magic: number[]) => magic.every((value, i) => bytes[offset + i] === value);
  if (at(0, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (at(0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a') return 'gif';
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return 'webp';
  if (['II*\0', 'MM\0*', 'II+\0', 'MM\0+'].includes(ascii(bytes, 0, 4))) return 'tiff';
  if (ascii(bytes, 4, 8) === 'ftyp' && bytes.length >= 16) {
    const boxSize = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
    const boxEnd = Math.min(bytes.length, boxSize, 16 + 4 * 64); // the first 64 compatible brands
    const brands = [ascii(bytes, 8, 12)];
    for (let offset = 16; offset + 4 <= boxEnd; offset += 4) brands.push(ascii(bytes, offset, offset + 4));
    if (brands.some((brand) => HEIF_BRANDS.has(brand))) return 'heif';
  }
  return undefined;
}

/** Metadata bytes and scans of a JPEG, from its segment headers; stops quietly where the structure breaks. */
function jpegCosts(bytes: Uint8Array): { metadata: number; scans: number } {
  let metadata = 0;
  let scans = 0;
  let p = 2;
  while (p + 1 < bytes.length && bytes[p] === 0xff) {
    const marker = bytes[p + 1]!;
    if (marker === 0xff) {
      p += 1; // fill byte
      continue;
    }
    if (marker === 0xd9) break; // EOI
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      p += 2; // TEM, RSTn: no length
      continue;
    }
    if (p + 3 >= bytes.length) break;
    const length = (bytes[p + 2]! << 8) | bytes[p + 3]!;
    if (length < 2) break;
    if ((marker >= 0xe0 && marker <= 0xef) || marker === 0xfe) metadata += Math.min(length, bytes.length - p - 2);
    p += 2 + length;
    if (marker !== 0xda) continue;
    if (++scans > MAX_JPEG_SCANS) break;
    // Entropy-coded data runs to the next marker that is not a stuffed 0xFF00, a restart marker or fill.
    for (;;) {
      const q = bytes.indexOf(0xff, p);
      if (q < 0 || q + 1 >= bytes.length) return { metadata, scans };
      const next = bytes[q + 1]!;
      if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) p = q + 2;
      else if (next === 0xff) p = q + 1;
      else {
        p = q;
        break;
      }
    }
  }
  return { metadata, scans };
}

/** Bytes of PNG chunks other than image data (IDAT, APNG fdAT), from the chunk headers. */
function pngMetadataBytes(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let metadata = 0;
  for (let p = 8; p + 8 <= bytes.length;) {
    const length = view.getUint32(p);
    const type = ascii(bytes, p + 4, p + 8);
    if (type !== 'IDAT' && type !== 'fdAT') metadata += Math.min(length, bytes.length - p - 8); // what is there
    if (type === 'IEND') break;
    p += 12 + length;
  }
  return metadata;
}

/** Bytes of WebP chunks other than image data (EXIF, XMP, ICC profile, unknown chunks). */
function webpMetadataBytes(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const imageChunks = new Set(['VP8 ', 'VP8L', 'VP8X', 'ALPH', 'ANIM', 'ANMF']);
  let metadata = 0;
  for (let p = 12; p + 8 <= bytes.length;) {
    const length = view.getUint32(p + 4, true);
    if (!imageChunks.has(ascii(bytes, p, p + 4))) metadata += Math.min(length, bytes.length - p - 8);
    p += 8 + length + (length & 1);
  }
  return metadata;
}

/** Refuses inputs that are small on disk but expensive to read: metadata floods and progressive-scan bombs. */
function checkDecodeCost(bytes: Uint8Array, format: SniffedFormat, label: string): void {
  let metadata = 0;
  if (format === 'jpeg') {
    const costs = jpegCosts(bytes);
    if (costs.scans > MAX_JPEG_SCANS)
      throw new AntispoofError(
        'IMAGE_TOO_LARGE',
        `${label}: progressive JPEG with more than ${MAX_JPEG_SCANS} scans (a decoding-cost bomb)`,
      );
    metadata = costs.metadata;
  } else if (format === 'png') metadata = pngMetadataBytes(bytes);
  else if (format === 'webp') metadata = webpMetadataBytes(bytes);
  if (metadata > MAX_METADATA_BYTES)
    throw new AntispoofError(
      'IMAGE_TOO_LARGE',
      `${label}: ${(metadata / 2 ** 20).toFixed(1)} MB of metadata exceeds the ${MAX_METADATA_BYTES / 2 ** 20} MB limit`,
    );
}

function rawToRgb(raw: RawPixels, maxPixels: number): RgbImage {
  const { width, height, channels, data } = raw;
  if (!(data instanceof Uint8Array || data instanceof Uint8ClampedArray))
    throw new AntispoofError('INVALID_INPUT', `raw pixels: data must be a Uint8Array or Uint8ClampedArray`);
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
  if (!Number.isSafeInteger(maxPixels) || maxPixels < 1)
    throw new AntispoofError('INVALID_INPUT', `maxPixels must be a positive integer, got ${maxPixels}`);
  if (isRawPixels(input)) return rawToRgb(input, maxPixels);
  const label = typeof input === 'string' ? input : 'image buffer';
  if (typeof input !== 'string' && !(input instanceof Uint8Array))
    throw new AntispoofError('INVALID_INPUT', 'input must be a file path, a Buffer/Uint8Array or raw pixels');
  // A file is read whole, so that what is sniffed and measured below is what libvips decodes.
  const bytes = typeof input === 'string' ? await readImageFile(input) : input;
  if (bytes.length === 0) throw new AntispoofError('DECODE_FAILED', `${label} is empty`);
  const format = sniffFormat(bytes);
  if (!format)
    throw new AntispoofError(
      'UNSUPPORTED_FORMAT',
      `${label}: unsupported image format (not JPEG, PNG, WebP, GIF, TIFF, AVIF or HEIF)`,
    );
  checkDecodeCost(bytes, format, label);

  let metadata: Metadata;
  try {
    metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (cause) {
    throw describeSharpFailure(cause, label, format);
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
    const pipeline = sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error', pages: 1 });
    // Most camera frames are already upright 8-bit sRGB without alpha; skipping the no-op conversions saves
    // ~15% of the decode.
    const alreadyRgb =
      metadata.channels === 3 &&
      metadata.space === 'srgb' &&
      !metadata.hasAlpha &&
      (metadata.orientation ?? 1) === 1 &&
      metadata.depth === 'uchar';
    if (!alreadyRgb) pipeline.rotate().flatten({ background: '#ffffff' }).toColourspace('srgb').removeAlpha();
    const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`expected 3 channels after conversion, got ${info.channels}`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
  } catch (cause) {
    throw describeSharpFailure(cause, label, format);
  }
}

async function readImageFile(file: string): Promise<Uint8Array> {
  await checkFile(file);
  try {
    return await readFile(file);
  } catch (cause) {
    throw new AntispoofError('INVALID_INPUT', `cannot read ${file}: ${(cause as Error).message}`, { cause });
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

function describeSharpFailure(cause: unknown, label: string, format: SniffedFormat): AntispoofError {
  const message = cause instanceof Error ? cause.message : String(cause);
  // The magic number said `format`, so libvips not recognising the rest means a corrupt file, not a foreign one.
  if (/unsupported image format|Input buffer contains unsupported/i.test(message))
    return new AntispoofError('DECODE_FAILED', `${label}: not a readable ${format} image (${message})`, { cause });
  if (/pixel limit/i.test(message)) return new AntispoofError('IMAGE_TOO_LARGE', `${label}: ${message}`, { cause });
  return new AntispoofError('DECODE_FAILED', `${label}: cannot decode image (${message})`, { cause });
}
