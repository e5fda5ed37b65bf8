/**
 * A corpus of hostile and odd image inputs, generated in memory (nothing downloaded): empty and truncated files,
 * random bytes behind real magic numbers, decompression and decoding-cost bombs, metadata floods, degenerate
 * sizes, animations, SVG/XML with external references, exotic colour types and all eight EXIF orientations.
 * Each case says what `checker.check(bytes)` must do with it: refuse with a given AntispoofError code, or answer.
 */
import { mulberry32 } from '../../src/evaluate/bootstrap.js';
import { once } from 'node:events';
import { createDeflate, deflateSync } from 'node:zlib';
import sharp, { type Sharp } from 'sharp';
import type { AntispoofErrorCode } from '../../src/errors.js';
import { samplePhoto } from '../helpers/images.js';

export interface HostileCase {
  /** Unique, "group/detail". */
  name: string;
  bytes: Uint8Array;
  expect: 'error' | 'verdict';
  /** The AntispoofError code when `expect` is 'error'. */
  errorCode?: AntispoofErrorCode;
  /** When `expect` is 'verdict': the size the decoded image must have (after EXIF orientation). */
  size?: { width: number; height: number };
  /** When `expect` is 'verdict': a face must be found with its box centre this close to (x, y). */
  face?: { x: number; y: number; tolerance: number };
  /** What the bytes are, as a subset of `sharp(bytes).metadata()`: checked, so the corpus is what it claims. */
  metadata?: Record<string, unknown>;
}

export interface CorpusOptions {
  /** An http URL that SVG cases reference (image href, external entity); a caller can count requests to it. */
  externalUrl?: string;
  /** A local file that SVG cases reference; must not be read either. */
  externalFile?: string;
  seed?: number;
}

/** A fixed-seed PRNG so the corpus is the same on every run. */
export const seededRandom = mulberry32;

function randomBytes(random: () => number, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(random() * 256);
  return bytes;
}

const CRC_TABLE = Int32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});

export function crc32(bytes: Uint8Array): number {
  let crc = -1;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

/** A PNG chunk with its CRC. */
function pngChunk(type: string, data: Uint8Array): Buffer {
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  chunk.write(type, 4, 'latin1');
  chunk.set(data, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + data.length)), 8 + data.length);
  return chunk;
}

/** Inserts chunks right after IHDR (signature 8 + IHDR 25 bytes). */
function pngWithChunks(png: Buffer, chunks: Buffer[]): Buffer {
  return Buffer.concat([png.subarray(0, 33), ...chunks, png.subarray(33)]);
}

/** A JPEG marker segment (payload up to 65533 bytes). */
function jpegSegment(marker: number, payload: Uint8Array): Buffer {
  const head = Buffer.from([0xff, marker, 0, 0]);
  head.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([head, payload]);
}

/** Inserts segments right after SOI. */
function jpegWithSegments(jpeg: Buffer, segments: Buffer[]): Buffer {
  return Buffer.concat([jpeg.subarray(0, 2), ...segments, jpeg.subarray(2)]);
}

function riffChunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.write(type, 0, 'latin1');
  head.writeUInt32LE(data.length, 4);
  return Buffer.concat([head, data, Buffer.alloc(data.length & 1)]);
}

function webpFile(chunks: Buffer[]): Buffer {
  const body = Buffer.concat([Buffer.from('WEBP'), ...chunks]);
  const head = Buffer.alloc(8);
  head.write('RIFF');
  head.writeUInt32LE(body.length, 4);
  return Buffer.concat([head, body]);
}

/** `megabytes` MB of zeros, deflated as a stream (no 256 MB buffer): ~1 KB per MB at level 9. */
async function deflatedZeros(megabytes: number): Promise<Buffer> {
  const deflate = createDeflate({ level: 9 });
  const chunks: Buffer[] = [];
  deflate.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = once(deflate, 'end');
  const block = Buffer.alloc(1 << 20);
  for (let i = 0; i < megabytes; i++) if (!deflate.write(block)) await once(deflate, 'drain');
  deflate.end();
  await ended;
  return Buffer.concat(chunks);
}

/** Textured RGB pixels (a smooth gradient plus a little pseudo-noise), so encoders cannot shrink them to nothing. */
function texture(width: number, height: number, frame = 0): Buffer {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < 3; c++)
        data[(y * width + x) * 3 + c] = (x * 5 + y * 3 + c * 80 + frame * 40 + ((x * 7919 + y * 104729) % 13)) & 255;
  return data;
}

