// Median latency per stage for one 640x480 photo, 1 thread, then the classifier alone for every model found:
// ours (INT8, FP32) and the upstream reference (../shared/reference) side by side, with ratios ours/upstream.
// An ensemble card (--model ensemble.json, or --model accurate) is timed member by member (each on its own crops)
// and in total (every member's crops and runs, and the fusion: what the product pays per face).
// Usage: npm run build && node dist/bench/pipeline.js [--runs 200] [--model candidate.json ...]
import { existsSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import sharp from 'sharp';
import {
  type Classifier,
  createClassifier,
  createFaceDetector,
  cropFace,
  decodeImage,
  packageModelsDir,
  resolveClassifier,
  type ResolvedClassifier,
  scoreFaces,
  singleCard,
  viewScales,
} from '../src/index.js';
import { ms, summarize, time } from './stats.js';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 200;
const repo = join(packageModelsDir(), '..');
const photo = join(repo, 'node_modules/@vladmandic/face-api/demo/sample2.jpg');

const candidates: Array<{ label: string; model: string; upstream: boolean }> = [
  { label: 'ours int8', model: join(repo, 'models/antispoof-v2.int8.onnx'), upstream: false },
  { label: 'ours fp32', model: join(repo, 'models/antispoof-v2.onnx'), upstream: false },
  { label: 'upstream int8', model: join(repo, 'bench/baselines/face-antispoof-onnx.int8.json'), upstream: true },
  { label: 'upstream fp32', model: join(repo, 'bench/baselines/face-antispoof-onnx.fp32.json'), upstream: true },
  { label: 'silent-face 2.7', model: join(repo, 'bench/baselines/silent-face-2.7.json'), upstream: true },
  { label: 'silent-face 4.0', model: join(repo, 'bench/baselines/silent-face-4.0.json'), upstream: true },
];
// --model FILE (repeatable): also time a candidate's classifier (e.g. a card with test-time views) beside them.
process.argv.forEach((arg, i) => {
  const file = process.argv[i + 1];
  if (arg === '--model' && file)
    candidates.push({ label: basename(file), model: file === 'accurate' ? file : resolve(file), upstream: false });
});
/** The .onnx files a classifier runs: its own, or every member's. */
const modelFiles = (resolved: ResolvedClassifier): string[] =>
  resolved.members ? resolved.members.flatMap(modelFiles) : [resolved.modelFile];
const models = [];
for (const candidate of candidates) {
  try {
    const resolved = await resolveClassifier(candidate.model);
    if (modelFiles(resolved).every((file) => existsSync(file))) models.push({ ...candidate, ...resolved });
  } catch {
    // model not present on this machine (the upstream reference lives in ../shared)
  }
}
if (models.length === 0) {
  console.error('no classifier model found (models/antispoof-v2*.onnx or ../shared/reference); nothing to bench');
  process.exit(1);
}

const jpeg = await sharp(photo).resize(640, 480, { fit: 'cover' }).jpeg({ quality: 90 }).toBuffer();
console.log(`pipeline, one 640x480 JPEG (${jpeg.length} bytes), 1 thread, ${runs} runs, model: ${models[0]!.label}`);
const detector = await createFaceDetector({ threads: 1 });
const primary = await createClassifier({ model: models[0]!.model, threads: 1 });
const image = await decodeImage(jpeg);
const [face] = await detector.detect(image);
if (!face) throw new Error('the bench photo has no detectable face');
const primaryCard = singleCard(primary.card, 'the stage table (its first model)');
const cropOptions = { cropScale: primaryCard.crop.scale, size: primaryCard.input.size, mode: primaryCard.crop.mode };
const crop = cropFace(image, face.box, cropOptions);

const stages: Array<[string, () => unknown]> = [
  ['decode', () => decodeImage(jpeg)],
  ['detect', () => detector.detect(image)],
  ['crop', () => cropFace(image, face.box, cropOptions)],
  ['classify', () => primary.classify([crop])],
  [
    'total',
    async () => {
      const decoded = await decodeImage(jpeg);
      const faces = await detector.detect(decoded);
      await scoreFaces(
        primary,
        decoded,
        faces.map((f) => f.box),
      );
    },
  ],
];
console.log('stage       median      p95   (ms)');
const stageMedians: Record<string, number> = {};
for (const [name, fn] of stages) {
  const { median, p95 } = summarize(await time(fn, runs));
  stageMedians[name] = median;
  console.log(`${name.padEnd(9)}${ms(median)} ${ms(p95)}`);
}
console.log(`detect + crop median: ${(stageMedians.detect! + stageMedians.crop!).toFixed(2)} ms`);
await primary.close();
await detector.close();

console.log(`\nclassifier alone, one face, ${runs} runs`);
const results: Array<{
  label: string;
  upstream: boolean;
  sizeKb: number;
  threads: number;
  median: number;
  p95: number;
}> = [];
/** One network: its runs on one crop per view of its card (the classifier's cost for one face as the product runs it). */
async function timeSingle(classifier: Classifier): Promise<{ median: number; p95: number }> {
  const card = singleCard(classifier.card, 'timeSingle');
  const inputs = viewScales(card).map((cropScale) =>
    cropFace(image, face!.box, { cropScale, size: card.input.size, mode: card.crop.mode }),
  );
  return summarize(await time(() => classifier.classify(inputs), runs));
}
const sizeKbOf = (resolved: ResolvedClassifier) =>
  modelFiles(resolved).reduce((sum, file) => sum + statSync(file).size, 0) / 1024;
for (const threads of [1, 2]) {
  for (const model of models) {
    const classifier = await createClassifier({ model: model.model, threads });
    if (classifier.members) {
      // An ensemble: each member's runs on its own crops, then the whole (crops + every member + fusion).
      for (const [m, member] of classifier.members.entries())
        results.push({
          label: `  ${model.label}: ${basename(member.modelFile)}`,
          upstream: false,
          sizeKb: sizeKbOf(model.members![m]!),
          threads,
          ...(member.members
            ? summarize(await time(() => scoreFaces(member, image, [face.box]), runs))
            : await timeSingle(member)),
        });
      const total = summarize(await time(() => scoreFaces(classifier, image, [face.box]), runs));
      results.push({ label: `${model.label} total`, upstream: false, sizeKb: sizeKbOf(model), threads, ...total });
    } else {
      results.push({
        label: model.label,
        upstream: model.upstream,
        sizeKb: sizeKbOf(model),
        threads,
        ...(await timeSingle(classifier)),
      });
    }
    await classifier.close();
  }
}
console.log(
  'model            size KB  threads   median      p95   ratio vs upstream int8 (ensemble total: crops included)',
);
for (const row of results) {
  const baseline = results.find((r) => r.label === 'upstream int8' && r.threads === row.threads);
  const ratio = baseline && !row.upstream ? (row.median / baseline.median).toFixed(2) + 'x' : '';
  console.log(
    `${row.label.padEnd(16)} ${row.sizeKb.toFixed(0).padStart(7)}  ${String(row.threads).padStart(7)} ${ms(row.median)} ${ms(row.p95)}   ${ratio}`,
  );
}
