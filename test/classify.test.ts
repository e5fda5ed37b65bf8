import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it, vi } from 'vitest';
import { acceptsBatches, classifierFromSession } from '../src/classify/classifier.js';
import { scoreFaces, validateModelCard, viewScales } from '../src/classify/index.js';
import { cropFace } from '../src/crop/index.js';
import type { RgbImage } from '../src/types.js';
import { createClassifier, readModelCard } from '../src/index.js';
import type { InferenceSessionLike } from '../src/inference-session.js';
import { AntispoofError } from '../src/errors.js';
import { patternImage, solidImage } from './helpers/images.js';
import { TINY_SIZE, tinyLiveProbability, writeTinyModel } from './helpers/tiny-model.js';

describe('classifier', () => {
  it('returns P(live) from the card-described model, several crops in one batch', async () => {
    const { modelFile } = writeTinyModel();
    const classifier = await createClassifier({ model: modelFile });
    const crops = [
      solidImage(TINY_SIZE, TINY_SIZE, [200, 10, 20]),
      solidImage(TINY_SIZE, TINY_SIZE, [20, 10, 200]),
      solidImage(TINY_SIZE, TINY_SIZE, [100, 100, 100]),
    ];
    const scores = await classifier.classify(crops);
    expect(scores[0]).toBeCloseTo(tinyLiveProbability(200, 20), 5);
    expect(scores[1]).toBeCloseTo(tinyLiveProbability(20, 200), 5);
    expect(scores[2]).toBeCloseTo(0.5, 5);
    expect(await classifier.classify([])).toEqual([]);
    await classifier.close();
  });

  it('can be named by its card', async () => {
    const { cardFile } = writeTinyModel();
    const classifier = await createClassifier({ model: cardFile });
    expect(classifier.card.name).toBe('tiny-test-model');
    await classifier.close();
  });

  it('reads the class order from the card', async () => {
    const { modelFile } = writeTinyModel({ cardOverrides: { output: { name: 'logits', labels: ['spoof', 'live'] } } });
    const classifier = await createClassifier({ model: modelFile });
    const [score] = await classifier.classify([solidImage(TINY_SIZE, TINY_SIZE, [200, 0, 20])]);
    expect(score).toBeCloseTo(1 - tinyLiveProbability(200, 20), 5);
    await classifier.close();
  });

  it('names the file when the model or card is broken', async () => {
    const missing = createClassifier({ model: '/nowhere/model.onnx' });
    await expect(missing).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });

    const corrupt = writeTinyModel();
    writeFileSync(corrupt.modelFile, Buffer.from('not an onnx model at all'));
    await expect(createClassifier({ model: corrupt.modelFile })).rejects.toMatchObject({
      code: 'MODEL_LOAD_FAILED',
      message: expect.stringContaining(corrupt.modelFile),
    });

    const wrongCard = writeTinyModel({
      cardOverrides: { output: { name: 'probabilities', labels: ['live', 'spoof'] } },
    });
    await expect(createClassifier({ model: wrongCard.modelFile })).rejects.toMatchObject({
      code: 'MODEL_CARD_INVALID',
      message: expect.stringContaining('does not match'),
    });

    const badCard = writeTinyModel();
    writeFileSync(badCard.cardFile, '{"name": "x", "file": "tiny.onnx"}');
    await expect(createClassifier({ model: badCard.modelFile })).rejects.toBeInstanceOf(AntispoofError);

    const noCard = writeTinyModel();
    const lonely = join(noCard.dir, 'lonely.onnx');
    writeFileSync(lonely, Buffer.alloc(1));
    await expect(createClassifier({ model: lonely })).rejects.toMatchObject({ code: 'MODEL_CARD_INVALID' });
  });
});