const raw = (data: Buffer, width: number, height: number, pageHeight?: number) =>
  sharp(data, { raw: { width, height, channels: 3, ...(pageHeight ? { pageHeight } : {}) } });

/** Offset of the first image descriptor (0x2C) of a GIF, walking the colour table and extension blocks. */
function gifFirstDescriptor(gif: Buffer): number {
  const flags = gif[10]!;
  let p = 13 + (flags & 0x80 ? 3 * 2 ** ((flags & 7) + 1) : 0);
  while (gif[p] === 0x21) {
    p += 2; // introducer, label
    while (gif[p]! > 0) p += gif[p]! + 1;
    p += 1;
  }
  if (gif[p] !== 0x2c) throw new Error('no image descriptor');
  return p;
}

/** The PNG file offset at which IEND starts: every truncation from there on leaves all the pixels. */
function pngIendOffset(png: Buffer): number {
  for (let p = 8; p + 8 <= png.length; p += 12 + png.readUInt32BE(p))
    if (png.toString('latin1', p + 4, p + 8) === 'IEND') return p;
  throw new Error('no IEND');
}

/**
 * A progressive greyscale JPEG of side x side whose scans are all valid but nearly empty: DC, then for each of
 * the 63 AC coefficients a first scan at Al = 13 and 13 refinement scans, each one EOB run over every block.
 * 1 + 63 * 14 = 883 scans in ~120 KB; libjpeg makes a full pass over the coefficient buffer for each.
 */
export function progressiveScanBomb(side: number, coefficients = 63): Buffer {
  class BitWriter {
    private bytes: number[] = [];
    private acc = 0;
    private count = 0;
    put(value: number, length: number): void {
      for (let i = length - 1; i >= 0; i--) {
        this.acc = (this.acc << 1) | ((value >> i) & 1);
        if (++this.count === 8) {
          this.bytes.push(this.acc);
          if (this.acc === 0xff) this.bytes.push(0); // byte stuffing
          this.acc = 0;
          this.count = 0;
        }
      }
    }
    finish(): Buffer {
      while (this.count) this.put(1, 1);
      return Buffer.from(this.bytes);
    }
  }
  const blocks = Math.ceil(side / 8) ** 2;
  const oneCodeOfLengthOne = [1, ...Array<number>(15).fill(0)];
  const parts = [
    Buffer.from([0xff, 0xd8]),
    jpegSegment(0xdb, Uint8Array.from([0, ...Array<number>(64).fill(1)])), // DQT
    jpegSegment(0xc2, Uint8Array.from([8, side >> 8, side & 255, side >> 8, side & 255, 1, 1, 0x11, 0])), // SOF2
    jpegSegment(0xc4, Uint8Array.from([0x00, ...oneCodeOfLengthOne, 0x00])), // DC table: category 0
    jpegSegment(0xc4, Uint8Array.from([0x10, ...oneCodeOfLengthOne, 0xe0])), // AC table: EOB run 2^14..2^15-1
    jpegSegment(0xda, Uint8Array.from([1, 1, 0x00, 0, 0, 0x00])),
  ];
  const dc = new BitWriter();
  for (let i = 0; i < blocks; i++) dc.put(0, 1);
  parts.push(dc.finish());
  const ac = new BitWriter();
  for (let left = blocks; left > 0; left -= 32767) {
    ac.put(0, 1);
    ac.put(0x3fff, 14);
  }
  const acData = ac.finish();
  for (let k = 1; k <= coefficients; k++) {
    parts.push(jpegSegment(0xda, Uint8Array.from([1, 1, 0x00, k, k, 13])), acData);
    for (let ah = 13; ah >= 1; ah--)
      parts.push(jpegSegment(0xda, Uint8Array.from([1, 1, 0x00, k, k, (ah << 4) | (ah - 1)])), acData);
  }
  parts.push(Buffer.from([0xff, 0xd9]));
  return Buffer.concat(parts);
}

/**
 * Pixels to store so that a viewer applying EXIF orientation `o` shows `upright`: display(x, y) = stored(sx, sy)
 * per the TIFF/EXIF definitions (2 mirror, 3 rotate 180, 4 flip, 5 transpose, 6 rotate 90 CW, 7 transverse,
 * 8 rotate 90 CCW). Written by hand, independently of libvips.
 */
