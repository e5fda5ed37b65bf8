/**
 * Property tests (fast-check) on decode -> detect -> crop. Fixed seed, printed; FUZZ_SEED=n to change it and
 * FUZZ_RUNS=10000 to run longer than the CI default (every property then runs that many cases).
 */
import fc from 'fast-check';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AntispoofError,
  createLivenessChecker,
  cropFace,
  type AntispoofErrorCode,
  type Box,
  type LivenessChecker,
  type RawPixels,
} from '../src/index.js';
import { resultProblems, settle } from './hostile/corpus.js';
import { writeTinyModel } from './helpers/tiny-model.js';

const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 20_240_601;
const RUNS = process.env.FUZZ_RUNS ? Number(process.env.FUZZ_RUNS) : undefined;
/** A check taking longer than this is a hang. */
const CASE_LIMIT_MS = 2_000;
/** Raw-pixel checks run with this pixel limit, so that IMAGE_TOO_LARGE is reachable with small arrays. */
const RAW_MAX_PIXELS = 64 * 64;

const parameters = (ciRuns: number) => ({ seed: SEED, numRuns: RUNS ?? ciRuns });
const INVALID = { name: 'AntispoofError', code: 'INVALID_INPUT' };

let checker: LivenessChecker;
let rawChecker: LivenessChecker;
let validJpeg: Uint8Array;
let validPng: Uint8Array;
let validWebp: Uint8Array;
let validGif: Uint8Array;
const summary: string[] = [];

beforeAll(async () => {
  const model = writeTinyModel().modelFile;
  checker = await createLivenessChecker({ model });
  rawChecker = await createLivenessChecker({ model, maxPixels: RAW_MAX_PIXELS });
  const pixels = Buffer.alloc(40 * 30 * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7 + ((i * 2654435761) >>> 27)) & 255;
  const image = () => sharp(pixels, { raw: { width: 40, height: 30, channels: 3 } });
  validJpeg = await image().jpeg({ quality: 70 }).toBuffer();
  validPng = await image().png().toBuffer();
  validWebp = await image().webp().toBuffer();
  validGif = await image().gif().toBuffer();
  console.log(`fuzz: seed ${SEED} (FUZZ_SEED), ${RUNS ?? 'CI default'} runs per property (FUZZ_RUNS)`);
});

afterAll(async () => {
  await Promise.all([checker?.close(), rawChecker?.close()]);
  if (summary.length) console.log(summary.join('\n'));
});

/** One edit of a byte string: the ways files get damaged in transit, on disk, or on purpose. */
type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'duplicate'; at: number; length: number; to: number };

const position = fc.nat({ max: 1 << 16 });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: position, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({
    kind: fc.constant('set' as const),
    at: position,
    // Marker and length bytes are where parsers branch: 0x00, 0xFF, SOI/EOI/SOS/SOF, big and small numbers.
    value: fc.oneof(fc.constantFrom(0x00, 0xff, 0xd8, 0xd9, 0xda, 0xc0, 0xc2, 0x7f, 0x80, 0x01), fc.nat({ max: 255 })),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: position }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: position,
    bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: position, length: fc.integer({ min: 1, max: 256 }) }),
  fc.record({
    kind: fc.constant('duplicate' as const),
    at: position,
    length: fc.integer({ min: 1, max: 512 }),
    to: position,
  }),
);

function mutate(original: Uint8Array, mutations: Mutation[]): Uint8Array {
  let bytes = Buffer.from(original);
  for (const m of mutations) {
    if (bytes.length === 0) break;
    const at = m.at % bytes.length;
    if (m.kind === 'flip') bytes[at] = bytes[at]! ^ (1 << m.bit);
    else if (m.kind === 'set') bytes[at] = m.value;
    else if (m.kind === 'truncate') bytes = bytes.subarray(0, at);
    else if (m.kind === 'insert') bytes = Buffer.concat([bytes.subarray(0, at), m.bytes, bytes.subarray(at)]);
    else if (m.kind === 'delete') bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + m.length)]);
    else {
      const to = m.to % bytes.length;
      bytes = Buffer.concat([bytes.subarray(0, to), bytes.subarray(at, at + m.length), bytes.subarray(to)]);
    }
  }
  return bytes;
}

