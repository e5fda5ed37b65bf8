import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { createClassifier } from '../src/index.js';
import type { FaceDetector } from '../src/detect/index.js';
import { createLivenessChecker, cropFace, type LivenessChecker } from '../src/index.js';
import { createFacePipeline } from '../src/pipeline.js';
import { checkerFromLoadingParts } from '../src/checker-parts.js';
import { decodeImage } from '../src/image/decode.js';
import { samplePhoto, solidImage, patternImage, encode } from './helpers/images.js';
import { TINY_SIZE, writeTinyModel } from './helpers/tiny-model.js';

let checker: LivenessChecker;
beforeAll(async () => {
  checker = await createLivenessChecker({ model: writeTinyModel().modelFile });
});
afterAll(async () => checker?.close());

/** What the tiny model must answer for a crop: softmax of 8 * (mean red, mean blue). */
function expectedScore(crop: { data: Uint8Array }): number {
  let red = 0;
  let blue = 0;
  const n = crop.data.length / 3;
  for (let p = 0; p < n; p++) {
    red += crop.data[p * 3]!;
    blue += crop.data[p * 3 + 2]!;
  }
  return 1 / (1 + Math.exp((8 * (blue - red)) / 255 / n));
}

/** Five real faces (from two group photos) in a 3 x 2 grid: a 5-person image at selfie-camera scale. */
async function fivePeople(detect: LivenessChecker): Promise<Buffer> {
  const cell = 200;
  const tiles: { input: Buffer; left: number; top: number }[] = [];
  for (const n of [1, 3] as const) {
    const image = await decodeImage(samplePhoto(n));
    for (const face of (await detect.check(image)).faces) {
      const crop = cropFace(image, face.box, { cropScale: 1.6, size: cell });
      const i = tiles.length;
      if (i < 5) tiles.push({ input: await encode(crop), left: (i % 3) * cell, top: Math.floor(i / 3) * cell });
    }
  }
  expect(tiles).toHaveLength(5);
  return sharp({ create: { width: 3 * cell, height: 2 * cell, channels: 3, background: '#808080' } })
    .composite(tiles)
    .jpeg()
    .toBuffer();
}