export function storedForOrientation(upright: Buffer, width: number, height: number, o: number) {
  const swap = o >= 5;
  const sw = swap ? height : width;
  const sh = swap ? width : height;
  const stored = Buffer.alloc(upright.length);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const [sx, sy] = [
        [x, y],
        [width - 1 - x, y],
        [width - 1 - x, height - 1 - y],
        [x, height - 1 - y],
        [y, x],
        [y, sh - 1 - x],
        [sw - 1 - y, sh - 1 - x],
        [sw - 1 - y, x],
      ][o - 1]!;
      upright.copy(stored, (sy! * sw + sx!) * 3, (y * width + x) * 3, (y * width + x) * 3 + 3);
    }
  return { data: stored, width: sw, height: sh };
}

/** 64 MiB in ~1000 segments of 65533 bytes (a JPEG segment holds at most 64 KB). */
const FLOOD_SEGMENTS = 1024;
const SEGMENT_PAYLOAD = 65533;

export async function* hostileCorpus(options: CorpusOptions = {}): AsyncGenerator<HostileCase> {
  const random = seededRandom(options.seed ?? 20240601);
  const refused = (name: string, bytes: Uint8Array, errorCode: AntispoofErrorCode): HostileCase => ({
    name,
    bytes,
    expect: 'error',
    errorCode,
  });
  const answered = (
    name: string,
    bytes: Uint8Array,
    size?: HostileCase['size'],
    metadata?: HostileCase['metadata'],
  ): HostileCase => ({ name, bytes, expect: 'verdict', ...(size ? { size } : {}), ...(metadata ? { metadata } : {}) });

  yield refused('empty/zero-bytes', new Uint8Array(0), 'DECODE_FAILED');

  // Every truncation point of a ~1 KB JPEG and a ~1 KB PNG.
  const small = texture(48, 32);
  const jpeg = await raw(small, 48, 32).jpeg({ quality: 75 }).toBuffer();
  for (let n = 1; n < jpeg.length; n++)
    yield refused(
      `truncated-jpeg/${n}-of-${jpeg.length}`,
      jpeg.subarray(0, n),
      n < 3 ? 'UNSUPPORTED_FORMAT' : 'DECODE_FAILED',
    );
  const png = await raw(small, 48, 32).png().toBuffer();
  const iend = pngIendOffset(png);
  for (let n = 1; n < png.length; n++) {
    const name = `truncated-png/${n}-of-${png.length}`;
    if (n < 8) yield refused(name, png.subarray(0, n), 'UNSUPPORTED_FORMAT');
    else if (n < iend) yield refused(name, png.subarray(0, n), 'DECODE_FAILED');
    else yield answered(name, png.subarray(0, n), { width: 48, height: 32 }); // only IEND cut: all pixels there
  }

  // Random bytes behind real magic numbers.
  const magics: Array<[string, (body: Buffer) => Buffer, AntispoofErrorCode]> = [
    ['jpeg', (b) => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), b]), 'DECODE_FAILED'],
    ['png', (b) => Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), b]), 'DECODE_FAILED'],
    ['gif87a', (b) => Buffer.concat([Buffer.from('GIF87a'), b]), 'DECODE_FAILED'],
    ['gif89a', (b) => Buffer.concat([Buffer.from('GIF89a'), b]), 'DECODE_FAILED'],
    ['webp', (b) => webpFile([b]), 'DECODE_FAILED'],
    ['tiff-le', (b) => Buffer.concat([Buffer.from('II*\0', 'latin1'), b]), 'DECODE_FAILED'],
    ['tiff-be', (b) => Buffer.concat([Buffer.from('MM\0*', 'latin1'), b]), 'DECODE_FAILED'],
    [
      'avif',
      (b) => Buffer.concat([Buffer.from('0000001c667479706176696600000000617669666d6966316d696166', 'hex'), b]),
      'DECODE_FAILED',
    ],
    [
      'heic',
      (b) => Buffer.concat([Buffer.from('00000018667479706865696300000000686569636d696631', 'hex'), b]),
      'DECODE_FAILED',
    ],
    ['bmp', (b) => Buffer.concat([Buffer.from('BM'), b]), 'UNSUPPORTED_FORMAT'],
  ];
  for (const [format, wrap, errorCode] of magics)
    for (const length of [0, 1, 7, 16, 64, 300, 1000, 4096, 20_000, 100_000])
      yield refused(`random-after-magic/${format}-${length}`, wrap(randomBytes(random, length)), errorCode);

  // Decompression bombs: headers that claim billions of pixels.
  const pngBomb = Buffer.from(png);
  pngBomb.writeUInt32BE(50_000, 16);
  pngBomb.writeUInt32BE(50_000, 20);
  pngBomb.writeUInt32BE(crc32(pngBomb.subarray(12, 29)), 29); // a valid IHDR: the CRC matches
  yield refused('bomb/png-ihdr-50000x50000-valid-crc', pngBomb, 'IMAGE_TOO_LARGE');
  const jpegBomb = Buffer.from(jpeg);
  const sof = jpegBomb.indexOf(Buffer.from([0xff, 0xc0]));
  jpegBomb.writeUInt16BE(65_000, sof + 5);
  jpegBomb.writeUInt16BE(65_000, sof + 7);
  yield refused('bomb/jpeg-sof-65000x65000', jpegBomb, 'IMAGE_TOO_LARGE');
  const gif = Buffer.from(await raw(small, 48, 32).gif().toBuffer());
  const gifBomb = Buffer.from(gif);
  gifBomb.writeUInt16LE(65_535, 6);
  gifBomb.writeUInt16LE(65_535, 8);
  const descriptor = gifFirstDescriptor(gifBomb);
  gifBomb.writeUInt16LE(65_535, descriptor + 5);
  gifBomb.writeUInt16LE(65_535, descriptor + 7);
  yield refused('bomb/gif-frame-65535x65535', gifBomb, 'IMAGE_TOO_LARGE');
  const lossless = Buffer.from(await raw(small, 48, 32).webp({ lossless: true }).toBuffer());
  if (lossless.toString('latin1', 12, 16) !== 'VP8L' || lossless[20] !== 0x2f) throw new Error('not a VP8L WebP');
  const webpBomb = Buffer.from(lossless);
  const alphaAndVersion = webpBomb.readUInt32LE(21) & 0xf0000000;
  webpBomb.writeUInt32LE((alphaAndVersion | 9_999 | (9_999 << 14)) >>> 0, 21); // 10000 x 10000, minus one each
  yield refused('bomb/webp-vp8l-10000x10000', webpBomb, 'IMAGE_TOO_LARGE');
  const vp8 = (await raw(small, 48, 32).webp().toBuffer()).subarray(12);
  const vp8x = Buffer.alloc(10);
  vp8x.writeUIntLE(16_383, 4, 3); // canvas 16384 x 16384 around a 48 x 32 frame: inconsistent, so corrupt
  vp8x.writeUIntLE(16_383, 7, 3);
  yield refused(
    'corrupt/webp-vp8x-canvas-16384-frame-48x32',
    webpFile([riffChunk('VP8X', vp8x), vp8]),
    'DECODE_FAILED',
  );
  yield refused('bomb/jpeg-883-progressive-scans-6000x6000', progressiveScanBomb(6000), 'IMAGE_TOO_LARGE');
  yield answered('bomb/jpeg-99-progressive-scans-1000x1000', progressiveScanBomb(1000, 7), {
    width: 1000,
    height: 1000,
  });

  // Metadata floods: 64 MB of APPn/COM segments, PNG text chunks, WebP EXIF; and a large but sane 8 MB.
  const flood = (marker: number, prefix: string, segments = FLOOD_SEGMENTS) => {
    const payload = Buffer.alloc(SEGMENT_PAYLOAD, 0x41);
    payload.write(prefix, 0, 'latin1');
    return jpegWithSegments(jpeg, Array<Buffer>(segments).fill(jpegSegment(marker, payload)));
  };
  yield refused('metadata/jpeg-64MB-app1-exif', flood(0xe1, 'Exif\0\0MM\0*'), 'IMAGE_TOO_LARGE');
  yield refused('metadata/jpeg-64MB-app1-xmp', flood(0xe1, 'http://ns.adobe.com/xap/1.0/\0'), 'IMAGE_TOO_LARGE');
  yield refused('metadata/jpeg-64MB-app2-icc', flood(0xe2, 'ICC_PROFILE\0'), 'IMAGE_TOO_LARGE');
  yield refused('metadata/jpeg-64MB-com', flood(0xfe, 'comment'), 'IMAGE_TOO_LARGE');
  yield answered('metadata/jpeg-8MB-app1-xmp', flood(0xe1, 'http://ns.adobe.com/xap/1.0/\0', 128), {
    width: 48,
    height: 32,
  });
  const text = pngChunk('tEXt', Buffer.concat([Buffer.from('Comment\0'), Buffer.alloc(1 << 20, 0x41)]));
  yield refused('metadata/png-64MB-text', pngWithChunks(png, Array<Buffer>(64).fill(text)), 'IMAGE_TOO_LARGE');
  const zbomb = await deflatedZeros(256); // 256 MB of zeros in ~250 KB
  yield answered(
    'metadata/png-ztxt-256MB-deflate-bomb',
    pngWithChunks(png, [pngChunk('zTXt', Buffer.concat([Buffer.from('Comment\0\0', 'latin1'), zbomb]))]),
    { width: 48, height: 32 },
  );
  yield answered(
    'metadata/png-iccp-256MB-deflate-bomb',
    pngWithChunks(png, [pngChunk('iCCP', Buffer.concat([Buffer.from('icc\0\0', 'latin1'), zbomb]))]),
    { width: 48, height: 32 },
  );
  const exifVp8x = Buffer.alloc(10);
  exifVp8x[0] = 0x08; // EXIF present
  exifVp8x.writeUIntLE(47, 4, 3);
  exifVp8x.writeUIntLE(31, 7, 3);
  const exifLength = 64 << 20; // written straight into one buffer: no 64 MB intermediate copies
  const head = Buffer.concat([riffChunk('VP8X', exifVp8x), vp8]);
  const webpExif = Buffer.alloc(12 + head.length + 8 + exifLength);
  webpExif.write('RIFF');
  webpExif.writeUInt32LE(webpExif.length - 8, 4);
  webpExif.write('WEBP', 8);
  head.copy(webpExif, 12);
  webpExif.write('EXIF', 12 + head.length);
  webpExif.writeUInt32LE(exifLength, 16 + head.length);
  webpExif.write('MM\0*\0\0\0\x08', 20 + head.length, 'latin1');
  yield refused('metadata/webp-64MB-exif', webpExif, 'IMAGE_TOO_LARGE');

  // Degenerate sizes.
  const solid = (width: number, height: number) =>
    sharp({ create: { width, height, channels: 3, background: '#c08060' } });
  yield answered('size/png-1x1', await solid(1, 1).png().toBuffer(), { width: 1, height: 1 });
  yield answered('size/jpeg-1x1', await solid(1, 1).jpeg().toBuffer(), { width: 1, height: 1 });
  yield answered('size/png-1x10000', await solid(1, 10_000).png().toBuffer(), { width: 1, height: 10_000 });
  yield answered('size/jpeg-10000x1', await solid(10_000, 1).jpeg().toBuffer(), { width: 10_000, height: 1 });
  yield answered('size/webp-16383x1', await solid(16_383, 1).webp().toBuffer(), { width: 16_383, height: 1 });

  // Animations: only the first frame is used, however many there are.
  const size10 = { width: 40, height: 30 };
  const frames = Buffer.concat(Array.from({ length: 10 }, (_, f) => texture(40, 30, f)));
  const animate = (pipeline: Sharp, format: 'gif' | 'webp') =>
    (format === 'gif' ? pipeline.gif() : pipeline.webp()).toBuffer();
  for (const format of ['gif', 'webp'] as const)
    yield answered(`animated/${format}-10-frames`, await animate(raw(frames, 40, 300, 30), format), size10, {
      pages: 10,
    });
  // 3000 frames of 4 x 4, each a different colour (identical frames would be merged by the encoder).
  const tiny = Buffer.alloc(4 * 4 * 3 * 3000);
  for (let i = 0; i < tiny.length; i++) tiny[i] = (Math.floor(i / 48) * 37 + (i % 3) * 50) & 255;
  for (const format of ['gif', 'webp'] as const)
    yield answered(
      `animated/${format}-3000-frames`,
      await animate(raw(tiny, 4, 4 * 3000, 4), format),
      { width: 4, height: 4 },
      { pages: 3000 },
    );
  yield answered('animated/tiff-10-pages', await raw(frames, 40, 300, 30).tiff().toBuffer(), size10, { pages: 10 });

  // SVG, XML and other formats we do not take: refused from the magic number, before any parser runs.
  const url = options.externalUrl ?? 'http://127.0.0.1:9/never';
  const file = options.externalFile ?? '/etc/hostname';
  const svgs: Record<string, string> = {
    plain:
      '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="30"><rect width="40" height="30" fill="red"/></svg>',
    'leading-space': '  \n<svg xmlns="http://www.w3.org/2000/svg" width="4" height="3"/>',
    'external-image': `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="40" height="30"><image href="${url}/image.png" width="40" height="30"/><image xlink:href="file://${file}" width="40" height="30"/></svg>`,
    'external-entity': `<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY web SYSTEM "${url}/entity"><!ENTITY local SYSTEM "file://${file}">]><svg xmlns="http://www.w3.org/2000/svg" width="40" height="30"><text y="20">&web;&local;</text></svg>`,
    'billion-laughs': `<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa">${Array.from('bcdefghij', (e, i) => `<!ENTITY ${e} "${`&${'abcdefghij'[i]};`.repeat(10)}">`).join('')}]><svg xmlns="http://www.w3.org/2000/svg" width="40" height="30"><text>&j;</text></svg>`,
    'huge-canvas': '<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="100000"/>',
    'css-import': `<svg xmlns="http://www.w3.org/2000/svg" width="40" height="30"><style>@import url("${url}/style.css");</style></svg>`,
  };
  for (const [name, svg] of Object.entries(svgs))
    yield refused(`unsupported/svg-${name}`, Buffer.from(svg), 'UNSUPPORTED_FORMAT');
  yield refused('unsupported/svgz', Buffer.from(deflateSync(Buffer.from(svgs.plain!))), 'UNSUPPORTED_FORMAT');
  yield refused(
    'unsupported/pdf',
    Buffer.from('%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n'),
    'UNSUPPORTED_FORMAT',
  );
  yield refused('unsupported/html', Buffer.from('<!doctype html><img src="x.jpg">'), 'UNSUPPORTED_FORMAT');
  yield refused(
    'unsupported/mp4',
    Buffer.concat([Buffer.from('00000018667479706973736f6d00000200697373', 'hex'), Buffer.alloc(64)]),
    'UNSUPPORTED_FORMAT',
  );
  const bmpHeader = Buffer.alloc(54);
  bmpHeader.write('BM');
  bmpHeader.writeUInt32LE(54 + 4 * 4 * 3, 2);
  bmpHeader.writeUInt32LE(54, 10);
  bmpHeader.writeUInt32LE(40, 14);
  bmpHeader.writeInt32LE(4, 18);
  bmpHeader.writeInt32LE(4, 22);
  bmpHeader.writeUInt16LE(1, 26);
  bmpHeader.writeUInt16LE(24, 28);
  yield refused('unsupported/bmp-valid-4x4', Buffer.concat([bmpHeader, Buffer.alloc(48, 0x80)]), 'UNSUPPORTED_FORMAT');

  // Colour types and containers that must decode to 8-bit sRGB.
  const colour = raw(texture(40, 30), 40, 30);
  const size = size10;
  const colourCases: Array<[string, Sharp, Record<string, unknown>]> = [
    ['jpeg-cmyk', colour.clone().toColourspace('cmyk').jpeg(), { space: 'cmyk', channels: 4 }],
    ['jpeg-grey', colour.clone().toColourspace('b-w').jpeg(), { space: 'b-w', channels: 1 }],
    ['jpeg-progressive', colour.clone().jpeg({ progressive: true }), { isProgressive: true }],
    ['png-16-bit', colour.clone().toColourspace('rgb16').png(), { depth: 'ushort' }],
    ['png-palette', colour.clone().png({ palette: true, colours: 16 }), { isPalette: true, bitsPerSample: 4 }],
    ['png-grey-alpha', colour.clone().ensureAlpha(0.5).toColourspace('b-w').png(), { space: 'b-w', channels: 2 }],
    ['png-interlaced', colour.clone().png({ progressive: true }), { isProgressive: true }],
    ['tiff-16-bit-lzw', colour.clone().toColourspace('rgb16').tiff({ compression: 'lzw' }), { depth: 'ushort' }],
    ['webp-lossless-alpha', colour.clone().ensureAlpha(0.3).webp({ lossless: true }), { hasAlpha: true }],
  ];
  if (sharp.format.heif.output.buffer) colourCases.push(['avif', colour.clone().avif(), { format: 'heif' }]);
  for (const [name, pipeline, metadata] of colourCases)
    yield answered(`colour/${name}`, await pipeline.toBuffer(), size, metadata);

  // A real face (face-api sample 3, MIT) off-centre on a 320 x 240 grey canvas, stored for each EXIF orientation
  // so that only a decoder that applies the orientation shows it upright at the place it was put.
  const faceSide = 576; // 2x the detector's box around the face at (1075, 239, 288, 288)
  const tile = await sharp(samplePhoto(3))
    .rotate()
    .extract({ left: 1075 + 144 - faceSide / 2, top: 239 + 144 - faceSide / 2, width: faceSide, height: faceSide })
    .resize(192, 192)
    .removeAlpha()
    .raw()
    .toBuffer();
  const [W, H, left, top] = [320, 240, 30, 20];
  const upright = Buffer.alloc(W * H * 3, 128);
  for (let y = 0; y < 192; y++) tile.copy(upright, ((y + top) * W + left) * 3, y * 192 * 3, (y + 1) * 192 * 3);
  for (let o = 1; o <= 8; o++) {
    const stored = storedForOrientation(upright, W, H, o);
    const bytes = await raw(stored.data, stored.width, stored.height)
      .jpeg({ quality: 90 })
      .withMetadata({ orientation: o })
      .toBuffer();
    yield {
      ...answered(
        `orientation/exif-${o}-stored-${stored.width}x${stored.height}`,
        bytes,
        { width: W, height: H },
        {
          orientation: o,
          width: stored.width,
          height: stored.height,
        },
      ),
      face: { x: left + 96, y: top + 96, tolerance: 20 },
    };
  }
}