describe('classifier batching, failures and close', () => {
  const crops = [
    solidImage(TINY_SIZE, TINY_SIZE, [200, 10, 20]),
    solidImage(TINY_SIZE, TINY_SIZE, [20, 10, 200]),
    solidImage(TINY_SIZE, TINY_SIZE, [100, 100, 100]),
  ];
  const metadata = (shape: Array<number | string>) => [
    { name: 'input', isTensor: true as const, type: 'float32' as const, shape },
  ];

  it('decides batching from the model input: a symbolic or unknown batch dimension batches, a fixed 1 does not', () => {
    const session = (inputMetadata?: InferenceSessionLike['inputMetadata']) =>
      ({ inputNames: ['input'], outputNames: ['logits'], inputMetadata }) as unknown as InferenceSessionLike;
    expect(acceptsBatches(session(metadata(['batch', 3, 16, 16])), 'input')).toBe(true);
    expect(acceptsBatches(session(metadata([-1, 3, 16, 16])), 'input')).toBe(true);
    expect(acceptsBatches(session(metadata([])), 'input')).toBe(true);
    expect(acceptsBatches(session(undefined), 'input')).toBe(true);
    expect(acceptsBatches(session(metadata([1, 3, 16, 16])), 'input')).toBe(false);
  });

  it('runs a model exported with a fixed batch of 1 once per crop', async () => {
    const { modelFile } = writeTinyModel({ batch: 1 });
    const classifier = await createClassifier({ model: modelFile });
    const scores = await classifier.classify(crops);
    expect(scores[0]).toBeCloseTo(tinyLiveProbability(200, 20), 5);
    expect(scores[1]).toBeCloseTo(tinyLiveProbability(20, 200), 5);
    expect(scores[2]).toBeCloseTo(0.5, 5);
    await classifier.close();
  });

  /** A session that fails its first run, then answers zero logits; records each run's batch size. */
  async function flakyClassifier() {
    const { modelFile, cardFile } = writeTinyModel();
    const batches: number[] = [];
    const session = {
      inputNames: ['input'],
      outputNames: ['logits'],
      inputMetadata: metadata(['batch', 3, TINY_SIZE, TINY_SIZE]),
      run: vi.fn(async (feeds: Record<string, ort.Tensor>) => {
        const n = feeds['input']!.dims[0]!;
        batches.push(n);
        if (batches.length === 1) throw new Error('bad allocation in the runtime');
        return { logits: new ort.Tensor('float32', new Float32Array(n * 2), [n, 2]) };
      }),
      release: vi.fn(async () => {}),
    };
    const card = await readModelCard(cardFile);
    const classifier = classifierFromSession(session as unknown as InferenceSessionLike, ort.Tensor, card, {
      modelFile,
      cardFile,
    });
    return { classifier, session, batches, modelFile };
  }

  it('reports a runtime failure as INFERENCE_FAILED and keeps batching afterwards', async () => {
    const { classifier, batches, modelFile } = await flakyClassifier();
    const failed = classifier.classify(crops);
    await expect(failed).rejects.toBeInstanceOf(AntispoofError);
    await expect(classifier.classify(crops)).resolves.toEqual([0.5, 0.5, 0.5]);
    await failed.catch((error: AntispoofError) => {
      expect(error.code).toBe('INFERENCE_FAILED');
      expect(error.message).toContain(modelFile);
      expect(error.message).toContain('bad allocation in the runtime');
      expect((error.cause as Error).message).toBe('bad allocation in the runtime');
    });
    expect(batches).toEqual([3, 3]);
  });

  it('refuses a crop of the wrong size with INVALID_INPUT, before running the model', async () => {
    const { classifier, batches } = await flakyClassifier();
    await expect(classifier.classify([solidImage(8, 8, [0, 0, 0])])).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining(`model wants ${TINY_SIZE}x${TINY_SIZE}`),
    });
    expect(batches).toEqual([]);
  });

  it('closes once however often close() is called, and refuses to classify afterwards', async () => {
    const { classifier, session } = await flakyClassifier();
    await Promise.all([classifier.close(), classifier.close()]);
    await classifier.close();
    expect(session.release).toHaveBeenCalledTimes(1);
    await expect(classifier.classify(crops)).rejects.toMatchObject({ code: 'INFERENCE_FAILED' });
  });
});

/** The tiny model's card as parsed JSON, with one field of one of its sections replaced. */
function tinyCardWith(section: 'threshold' | 'crop', field: string, value: unknown) {
  const { cardFile } = writeTinyModel();
  const raw = JSON.parse(readFileSync(cardFile, 'utf8')) as Record<typeof section, Record<string, unknown>>;
  return { ...raw, [section]: { ...raw[section], [field]: value } };
}