describe('checker.check', () => {
  it('finds the faces of a real photo and classifies the canonical crop of each', async () => {
    const result = await checker.check(samplePhoto(1));
    const image = await decodeImage(samplePhoto(1));
    expect(result.width).toBe(image.width);
    expect(result.faces.length).toBeGreaterThanOrEqual(2);
    for (const face of result.faces) {
      const crop = cropFace(image, face.box, { cropScale: 1.5, size: TINY_SIZE });
      expect(face.score).toBeCloseTo(expectedScore(crop), 5);
      expect(['live', 'spoof', 'retry']).toContain(face.verdict);
      expect(face.detectionScore).toBeGreaterThan(0.5);
    }
  });

  it('answers each of five faces separately', async () => {
    const result = await checker.check(await fivePeople(checker));
    expect(result.faces).toHaveLength(5);
  });

  it('returns no faces for an image without one', async () => {
    const noise = patternImage(320, 240, (x, y, c) => (x * 2654435761 + y * 40503 + c * 977) % 251);
    expect((await checker.check(await encode(noise))).faces).toEqual([]);
    expect((await checker.check(solidImage(200, 200, [128, 128, 128]))).faces).toEqual([]);
  });

  it('uses a caller-given box or the whole image instead of the detector', async () => {
    const red = patternImage(100, 100, (x, y, c) => (c === 0 ? 200 : (x * 37 + y * 91) % 64));
    const whole = await checker.check(red, { wholeImage: true });
    expect(whole.faces).toHaveLength(1);
    expect(whole.faces[0]!.box).toEqual({ x: 0, y: 0, width: 100, height: 100 });
    expect(whole.faces[0]!.detectionScore).toBeNull();
    expect(whole.faces[0]!.verdict).toBe('live');

    const boxed = await checker.check(red, { box: { x: 10, y: 10, width: 70, height: 70 } });
    expect(boxed.faces[0]!.score).toBeCloseTo(
      expectedScore(cropFace(red, { x: 10, y: 10, width: 70, height: 70 }, { cropScale: 1.5, size: TINY_SIZE })),
      5,
    );
    await expect(checker.check(red, { box: { x: 500, y: 500, width: 10, height: 10 } })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
  });

  it('asks for a retry instead of guessing on poor faces, with the reasons', async () => {
    const dark = patternImage(200, 200, (x, y) => (x * 7 + y * 3) % 20);
    expect((await checker.check(dark, { wholeImage: true })).faces[0]).toMatchObject({
      verdict: 'retry',
      reasons: expect.arrayContaining(['too-dark']),
    });
    const flat = solidImage(200, 200, [150, 120, 110]);
    expect((await checker.check(flat, { wholeImage: true })).faces[0]!.reasons).toContain('blurred');
    const tiny = patternImage(40, 40, (x, y) => (x * 31 + y * 17) % 256);
    expect((await checker.check(tiny, { wholeImage: true })).faces[0]!.reasons).toContain('face-too-small');
    const textured = patternImage(300, 300, (x, y) => 60 + ((x * 31 + y * 17) % 128));
    const cut = await checker.check(textured, { box: { x: -100, y: 50, width: 160, height: 160 } });
    expect(cut.faces[0]!.reasons).toEqual(['cut-by-frame']);
  });
});

describe('checker lifecycle and timings', () => {
  it('closes once however often close() is called', async () => {
    const own = await createLivenessChecker({ model: writeTinyModel().modelFile });
    await Promise.all([own.close(), own.close()]);
    await expect(own.close()).resolves.toBeUndefined();
    await expect(own.check(solidImage(64, 64, [1, 2, 3]))).rejects.toMatchObject({ code: 'INFERENCE_FAILED' });
  });

  it('gives every call its own timings; lastTimings is the last call to complete', async () => {
    // A detector whose calls finish when the test says, so two checks overlap in a known order.
    const releases: Array<() => void> = [];
    const detector: FaceDetector = {
      detect: () => new Promise((resolve) => releases.push(() => resolve([]))),
      close: async () => {},
    };
    const classifier = await createClassifier({ model: writeTinyModel().modelFile });
    const pipeline = createFacePipeline(detector, classifier);
    const lastTimings = pipeline.lastTimings;
    const image = solidImage(32, 32, [9, 9, 9]);
    const slow = pipeline.checkImage(image);
    const fast = pipeline.checkImage(image);
    await new Promise((resolve) => setTimeout(resolve, 30));
    releases[1]!();
    const fastResult = await fast;
    expect(pipeline.lastTimings).toEqual(fastResult.timings);
    releases[0]!();
    const slowResult = await slow;
    expect(slowResult.timings.detectMs).toBeGreaterThanOrEqual(25);
    expect(fastResult.timings.detectMs).toBeGreaterThanOrEqual(25);
    expect(slowResult.timings).not.toBe(fastResult.timings);
    expect(pipeline.lastTimings).toEqual(slowResult.timings);
    expect(pipeline.lastTimings).toBe(lastTimings); // updated in place: the browser page holds this object
    await classifier.close();
  });

  it('releases whatever did load when the other model or the options fail, and reports the first error', async () => {
    const closed: string[] = [];
    const detector: FaceDetector = { detect: async () => [], close: async () => void closed.push('detector') };
    const loaded = async () => {
      const classifier = await createClassifier({ model: writeTinyModel().modelFile });
      const close = classifier.close;
      return Object.assign(classifier, { close: async () => (closed.push('classifier'), close()) });
    };
    const missing = Object.assign(new Error('no such classifier'), { code: 'MODEL_NOT_FOUND' });
    await expect(checkerFromLoadingParts(Promise.resolve(detector), Promise.reject(missing))).rejects.toBe(missing);
    expect(closed).toEqual(['detector']);
    closed.length = 0;
    await expect(checkerFromLoadingParts(Promise.reject(new Error('bad detector')), loaded())).rejects.toThrow(
      'bad detector',
    );
    expect(closed).toEqual(['classifier']);
    closed.length = 0;
    await expect(checkerFromLoadingParts(Promise.resolve(detector), loaded(), { threshold: 2 })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    expect(closed.sort()).toEqual(['classifier', 'detector']);
    closed.length = 0;
    const core = await checkerFromLoadingParts(Promise.resolve(detector), loaded());
    await Promise.all([core.close(), core.close()]);
    expect(closed.sort()).toEqual(['classifier', 'detector']);
  });
});
