import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import * as ortWeb from 'onnxruntime-web';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifierFromSession, type Classifier } from '../src/classify/classifier.js';
import {
  createClassifier,
  createFaceDetector,
  DEFAULT_DETECTOR_MODEL,
  packageModelsDir,
  resolveModel,
  singleCard,
} from '../src/index.js';
import { cropFace } from '../src/crop/index.js';
import type { FaceDetector } from '../src/detect/index.js';
import { faceDetectorFromSession } from '../src/detect/detector.js';
import type { RgbImage } from '../src/types.js';
import { skipWithoutShared } from './helpers/shared.js';
import { samplePhoto, solidImage } from './helpers/images.js';
import { TINY_SIZE, tinyLiveProbability, writeTinyModel } from './helpers/tiny-model.js';

// onnxruntime-web in Node: the same wasm backend the browser demo runs, one thread to stay light.
ortWeb.env.wasm.numThreads = 1;

async function webSession(file: string): Promise<ortWeb.InferenceSession> {
  return ortWeb.InferenceSession.create(new Uint8Array(await readFile(file)), {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
  });
}

/** The classifier code of src/, over an onnxruntime-web session: what the page builds in web/src/models.ts. */
async function webClassifier(model: string): Promise<Classifier> {
  const { modelFile, cardFile, card } = await resolveModel(model);
  return classifierFromSession(await webSession(modelFile), ortWeb.Tensor, card, { modelFile, cardFile });
}

/** Where a card's "file" points, relative to the card (as resolveModel reads it), without validating the card. */
function modelFileOfCard(cardFile: string): string {
  const { file } = JSON.parse(readFileSync(cardFile, 'utf8')) as { file: string };
  return isAbsolute(file) ? file : resolve(dirname(cardFile), file);
}

async function decode(file: string): Promise<RgbImage> {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

/** Face crops of real photos, cut by THE crop at the card's scale and size around the node detector's faces. */
async function photoCrops(detector: FaceDetector, cropScale: number, size: number): Promise<RgbImage[]> {
  const crops: RgbImage[] = [];
  for (const n of [1, 2, 3, 6] as const) {
    const image = await decode(samplePhoto(n));
    for (const face of await detector.detect(image)) crops.push(cropFace(image, face.box, { cropScale, size }));
  }
  return crops;
}

describe('onnxruntime-web (wasm) in Node runs the pipeline as onnxruntime-node does', () => {
  let nodeDetector: FaceDetector;
  beforeAll(async () => {
    nodeDetector = await createFaceDetector();
  });
  afterAll(async () => {
    await nodeDetector.close();
  });

  it('gives the tiny test model the same P(live) on solid colours and on real face crops', async () => {
    const { modelFile } = writeTinyModel();
    const node = await createClassifier({ model: modelFile });
    const web = await webClassifier(modelFile);
    try {
      const solid = [
        solidImage(TINY_SIZE, TINY_SIZE, [200, 10, 20]),
        solidImage(TINY_SIZE, TINY_SIZE, [20, 10, 200]),
        solidImage(TINY_SIZE, TINY_SIZE, [100, 100, 100]),
      ];
      const webSolid = await web.classify(solid);
      expect(webSolid[0]).toBeCloseTo(tinyLiveProbability(200, 20), 5);
      expect(webSolid[1]).toBeCloseTo(tinyLiveProbability(20, 200), 5);
      expect(webSolid[2]).toBeCloseTo(0.5, 5);

      const crops = await photoCrops(
        nodeDetector,
        singleCard(node.card, 'parity').crop.scale,
        singleCard(node.card, 'parity').input.size,
      );
      expect(crops.length).toBeGreaterThanOrEqual(8);
      const [nodeScores, webScores] = [await node.classify(crops), await web.classify(crops)];
      webScores.forEach((score, i) => expect(Math.abs(score - nodeScores[i]!)).toBeLessThan(1e-5));
      // One crop at a time (as a single-face frame in the page) gives the same as the batch.
      expect((await web.classify([crops[0]!]))[0]).toBeCloseTo(webScores[0]!, 6);
    } finally {
      await Promise.all([node.close(), web.close()]);
    }
  });

  it('finds the same faces with the BlazeFace detector', async () => {
    const web = faceDetectorFromSession(await webSession(DEFAULT_DETECTOR_MODEL), ortWeb.Tensor);
    try {
      for (const n of [1, 3, 6] as const) {
        const image = await decode(samplePhoto(n));
        const [nodeFaces, webFaces] = [await nodeDetector.detect(image), await web.detect(image)];
        expect(webFaces.length).toBe(nodeFaces.length);
        expect(webFaces.length).toBeGreaterThan(0);
        webFaces.forEach((face, i) => {
          const expected = nodeFaces[i]!;
          expect(Math.abs(face.score - expected.score)).toBeLessThan(1e-4);
          for (const key of ['x', 'y', 'width', 'height'] as const)
            expect(Math.abs(face.box[key] - expected.box[key])).toBeLessThan(0.5);
        });
      }
    } finally {
      await web.close();
    }
  });

  // Real classifiers, when this checkout has them: the trained model (models/ is filled by training/export.py and
  // quantize.py) and the upstream reference the benchmarks compare against (read from ../shared/reference).
  // FP32 kernels agree to rounding; the INT8 (QDQ) models get a little more room: wasm and native quantized kernels
  // may round an activation one int8 step apart (the upstream INT8 model measured identical, ours v1.2 within 1.4e-3
  // on a VNNI machine). On an AVX2-only CPU (AMD EPYC without VNNI) onnxruntime-node's u8s8 kernels sum pairs in
  // saturating int16 (vpmaddubsw), which wasm does not: ours v1.2 then measured 0.022 apart, hence 0.03.
  const realModels = [
    { model: join(packageModelsDir(), 'antispoof-v2.onnx'), tolerance: 1e-4 },
    { model: join(packageModelsDir(), 'antispoof-v2.int8.onnx'), tolerance: 3e-2 },
    { model: 'bench/baselines/face-antispoof-onnx.fp32.json', tolerance: 1e-4 },
    { model: 'bench/baselines/face-antispoof-onnx.int8.json', tolerance: 1e-3 },
  ];
  for (const { model, tolerance } of realModels) {
    const present = existsSync(model) && (!model.endsWith('.json') || existsSync(modelFileOfCard(model)));
    // The upstream reference lives in ../shared: missing under CI is a failure, not a skip.
    const upstream = model.startsWith('bench/baselines/');
    const skip = upstream ? !present && skipWithoutShared(join('..', 'shared', 'reference')) : !present;
    it.skipIf(skip)(`gives a real model (${model}) the same P(live) on real face crops`, async () => {
      const node = await createClassifier({ model });
      const web = await webClassifier(model);
      try {
        const crops = await photoCrops(
          nodeDetector,
          singleCard(node.card, 'parity').crop.scale,
          singleCard(node.card, 'parity').input.size,
        );
        const [nodeScores, webScores] = [await node.classify(crops), await web.classify(crops)];
        webScores.forEach((score, i) => expect(Math.abs(score - nodeScores[i]!)).toBeLessThan(tolerance));
      } finally {
        await Promise.all([node.close(), web.close()]);
      }
    });
  }
});