describe('model card threshold.stream', () => {
  const card = (stream: unknown) => tinyCardWith('threshold', 'stream', stream);

  it('is optional and kept when valid', () => {
    const { cardFile } = writeTinyModel();
    expect(validateModelCard(JSON.parse(readFileSync(cardFile, 'utf8')), cardFile).threshold.stream).toBeUndefined();
    const measured = { rule: 'lowest threshold with pooled APCER <= 0.05 on fused sequence scores', n: 12 };
    expect(validateModelCard(card({ live: 0.7, measured }), 'c.json').threshold.stream).toEqual({
      live: 0.7,
      measured,
    });
    expect(validateModelCard(card({ live: 0 }), 'c.json').threshold.stream).toEqual({ live: 0 });
  });

  it('is rejected with a message naming the bad field', () => {
    const cases: Array<[unknown, RegExp]> = [
      [0.7, /model card c\.json: "threshold\.stream" must be an object \{ live, measured \}/],
      [null, /"threshold\.stream" must be an object/],
      [[0.7], /"threshold\.stream" must be an object/],
      [{}, /"threshold\.stream\.live" must be a number in \[0, 1\]/],
      [{ live: 1.2 }, /"threshold\.stream\.live" must be a number in \[0, 1\]/],
      [{ live: '0.7' }, /"threshold\.stream\.live" must be a number in \[0, 1\]/],
      [{ live: 0.7, measured: 'by hand' }, /"threshold\.stream\.measured" must be an object/],
    ];
    for (const [stream, message] of cases) {
      expect(() => validateModelCard(card(stream), 'c.json')).toThrow(AntispoofError);
      expect(() => validateModelCard(card(stream), 'c.json')).toThrow(message);
    }
  });

  it('stops a classifier from loading when invalid', async () => {
    const { modelFile } = writeTinyModel({ cardOverrides: { threshold: { live: 0.5, stream: { live: -1 } } } });
    await expect(createClassifier({ model: modelFile })).rejects.toMatchObject({
      code: 'MODEL_CARD_INVALID',
      message: expect.stringContaining('"threshold.stream.live" must be a number in [0, 1]'),
    });
  });
});

describe('model card crop.views (test-time views)', () => {
  const withViews = (views: unknown) => tinyCardWith('crop', 'views', views);

  it('is optional: one view at crop.scale; else one crop scale per factor', () => {
    const { cardFile } = writeTinyModel();
    const plain = validateModelCard(JSON.parse(readFileSync(cardFile, 'utf8')), cardFile);
    expect(viewScales(plain)).toEqual([1.5]);
    expect(viewScales(validateModelCard(withViews([0.88, 1.12]), 'c.json'))).toEqual([1.5 * 0.88, 1.5 * 1.12]);
  });

  it('is rejected with a message naming the field when not 1-8 sane factors', () => {
    for (const views of [[], 'wide', [0.88, '1.12'], [0.4], [2.5], [0.6], new Array(9).fill(1), [Number.NaN]]) {
      // 0.6 x crop.scale 1.5 = 0.9: a crop smaller than the face box.
      expect(() => validateModelCard(withViews(views), 'c.json')).toThrow(/model card c\.json: "crop\.views"/);
    }
  });

  it('scores a face as the mean P(live) of its view crops, all in one classifier call', async () => {
    const { modelFile } = writeTinyModel({ cardOverrides: { crop: { scale: 1.5, views: [0.8, 1.25] } } });
    const classifier = await createClassifier({ model: modelFile });
    const calls: number[] = [];
    const classify = classifier.classify.bind(classifier);
    const counted = {
      ...classifier,
      classify: async (crops: readonly RgbImage[]) => (calls.push(crops.length), classify(crops)),
    };
    // Red inside a 40 px square, blue around it: the tighter view holds more red, so the views disagree.
    const inside = (x: number, y: number) => Math.abs(x - 100) < 20 && Math.abs(y - 100) < 20;
    const image = patternImage(200, 200, (x, y, c) => (c === (inside(x, y) ? 0 : 2) ? 255 : 0));
    const boxes = [
      { x: 80, y: 80, width: 40, height: 40 },
      { x: 70, y: 70, width: 60, height: 60 },
    ];
    const scores = await scoreFaces(counted, image, boxes);
    expect(calls).toEqual([4]);
    for (const [i, box] of boxes.entries()) {
      const [tight, wide] = await classify(
        [1.2, 1.875].map((cropScale) => cropFace(image, box, { cropScale, size: TINY_SIZE })),
      );
      expect(tight).not.toBeCloseTo(wide!, 3);
      expect(scores[i]).toBeCloseTo((tight! + wide!) / 2, 6);
    }
    await classifier.close();
  });
});
