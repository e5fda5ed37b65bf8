// The generalisation yardstick: the shipped model, candidates and reference models (the upstream face-antispoof-onnx,
// Silent-Face 2.7 and 4.0) judged side by side on whole camera sources and held-out people none of them trained on
// (training/splits.json), each source counted once, in two parts: `selection`, where every choice is made, and the
// frozen `test` part, where each final candidate is scored once and SHIP_RULE decides whether it replaces the shipped
// model. Plus BPCER on held-out live-only web photos (with the selection part) and how far scores move when the face
// box is scaled 0.8x / 1.2x about its centre. Each face is detected once; every model scores it with its own crop.
// Usage (from the repo root):
//   npm run build && node dist/bench/yardstick.js [manifest.csv] [--root DIR] [--part selection|test|both]
//     [--model candidate.onnx|card.json ...] [--shipped card.json] [--reference card.json ...]
//     [--split splits.json] [--json out.json] [--markdown out.md] [--concurrency 2] [--sample N]
import { readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type Classifier, createClassifier, createFaceDetector, defaultModelFile } from '../src/index.js';
import { type ManifestEntry, readManifest } from '../src/data/index.js';
import {
  assignYardstick,
  compareModels,
  type HeldOutPart,
  parseYardstickSplit,
  perSourceMeans,
  presetPasses,
  type ScoredImage,
  scoreManifest,
  SHIP_RULE,
  sourceDescription,
  sourceMetrics,
  type YardstickModel,
  yardstickSources,
} from '../src/evaluate/index.js';
import { type PartReport, renderYardstick, type Role } from './yardstick-report.js';
import { summarize } from './stats.js';