const MAGIC_NUMBERS = [
  [0xff, 0xd8, 0xff],
  [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
  [...Buffer.from('GIF89a')],
  [...Buffer.from('RIFF\x00\x10\x00\x00WEBPVP8 ', 'latin1')],
  [...Buffer.from('RIFF\x00\x10\x00\x00WEBPVP8L', 'latin1')],
  [...Buffer.from('II*\x00', 'latin1')],
  [...Buffer.from('MM\x00*', 'latin1')],
  [...Buffer.from('\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf', 'latin1')],
  [...Buffer.from('<svg ', 'latin1')],
  [...Buffer.from('BM', 'latin1')],
];

/** Codes decoding bytes may end in; anything else (or any other error type) is a bug. */
const BYTE_CODES: AntispoofErrorCode[] = ['DECODE_FAILED', 'UNSUPPORTED_FORMAT', 'IMAGE_TOO_LARGE'];

class Stats {
  cases = 0;
  answered = 0;
  maxMs = 0;
  readonly codes = new Map<string, number>();
  add(ms: number, outcome: string): void {
    this.cases++;
    this.maxMs = Math.max(this.maxMs, ms);
    if (outcome === 'answered') this.answered++;
    else this.codes.set(outcome, (this.codes.get(outcome) ?? 0) + 1);
  }
  line(name: string): string {
    const codes = [...this.codes].map(([code, n]) => `${code} ${n}`).join(', ');
    return `fuzz ${name}: ${this.cases} cases, ${this.answered} answered, refused: ${codes || 'none'}, max ${this.maxMs.toFixed(0)} ms`;
  }
}

describe('fuzz: decode + detect + crop', () => {
  it('(a) arbitrary and mutated bytes: a well-formed result or an AntispoofError, never a hang', async () => {
    const stats = new Stats();
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 4096 }),
      fc
        .tuple(fc.constantFrom(...MAGIC_NUMBERS), fc.uint8Array({ maxLength: 4096 }))
        .map(([magic, rest]) => Uint8Array.from([...magic, ...rest])),
      ...[() => validJpeg, () => validPng, () => validWebp, () => validGif].map((original) =>
        fc.array(mutation, { minLength: 1, maxLength: 6 }).map((mutations) => mutate(original(), mutations)),
      ),
    );
    await fc.assert(
      fc.asyncProperty(bytes, async (input) => {
        const settled = await settle(checker.check(input), CASE_LIMIT_MS);
        if (settled.outcome === 'timeout') throw new Error(`hang: no answer in ${CASE_LIMIT_MS} ms`);
        if (settled.outcome === 'rejected') {
          const { error } = settled;
          if (!(error instanceof AntispoofError)) throw new Error(`not an AntispoofError: ${String(error)}`);
          if (!BYTE_CODES.includes(error.code)) throw new Error(`unexpected code ${error.code}: ${error.message}`);
          stats.add(settled.ms, error.code);
          return;
        }
        expect(resultProblems(settled.value)).toEqual([]);
        stats.add(settled.ms, 'answered');
      }),
      parameters(200),
    );
    summary.push(stats.line('(a) bytes'));
    expect(stats.maxMs).toBeLessThan(CASE_LIMIT_MS);
  }, 120_000);

  it('(b) cropFace: size x size x 3 for any finite box, exact colour on a flat image', () => {
    let cases = 0;
    let maxMs = 0;
    const coordinate = fc.oneof(
      fc.double({ min: -200, max: 200, noNaN: true }),
      fc.double({ min: -1e9, max: 1e9, noNaN: true }),
      fc.double({ min: -1e300, max: 1e300, noNaN: true }),
    );
    // Sides up to 1500 (x cropScale <= 2): the crop's cost grows with the square of the side, see the report.
    const extent = fc.oneof(
      fc.double({ min: Number.MIN_VALUE, max: 1, noNaN: true }),
      fc.double({ min: 1, max: 200, noNaN: true }),
      fc.double({ min: 200, max: 1500, noNaN: true }),
    );
    const box: fc.Arbitrary<Box> = fc.record({ x: coordinate, y: coordinate, width: extent, height: extent });
    const image = fc
      .record({
        width: fc.integer({ min: 1, max: 48 }),
        height: fc.integer({ min: 1, max: 48 }),
        flat: fc.boolean(),
        colour: fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255)),
        seed: fc.nat(),
      })
      .map(({ width, height, flat, colour, seed }) => {
        const data = new Uint8Array(width * height * 3);
        for (let i = 0; i < data.length; i++) data[i] = flat ? colour[i % 3]! : (i * 2654435761 + seed) >>> 24;
        return { image: { data, width, height }, flat: flat ? colour : undefined };
      });
    fc.assert(
      fc.property(
        image,
        box,
        fc.integer({ min: 1, max: 256 }),
        fc.double({ min: 0.05, max: 2, noNaN: true }),
        ({ image, flat }, face, size, cropScale) => {
          cases++;
          const start = performance.now();
          const crop = cropFace(image, face, { cropScale, size });
          expect([crop.width, crop.height, crop.data.length]).toEqual([size, size, size * size * 3]);
          const wrong = flat ? crop.data.findIndex((value, i) => value !== flat[i % 3]) : -1;
          if (wrong >= 0)
            throw new Error(`flat image: crop byte ${wrong} is ${crop.data[wrong]}, not ${flat![wrong % 3]}`);
          maxMs = Math.max(maxMs, performance.now() - start);
        },
      ),
      parameters(1000),
    );
    // Sizes that are not positive integers are refused with INVALID_INPUT, whatever the box.
    fc.assert(
      fc.property(
        box,
        fc.oneof(fc.constantFrom(0, -1, 0.5, 16.5, Number.NaN, Infinity, -Infinity), fc.double({ max: 0 })),
        (face, size) => {
          cases++;
          const image = { data: new Uint8Array(12), width: 2, height: 2 };
          expect(() => cropFace(image, face, { cropScale: 1.5, size })).toThrow(expect.objectContaining(INVALID));
        },
      ),
      parameters(200),
    );
    summary.push(`fuzz (b) cropFace: ${cases} cases, max ${maxMs.toFixed(0)} ms`);
  }, 120_000);

  it('refuses boxes far larger than the image, and non-finite boxes, without doing the crop', async () => {
    const { modelFile } = writeTinyModel();
    const checker = await createLivenessChecker({ model: modelFile });
    const image = { data: new Uint8Array(64 * 48 * 3), width: 64, height: 48 };
    const started = Date.now();
    await expect(checker.check(image, { box: { x: -5e5, y: -5e5, width: 1e6, height: 1e6 } })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    expect(Date.now() - started).toBeLessThan(2000);
    await checker.close();
    expect(() => cropFace(image, { x: 0, y: 0, width: Infinity, height: 10 }, { cropScale: 1.5, size: 8 })).toThrow(
      expect.objectContaining(INVALID),
    );
    expect(() => cropFace(image, { x: NaN, y: 0, width: 10, height: 10 }, { cropScale: 1.5, size: 8 })).toThrow(
      expect.objectContaining(INVALID),
    );
  });

  it('(c) raw pixels of any width, height, channels and length: answered iff valid, else INVALID_INPUT or IMAGE_TOO_LARGE', async () => {
    const stats = new Stats();
    const dimension = fc.oneof(
      { weight: 6, arbitrary: fc.integer({ min: 1, max: 80 }) },
      fc.constantFrom(0, -1, -64, 0.5, 7.25, Number.NaN, Infinity, -Infinity, 2 ** 31, 2 ** 53, 1e300),
    );
    const kinds = ['Uint8Array', 'Buffer', 'Uint8ClampedArray', 'Array', 'Float32Array', 'Uint16Array'] as const;
    const finiteBox = fc.record({
      x: fc.double({ min: -100, max: 100, noNaN: true }),
      y: fc.double({ min: -100, max: 100, noNaN: true }),
      width: fc.oneof(fc.double({ min: -10, max: 200, noNaN: true }), fc.constantFrom(0, Number.NaN, Infinity)),
      height: fc.oneof(fc.double({ min: -10, max: 200, noNaN: true }), fc.constantFrom(0, Number.NaN, Infinity)),
    });
    const input = fc.record({
      width: dimension,
      height: dimension,
      channels: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(3, 4) }, fc.constantFrom(0, 1, 2, 5, 3.5, Number.NaN)),
      lengthChange: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, fc.integer({ min: -8, max: 8 })),
      kind: fc.oneof({ weight: 6, arbitrary: fc.constant('Uint8Array' as const) }, fc.constantFrom(...kinds)),
      options: fc.oneof(
        { weight: 3, arbitrary: fc.constant(undefined) },
        fc.constant({ wholeImage: true }),
        finiteBox.map((box) => ({ box })),
      ),
      fill: fc.nat(255),
    });
    await fc.assert(
      fc.asyncProperty(input, async ({ width, height, channels, lengthChange, kind, options, fill }) => {
        const wanted = width * height * channels;
        // Where the right length is absurd, any small array will do: it is wrong either way.
        const length = Number.isSafeInteger(wanted) && wanted <= 1 << 16 ? Math.max(0, wanted + lengthChange) : 48;
        const data =
          kind === 'Array'
            ? Array<number>(length).fill(fill)
            : kind === 'Buffer'
              ? Buffer.alloc(length, fill)
              : new { Uint8Array, Uint8ClampedArray, Float32Array, Uint16Array }[kind](length).fill(fill);
        const raw = { data, width, height, channels } as unknown as RawPixels;

        const validSize = Number.isInteger(width) && Number.isInteger(height) && width >= 1 && height >= 1;
        let expected: AntispoofErrorCode | 'answered';
        if (!['Uint8Array', 'Buffer', 'Uint8ClampedArray'].includes(kind)) expected = 'INVALID_INPUT';
        else if (!validSize || (channels !== 3 && channels !== 4)) expected = 'INVALID_INPUT';
        else if (width * height > RAW_MAX_PIXELS) expected = 'IMAGE_TOO_LARGE';
        else if (data.length !== width * height * channels) expected = 'INVALID_INPUT';
        else if (options && 'box' in options) {
          const { x, y, width: w, height: h } = options.box;
          const ok = [x, y, w, h].every(Number.isFinite) && w > 0 && h > 0;
          expected = ok && x + w > 0 && y + h > 0 && x < width && y < height ? 'answered' : 'INVALID_INPUT';
        } else expected = 'answered';

        const settled = await settle(rawChecker.check(raw, options), CASE_LIMIT_MS);
        if (settled.outcome === 'timeout') throw new Error(`hang: no answer in ${CASE_LIMIT_MS} ms`);
        if (settled.outcome === 'rejected') {
          if (!(settled.error instanceof AntispoofError))
            throw new Error(`not an AntispoofError: ${String(settled.error)}`);
          expect(settled.error.code).toBe(expected);
          stats.add(settled.ms, settled.error.code);
          return;
        }
        expect(expected).toBe('answered');
        expect([settled.value.width, settled.value.height]).toEqual([width, height]);
        expect(resultProblems(settled.value)).toEqual([]);
        if (options) expect(settled.value.faces).toHaveLength(1);
        stats.add(settled.ms, 'answered');
      }),
      parameters(500),
    );
    summary.push(stats.line('(c) raw pixels'));
  }, 120_000);
});
