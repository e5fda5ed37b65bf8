import { existsSync } from 'node:fs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFaceDetector, DEFAULT_DETECTOR_MODEL } from '../src/index.js';
import {
  decodeDetections,
  generateSsdAnchors,
  intersectionOverUnion,
  letterbox,
  letterboxTransform,
  pointToModel,
  pointToOriginal,
  SHORT_RANGE_ANCHOR_OPTIONS,
  SHORT_RANGE_ANCHORS,
  SHORT_RANGE_DECODE_OPTIONS,
  weightedNonMaxSuppression,
  type FaceDetector,
  type RawDetection,
} from '../src/detect/index.js';
import type { Box, RgbImage } from '../src/types.js';

const SAMPLES = 'node_modules/@vladmandic/face-api/demo';

async function decode(file: string, region?: { left: number; top: number; width: number; height: number }) {
  const pipeline = region ? sharp(file).extract(region) : sharp(file);
  const { data, info } = await pipeline.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

function solid(width: number, height: number, pixel: (i: number) => number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = pixel(i);
  return { data, width, height };
}

function det(xMin: number, yMin: number, xMax: number, yMax: number, score: number, kp = 0): RawDetection {
  return { xMin, yMin, xMax, yMax, score, keypoints: [kp, kp + 0.1] };
}

const asRaw = (b: Box): RawDetection => det(b.x, b.y, b.x + b.width, b.y + b.height, 1);

describe('SSD anchors (BlazeFace short-range)', () => {
  it('has 896 anchors: 16x16x2 at stride 8, then 8x8x6 at stride 16', () => {
    expect(SHORT_RANGE_ANCHORS).toHaveLength(896);
    expect(SHORT_RANGE_ANCHORS[0]).toEqual({ xCenter: 0.5 / 16, yCenter: 0.5 / 16, width: 1, height: 1 });
    expect(SHORT_RANGE_ANCHORS[1]).toEqual(SHORT_RANGE_ANCHORS[0]);
    expect(SHORT_RANGE_ANCHORS[2]).toEqual({ xCenter: 1.5 / 16, yCenter: 0.5 / 16, width: 1, height: 1 });
    expect(SHORT_RANGE_ANCHORS[511]).toEqual({ xCenter: 15.5 / 16, yCenter: 15.5 / 16, width: 1, height: 1 });
    expect(SHORT_RANGE_ANCHORS[512]).toEqual({ xCenter: 0.5 / 8, yCenter: 0.5 / 8, width: 1, height: 1 });
    expect(SHORT_RANGE_ANCHORS[517]).toEqual(SHORT_RANGE_ANCHORS[512]);
    expect(SHORT_RANGE_ANCHORS[518]!.xCenter).toBeCloseTo(1.5 / 8);
    expect(SHORT_RANGE_ANCHORS[895]).toEqual({ xCenter: 7.5 / 8, yCenter: 7.5 / 8, width: 1, height: 1 });
  });

  it('uses layer scales and interpolated scales when anchor size is not fixed', () => {
    const anchors = generateSsdAnchors({ ...SHORT_RANGE_ANCHOR_OPTIONS, fixedAnchorSize: false });
    const s0 = 0.1484375;
    const s1 = 0.1484375 + (0.75 - 0.1484375) / 3;
    expect(anchors[0]!.width).toBeCloseTo(s0);
    expect(anchors[1]!.width).toBeCloseTo(Math.sqrt(s0 * s1));
    expect(anchors[512 + 5]!.width).toBeCloseTo(Math.sqrt(0.75)); // last layer interpolates with scale 1
  });
});

describe('decodeDetections', () => {
  it('decodes x, y, w, h and keypoints relative to the anchor, with clipped sigmoid scores', () => {
    const n = SHORT_RANGE_ANCHORS.length;
    const regressors = new Float32Array(n * 16);
    const scores = new Float32Array(n).fill(-10);
    regressors.set([12.8, -6.4, 32, 64, 0, 0, 6.4, 6.4, 0, 0, 0, 0, 0, 0, 0, 0], 0);
    scores[0] = 1000; // clipped to 100 before the sigmoid
    scores[895] = 0; // sigmoid 0.5 is kept at minScore 0.5
    const out = decodeDetections(regressors, scores, SHORT_RANGE_ANCHORS, SHORT_RANGE_DECODE_OPTIONS);
    expect(out).toHaveLength(2);
    const [a, b] = out as [RawDetection, RawDetection];
    const cx = 0.03125 + 0.1;
    const cy = 0.03125 - 0.05;
    expect(a.xMin).toBeCloseTo(cx - 0.125);
    expect(a.xMax).toBeCloseTo(cx + 0.125);
    expect(a.yMin).toBeCloseTo(cy - 0.25);
    expect(a.yMax).toBeCloseTo(cy + 0.25);
    expect(a.keypoints).toHaveLength(12);
    expect(a.keypoints[0]).toBeCloseTo(0.03125);
    expect(a.keypoints[2]).toBeCloseTo(0.03125 + 0.05);
    expect(a.score).toBeCloseTo(1 / (1 + Math.exp(-100)));
    expect(b.score).toBe(0.5);
    expect(b.xMin).toBeCloseTo(0.9375);
  });

  it('rejects outputs whose size does not match the anchors', () => {
    expect(() =>
      decodeDetections(new Float32Array(10), new Float32Array(896), SHORT_RANGE_ANCHORS, SHORT_RANGE_DECODE_OPTIONS),
    ).toThrow(/mismatch/);
  });
});

describe('weightedNonMaxSuppression', () => {
  it('computes IoU', () => {
    expect(intersectionOverUnion(det(0, 0, 2, 2, 1), det(1, 0, 3, 2, 1))).toBeCloseTo(2 / 6);
    expect(intersectionOverUnion(det(0, 0, 1, 1, 1), det(2, 2, 3, 3, 1))).toBe(0);
  });

  it('replaces each overlapping cluster by the score-weighted average and keeps the best score', () => {
    const a = det(0, 0, 10, 10, 0.9, 1);
    const b = det(1, 1, 11, 11, 0.6, 4);
    const c = det(0.5, 0, 10.5, 10, 0.3, 2);
    const far = det(50, 50, 60, 60, 0.8, 7);
    const out = weightedNonMaxSuppression([c, far, b, a], 0.3);
    expect(out).toHaveLength(2);
    const [first, second] = out as [RawDetection, RawDetection];
    const total = 0.9 + 0.6 + 0.3;
    expect(first.score).toBe(0.9);
    expect(first.xMin).toBeCloseTo((0 * 0.9 + 1 * 0.6 + 0.5 * 0.3) / total);
    expect(first.yMax).toBeCloseTo((10 * 0.9 + 11 * 0.6 + 10 * 0.3) / total);
    expect(first.keypoints[0]).toBeCloseTo((1 * 0.9 + 4 * 0.6 + 2 * 0.3) / total);
    expect(second).toEqual(far);
  });

  it('keeps boxes whose IoU is at or below the threshold apart', () => {
    const a = det(0, 0, 2, 2, 0.9);
    const b = det(1, 0, 3, 2, 0.8); // IoU 1/3
    expect(weightedNonMaxSuppression([a, b], 0.34)).toHaveLength(2);
    expect(weightedNonMaxSuppression([a, b], 0.3)).toHaveLength(1);
  });

  it('terminates on zero-area boxes', () => {
    expect(weightedNonMaxSuppression([det(1, 1, 1, 1, 0.9), det(1, 1, 1, 1, 0.8)])).toHaveLength(2);
  });
});

describe('letterbox', () => {
  it('fits a landscape image centred with black padding and maps points both ways', () => {
    const t = letterboxTransform(640, 480, 128);
    expect(t).toMatchObject({ contentWidth: 128, contentHeight: 96, offsetX: 0, offsetY: 16 });
    for (const p of [
      { x: 0, y: 0 },
      { x: 640, y: 480 },
      { x: 123.4, y: 321.9 },
    ]) {
      const back = pointToOriginal(pointToModel(p, t), t);
      expect(back.x).toBeCloseTo(p.x, 9);
      expect(back.y).toBeCloseTo(p.y, 9);
    }
    expect(pointToModel({ x: 320, y: 240 }, t)).toEqual({ x: 64, y: 64 });
  });

  it('produces a [-1, 1] NHWC tensor with the content where the transform says', () => {
    // Portrait 300x600, white with a black 100x100 square at (100, 400).
    const image = solid(300, 600, (i) => {
      const p = Math.floor(i / 3);
      const [x, y] = [p % 300, Math.floor(p / 300)];
      return x >= 100 && x < 200 && y >= 400 && y < 500 ? 0 : 255;
    });
    const { tensor, transform } = letterbox(image, 128);
    expect(transform).toMatchObject({ contentWidth: 64, contentHeight: 128, offsetX: 32, offsetY: 0 });
    const at = (x: number, y: number) => tensor[(y * 128 + x) * 3]!;
    expect(at(5, 64)).toBe(-1); // padding
    expect(at(64, 20)).toBeCloseTo(1, 5); // white content
    const square = pointToModel({ x: 150, y: 450 }, transform);
    expect(at(Math.floor(square.x), Math.floor(square.y))).toBeCloseTo(-1, 5);
    expect(Math.min(...tensor)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...tensor)).toBeLessThanOrEqual(1 + 1e-6);
  });
});

