import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSession, resolveModel } from '../src/index.js';
import { cropsToTensorData } from '../src/classify/tensor.js';
import { ort } from '../src/runtime/node-session.js';
import type { RgbImage } from '../src/types.js';

// Written by training/export.py: PyTorch's logits for synthetic inputs defined by a formula (no corpus images); or,
// for a model without a PyTorch checkpoint, another runtime's (the fixture's `reference`).
const FIXTURE = join(import.meta.dirname, 'fixtures', 'classifier-parity.json');
const fixture = existsSync(FIXTURE)
  ? (JSON.parse(readFileSync(FIXTURE, 'utf8')) as {
      model: string;
      reference?: string;
      size: number;
      count: number;
      tolerance: number;
      inputSums: number[];
      logits: number[][];
    })
  : undefined;
const modelFile = fixture ? join(import.meta.dirname, '..', 'models', fixture.model) : '';

/** The export's formula, as pixels: round(255 (0.5 + 0.5 sin a)), a = 0.05 (n+1)(x+1) + 0.031 (c+2)(y+1) + 0.7 n. */
function parityCrop(n: number, size: number): RgbImage {
  const data = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++)
      for (let c = 0; c < 3; c++) {
        const a = 0.05 * (n + 1) * (x + 1) + 0.031 * (c + 2) * (y + 1) + 0.7 * n;
        data[(y * size + x) * 3 + c] = Math.round(255 * (0.5 + 0.5 * Math.sin(a)));
      }
  return { data, width: size, height: size };
}

describe.skipIf(!fixture)(
  `${fixture?.reference ?? 'PyTorch'} vs onnxruntime-node logits (${fixture ? fixture.model : 'no parity fixture: export a model first'})`,
  () => {
    it('gives the reference logits within 1e-3 on the fixture inputs, fed through the runtime tensor packing', async () => {
      expect(existsSync(modelFile), `the parity fixture names ${modelFile}, which is missing`).toBe(true);
      const { card } = await resolveModel(modelFile);
      expect(card.input.size).toBe(fixture!.size);
      const crops = Array.from({ length: fixture!.count }, (_, n) => parityCrop(n, fixture!.size));
      const data = cropsToTensorData(crops, card.input);
      crops.forEach((_, n) => {
        const plane = data.subarray(n * 3 * fixture!.size ** 2, (n + 1) * 3 * fixture!.size ** 2);
        expect(plane.reduce((sum, v) => sum + v, 0)).toBeCloseTo(fixture!.inputSums[n]!, 1);
      });
      const session = await loadSession(modelFile);
      const feeds = {
        [card.input.name]: new ort.Tensor('float32', data, [crops.length, 3, fixture!.size, fixture!.size]),
      };
      const logits = (await session.run(feeds))[card.output.name]!.data as Float32Array;
      await session.release();
      let maxDiff = 0;
      fixture!.logits.flat().forEach((expected, i) => (maxDiff = Math.max(maxDiff, Math.abs(expected - logits[i]!))));
      expect(maxDiff).toBeLessThan(1e-3);
    });
  },
);
