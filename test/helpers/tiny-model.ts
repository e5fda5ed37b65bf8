import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { meanColourClassifier } from './onnx-builder.js';

export const TINY_SIZE = 16;

/**
 * A test-built classifier whose answer is known in advance: live logit = 8 * mean red, spoof logit = 8 * mean blue
 * (pixels / 255). So a red face is live with P = 1 / (1 + e^-8), a blue one spoof. Never a real model.
 */
export function writeTinyModel(
  options: { threshold?: number; cardOverrides?: Record<string, unknown>; batch?: number } = {},
) {
  const dir = mkdtempSync(join(tmpdir(), 'antispoof-tiny-'));
  const modelFile = join(dir, 'tiny.onnx');
  writeFileSync(
    modelFile,
    meanColourClassifier({
      size: TINY_SIZE,
      weights: [
        [8, 0],
        [0, 0],
        [0, 8],
      ],
      bias: [0, 0],
      ...(options.batch === undefined ? {} : { batch: options.batch }),
    }),
  );
  const card = {
    name: 'tiny-test-model',
    version: '0.0.0',
    file: 'tiny.onnx',
    input: {
      name: 'input',
      size: TINY_SIZE,
      layout: 'NCHW',
      channelOrder: 'RGB',
      scale: 1 / 255,
      mean: [0, 0, 0],
      std: [1, 1, 1],
    },
    output: { name: 'logits', labels: ['live', 'spoof'] },
    crop: { scale: 1.5 },
    threshold: { live: options.threshold ?? 0.5 },
    ...options.cardOverrides,
  };
  const cardFile = join(dir, 'tiny.json');
  writeFileSync(cardFile, JSON.stringify(card, null, 2));
  return { dir, modelFile, cardFile };
}

/** P(live) the tiny model gives a uniform image of colour (r, g, b). */
export function tinyLiveProbability(r: number, b: number): number {
  return 1 / (1 + Math.exp((8 * (b - r)) / 255));
}
