import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createClassifier, validateModelCard } from '../src/classify/index.js';
import { AntispoofError } from '../src/errors.js';
import { solidImage } from './helpers/images.js';
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

describe('model card threshold.stream', () => {
  const card = (stream: unknown) => {
    const { cardFile } = writeTinyModel();
    const raw = JSON.parse(readFileSync(cardFile, 'utf8')) as { threshold: Record<string, unknown> };
    return { ...raw, threshold: { ...raw.threshold, stream } };
  };

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