/** What a promise did within a deadline, and how long it took. */
export type Settled<T> =
  | { outcome: 'resolved'; value: T; ms: number }
  | { outcome: 'rejected'; error: unknown; ms: number }
  | { outcome: 'timeout'; ms: number };

export async function settle<T>(promise: Promise<T>, deadlineMs: number): Promise<Settled<T>> {
  const start = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), deadlineMs);
  });
  try {
    const value = await Promise.race([promise, deadline]);
    const ms = performance.now() - start;
    if (value === 'timeout') {
      promise.catch(() => undefined); // it may still settle later; nobody is listening
      return { outcome: 'timeout', ms };
    }
    return { outcome: 'resolved', value: value as T, ms };
  } catch (error) {
    return { outcome: 'rejected', error, ms: performance.now() - start };
  } finally {
    clearTimeout(timer);
  }
}

/** Why a check result is malformed; empty when every box is finite and every score a probability. */
export function resultProblems(result: {
  width: number;
  height: number;
  faces: Array<{
    box: { x: number; y: number; width: number; height: number };
    detectionScore: number | null;
    keypoints: Array<{ x: number; y: number }>;
    score: number;
    verdict: string;
    reasons: string[];
  }>;
}): string[] {
  const problems: string[] = [];
  const probability = (value: number) => Number.isFinite(value) && value >= 0 && value <= 1;
  if (!(Number.isInteger(result.width) && result.width > 0 && Number.isInteger(result.height) && result.height > 0))
    problems.push(`image size ${result.width}x${result.height}`);
  if (!Array.isArray(result.faces)) return [...problems, 'faces is not an array'];
  result.faces.forEach((face, i) => {
    const { x, y, width, height } = face.box;
    if (![x, y, width, height].every(Number.isFinite) || !(width > 0 && height > 0))
      problems.push(`face ${i}: box ${JSON.stringify(face.box)}`);
    if (!probability(face.score)) problems.push(`face ${i}: score ${face.score}`);
    if (face.detectionScore !== null && !probability(face.detectionScore))
      problems.push(`face ${i}: detectionScore ${face.detectionScore}`);
    if (!face.keypoints.every((k) => Number.isFinite(k.x) && Number.isFinite(k.y)))
      problems.push(`face ${i}: keypoints`);
    if (!['live', 'spoof', 'retry'].includes(face.verdict)) problems.push(`face ${i}: verdict ${face.verdict}`);
    if ((face.verdict === 'retry') !== face.reasons.length > 0) problems.push(`face ${i}: reasons ${face.reasons}`);
  });
  return problems;
}