describe('face detector (BlazeFace short-range ONNX)', () => {
  let detector: FaceDetector;
  beforeAll(async () => {
    detector = await createFaceDetector();
  });
  afterAll(async () => {
    await detector.close();
  });

  it('resolves the bundled model next to the sources', () => {
    expect(existsSync(DEFAULT_DETECTOR_MODEL)).toBe(true);
    expect(DEFAULT_DETECTOR_MODEL.endsWith('models/face_detection_short_range.onnx')).toBe(true);
  });

  // People in each photo, and how many faces the short-range model finds at 1920 px wide (it is meant for
  // faces that fill a good part of the frame; here faces are ~15% of the width and some look down or away).
  const expected: Record<number, { people: number; min: number }> = {
    1: { people: 3, min: 3 },
    2: { people: 3, min: 1 },
    3: { people: 3, min: 2 },
    4: { people: 4, min: 2 },
    5: { people: 5, min: 2 },
    6: { people: 4, min: 4 },
  };

  for (const [sample, { people, min }] of Object.entries(expected)) {
    it(`finds faces in sample${sample}.jpg`, async () => {
      const image = await decode(`${SAMPLES}/sample${sample}.jpg`);
      const faces = await detector.detect(image);
      expect(faces.length).toBeGreaterThanOrEqual(min);
      expect(faces.length).toBeLessThanOrEqual(people);
      for (let i = 0; i < faces.length; i++) {
        const { box, keypoints, score } = faces[i]!;
        expect(score).toBeGreaterThanOrEqual(0.5);
        expect(score).toBeLessThanOrEqual(1);
        if (i > 0) expect(score).toBeLessThanOrEqual(faces[i - 1]!.score);
        // Faces in these photos are 250-350 px wide; BlazeFace boxes are square-ish.
        expect(box.width).toBeGreaterThan(200);
        expect(box.width).toBeLessThan(450);
        expect(box.height / box.width).toBeGreaterThan(0.8);
        expect(box.height / box.width).toBeLessThan(1.25);
        expect(box.x + box.width / 2).toBeGreaterThan(0);
        expect(box.x + box.width / 2).toBeLessThan(image.width);
        expect(box.y + box.height / 2).toBeGreaterThan(0);
        expect(box.y + box.height / 2).toBeLessThan(image.height);
        expect(keypoints).toHaveLength(6);
        for (const p of keypoints) {
          expect(p.x).toBeGreaterThan(box.x - box.width * 0.25);
          expect(p.x).toBeLessThan(box.x + box.width * 1.25);
          expect(p.y).toBeGreaterThan(box.y - box.height * 0.25);
          expect(p.y).toBeLessThan(box.y + box.height * 1.25);
        }
        for (let j = 0; j < i; j++) expect(intersectionOverUnion(asRaw(box), asRaw(faces[j]!.box))).toBeLessThan(0.3);
      }
    });
  }

  it('places keypoints where they belong on upright faces (sample6): eyes above nose above mouth', async () => {
    const faces = await detector.detect(await decode(`${SAMPLES}/sample6.jpg`));
    for (const { keypoints } of faces) {
      const [rightEye, leftEye, nose, mouth] = keypoints as [
        { x: number; y: number },
        { x: number; y: number },
        { x: number; y: number },
        { x: number; y: number },
      ];
      expect(rightEye.x).toBeLessThan(leftEye.x); // subject's right eye is on the image left
      expect(Math.max(rightEye.y, leftEye.y)).toBeLessThan(mouth.y);
      expect(nose.y).toBeLessThan(mouth.y);
    }
  });

  it('maps boxes back to original pixels for landscape, portrait and square crops alike', async () => {
    // One face (sample3, woman on the left, ~230 px wide) seen through crops of different shapes and offsets.
    // At these scales the face is 30-50 px in the model input, where BlazeFace boxes are stable.
    const file = `${SAMPLES}/sample3.jpg`;
    const regions = [
      { left: 250, top: 150, width: 900, height: 900 },
      { left: 300, top: 200, width: 900, height: 600 },
      { left: 450, top: 0, width: 600, height: 900 },
      { left: 500, top: 300, width: 700, height: 400 },
    ];
    const boxes: Box[] = [];
    for (const region of regions) {
      const faces = await detector.detect(await decode(file, region));
      const face = faces.find((f) => Math.abs(f.box.x + region.left + f.box.width / 2 - 700) < 150);
      expect(face, JSON.stringify(region)).toBeDefined();
      boxes.push({ ...face!.box, x: face!.box.x + region.left, y: face!.box.y + region.top });
    }
    const ref = boxes[0]!;
    expect(ref.width).toBeGreaterThan(180);
    expect(ref.width).toBeLessThan(280);
    for (const box of boxes.slice(1)) {
      expect(Math.abs(box.x + box.width / 2 - (ref.x + ref.width / 2))).toBeLessThan(ref.width * 0.06);
      expect(Math.abs(box.y + box.height / 2 - (ref.y + ref.height / 2))).toBeLessThan(ref.width * 0.06);
      expect(Math.abs(box.width - ref.width)).toBeLessThan(ref.width * 0.1);
    }
  });

  it('finds no face on a uniform grey image or on random noise', async () => {
    expect(await detector.detect(solid(640, 480, () => 128))).toEqual([]);
    let seed = 42;
    const noise = solid(640, 480, () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed >>> 24;
    });
    expect(await detector.detect(noise)).toEqual([]);
  });

  it('rejects malformed images with INVALID_INPUT', async () => {
    await expect(detector.detect({ data: new Uint8Array(10), width: 4, height: 4 })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    await expect(detector.detect({ data: new Uint8Array(0), width: 0, height: 0 })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
  });

  it('reports a missing model file by name', async () => {
    await expect(createFaceDetector({ modelFile: 'models/nope.onnx' })).rejects.toMatchObject({
      code: 'MODEL_NOT_FOUND',
    });
  });
});
