// Classifier latency under onnxruntime-web's wasm backend (what the browser demo runs), in Node, 1 thread:
// our INT8 and FP32 models and the upstream reference side by side. The browser loads whichever is faster there.
// Usage: npm run build && node dist/bench/wasm.js [--runs 200]
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ortWeb from 'onnxruntime-web';
import { classifierFromSession, packageModelsDir, resolveModel, type RgbImage } from '../src/index.js';
import { ms, summarize, time } from './stats.js';

ortWeb.env.wasm.numThreads = 1;
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 200;
const repo = join(packageModelsDir(), '..');
const candidates = [
  ['ours int8', 'models/antispoof-v2.int8.onnx'],
  ['ours fp32', 'models/antispoof-v2.onnx'],
  ['upstream int8', 'bench/baselines/face-antispoof-onnx.int8.json'],
  ['upstream fp32', 'bench/baselines/face-antispoof-onnx.fp32.json'],
] as const;

console.log(`onnxruntime-web ${ortWeb.env.versions.web} wasm, 1 thread, one face, ${runs} runs`);
console.log('model              median      p95   (ms)');
for (const [label, path] of candidates) {
  let resolved;
  try {
    resolved = await resolveModel(join(repo, path));
    await readFile(resolved.modelFile);
  } catch {
    continue; // not on this machine
  }
  const session = await ortWeb.InferenceSession.create(await readFile(resolved.modelFile), {
    executionProviders: ['wasm'],
  });
  const classifier = classifierFromSession(session, ortWeb.Tensor, resolved.card, resolved);
  const size = resolved.card.input.size;
  const crop: RgbImage = {
    data: new Uint8Array(size * size * 3).map((_, i) => (i * 37) % 251),
    width: size,
    height: size,
  };
  const { median, p95 } = summarize(await time(() => classifier.classify([crop]), runs));
  console.log(`${label.padEnd(16)} ${ms(median)} ${ms(p95)}`);
  await classifier.close();
}