const BOX_SCALES = [0.8, 1.2];
const repo = resolve(import.meta.dirname, '..', '..');
const baselines = resolve(repo, 'bench/baselines');
const DEFAULT_REFERENCES = ['face-antispoof-onnx.int8.json', 'silent-face-2.7.json', 'silent-face-4.0.json'];
const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    root: { type: 'string' },
    part: { type: 'string', default: 'selection' },
    model: { type: 'string', multiple: true, default: [] },
    shipped: { type: 'string' },
    reference: { type: 'string', multiple: true },
    split: { type: 'string', default: resolve(repo, 'training/splits.json') },
    json: { type: 'string' },
    markdown: { type: 'string' },
    concurrency: { type: 'string', default: '2' },
    sample: { type: 'string' },
  },
});
const positiveInteger = (name: string, text: string) => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${text}`);
  return n;
};
const partChoices: Record<string, HeldOutPart[]> = {
  selection: ['selection'],
  test: ['test'],
  both: ['selection', 'test'],
};
const parts = partChoices[values.part];
if (!parts) throw new Error(`--part must be selection, test or both, got ${values.part}`);
const manifest = positionals[0] ?? '../shared/data/manifest.csv';
const root = resolve(values.root ?? dirname(manifest));
const concurrency = positiveInteger('concurrency', values.concurrency);
const sample = values.sample === undefined ? undefined : positiveInteger('sample', values.sample);
// The shipped model is whatever the library loads by default (resolveModel() with no name).
const shippedFile = values.shipped ?? defaultModelFile();
const referenceFiles = values.reference ?? DEFAULT_REFERENCES.map((name) => resolve(baselines, name));
const modelFiles = [shippedFile, ...values.model, ...referenceFiles];
const roles: Role[] = modelFiles.map((_, m) =>
  m === 0 ? 'shipped' : m <= values.model.length ? 'candidate' : 'reference',
);
const started = Date.now();

// 1. The split, exactly as training/splits.py assigns it (over the whole manifest, before any --sample). The web
//    photos are held out with the selection part (splits.py's 'val'), so they are scored with it.
const split = parseYardstickSplit(JSON.parse(await readFile(values.split, 'utf8')), values.split);
const all = await readManifest(manifest);
const assigned = assignYardstick(all, split);
const wanted = new Set<string>([...parts, ...(parts.includes('selection') ? ['web-bpcer'] : [])]);
const sampleEvenly = (items: ManifestEntry[]) => {
  if (!sample || sample >= items.length) return items;
  const step = items.length / sample;
  return Array.from({ length: sample }, (_, i) => items[Math.floor(i * step)]!);
};
const partOf = new Map(all.map((entry, i) => [entry, assigned[i]!]));
const held = sampleEvenly(all.filter((_, i) => wanted.has(assigned[i]!)));
const entriesOf = (part: string) => held.filter((entry) => partOf.get(entry) === part);

// 2. Score: one detection per image, every model on the same face with its own crop; box-scale crops for the
//    attack-judging parts only.
const classifiers: Classifier[] = [];
const detector = await createFaceDetector();
const scored = new Map<string, ScoredImage[]>();
try {
  for (const model of modelFiles) classifiers.push(await createClassifier({ model }));
  let done = 0;
  const onProgress = () => {
    if (++done % 200 === 0) process.stderr.write(`scored ${done}/${held.length} images\r`);
  };
  const options = { root, classifiers, detector, concurrency, onProgress };
  for (const part of parts)
    scored.set(part, await scoreManifest(entriesOf(part), { ...options, boxScales: BOX_SCALES }));
  if (wanted.has('web-bpcer')) scored.set('web-bpcer', await scoreManifest(entriesOf('web-bpcer'), options));
} finally {
  await detector.close();
  await Promise.all(classifiers.map((classifier) => classifier.close()));
}
process.stderr.write('\n');

// 3. Metrics, per part. Candidates are judged against the shipped model (index 0); on the test part that is the
//    ship decision, on the selection part only an indication.
const models: YardstickModel[] = classifiers.map((c) => ({
  name: c.card.name,
  file: c.modelFile,
  threshold: c.card.threshold.live,
}));
const candidates = roles.flatMap((role, m) => (role === 'candidate' ? [m] : []));
const upstream = roles.indexOf('reference');
const partReports: PartReport[] = parts.map((part) => {
  const sources = sourceMetrics(scored.get(part)!, yardstickSources(split, part), models);
  return {
    part,
    images: scored.get(part)!.length,
    sources,
    means: models.map((_, m) => perSourceMeans(sources, m)),
    comparisons: candidates.map((m) => compareModels(sources, m, 0)),
    // Beating the upstream is the goal, not the gate: shown for the shipped model and every candidate.
    versusUpstream: upstream < 0 ? [] : [0, ...candidates].map((m) => compareModels(sources, m, upstream)),
  };
});
const webScored = scored.get('web-bpcer') ?? [];
const web = wanted.has('web-bpcer') ? sourceMetrics(webScored, split.webSources, models) : [];
const attackScored = parts.flatMap((part) => scored.get(part)!);
const boxScale = models.map((model, m) => ({
  model: model.name,
  scales: BOX_SCALES.map((factor, s) => {
    const deltas = attackScored
      .filter((image) => image.scaledScores)
      .map((image) => Math.abs(image.scaledScores![s]![m]! - image.scores[m]!));
    return { factor, n: deltas.length, ...(deltas.length > 0 ? summarize(deltas) : { median: null, p95: null }) };
  }),
}));
const failures = [...attackScored, ...webScored]
  .filter((image) => image.error !== undefined)
  .map(({ path, source, label, error }) => ({ path, source, label, error }));
const wallSeconds = (Date.now() - started) / 1000;

// 4. Report. Column labels: card names without their "(...)" remarks; the model file's name where two read alike.
const short = models.map((model) => model.name.replace(/\s*\(.*\)$/, ''));
const names = short.map((name, m) =>
  short.filter((other) => other === name).length > 1 ? basename(models[m]!.file) : name,
);
const markdown = renderYardstick({
  title: `${basename(manifest)}${sample ? ` (sample of ${sample})` : ''}, split ${values.split}`,
  split,
  models,
  names,
  roles,
  ensembles: classifiers.map((classifier) => classifier.members !== undefined),
  parts: partReports,
  web,
  boxScale,
  failures: failures.length,
  wallSeconds,
});
process.stdout.write(markdown);
if (values.markdown) await writeFile(values.markdown, markdown);
if (values.json) {
  const withNames = <T extends { candidate: number; baseline: number }>(c: T) => ({
    ...c,
    candidateName: names[c.candidate],
    baselineName: names[c.baseline],
  });
  const report = {
    manifest,
    root,
    sample: sample ?? null,
    split: { file: values.split, content: split },
    rule: SHIP_RULE,
    models: models.map((model, m) => ({ ...model, label: names[m], role: roles[m] })),
    images: Object.fromEntries([...scored].map(([part, images]) => [part, images.length])),
    parts: Object.fromEntries(
      partReports.map((report) => [
        report.part,
        {
          sources: report.sources.map((result) => ({
            ...result,
            attack: sourceDescription(split, result.source) ?? null,
          })),
          means: report.means.map((mean, m) => ({ model: models[m]!.name, ...mean })),
          comparisons: report.comparisons.map((c) => ({
            ...withNames(c),
            ...(classifiers[c.candidate]!.members ? { presetPasses: presetPasses(c) } : {}),
          })),
          versusUpstream: report.versusUpstream.map(withNames),
          shipDecision: report.part === 'test',
        },
      ]),
    ),
    web,
    boxScale,
    failures,
    wallSeconds,
  };
  await writeFile(values.json, JSON.stringify(report, null, 2) + '\n');
}
