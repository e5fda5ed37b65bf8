// The generalisation yardstick: candidate models and the upstream reference judged side by side on whole camera
// sources none of them trained on (training/splits.json: 13 held-out camera sources + NUAA's held-out subjects), each
// source counted once, plus BPCER on held-out live-only web photos and how far scores move when the face box is
// scaled 0.8x / 1.2x about its centre. Each face is detected once; every model scores the same crops.
// Usage (from the repo root):
//   npm run build && node dist/bench/yardstick.js [manifest.csv] [--root DIR] [--model a.onnx|card.json ...]
//     [--baseline card.json] [--split splits.json] [--json out.json] [--markdown out.md] [--concurrency 2]
//     [--sample N]
import { readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type Classifier, createClassifier, createFaceDetector } from '../src/index.js';
import { type ManifestEntry, readManifest } from '../src/data/index.js';
import {
  assignYardstick,
  compareModels,
  type Comparison,
  lowestEer,
  parseYardstickSplit,
  perSourceMeans,
  type ScoredImage,
  scoreManifest,
  sourceMetrics,
  type SourceMetrics,
  YARDSTICK_RULE,
  type YardstickModel,
  yardstickSources,
} from '../src/evaluate/index.js';
import { summarize } from './stats.js';

const BOX_SCALES = [0.8, 1.2];
const repo = resolve(import.meta.dirname, '..', '..');
const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    root: { type: 'string' },
    model: { type: 'string', multiple: true },
    baseline: { type: 'string', default: resolve(repo, 'bench/baselines/face-antispoof-onnx.int8.json') },
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
const manifest = positionals[0] ?? '../shared/data/manifest.csv';
const root = resolve(values.root ?? dirname(manifest));
const concurrency = positiveInteger('concurrency', values.concurrency);
const sample = values.sample === undefined ? undefined : positiveInteger('sample', values.sample);
const candidateFiles = values.model ?? [resolve(repo, 'models/antispoof-v1.int8.json')];
const started = Date.now();

// 1. The split, exactly as training/splits.py assigns it (over the whole manifest, before any --sample).
const split = parseYardstickSplit(JSON.parse(await readFile(values.split, 'utf8')), values.split);
const all = await readManifest(manifest);
const parts = assignYardstick(all, split);
const sampleEvenly = (items: ManifestEntry[]) => {
  if (!sample || sample >= items.length) return items;
  const step = items.length / sample;
  return Array.from({ length: sample }, (_, i) => items[Math.floor(i * step)]!);
};
const held = sampleEvenly(all.filter((_, i) => parts[i] !== 'train'));
const heldParts = new Map(all.map((entry, i) => [entry, parts[i]!]));
const yardstickEntries = held.filter((entry) => heldParts.get(entry) === 'yardstick');
const webEntries = held.filter((entry) => heldParts.get(entry) === 'web-bpcer');

// 2. Score: one detection per image, every model on the same face; box-scale crops only for the yardstick part.
const classifiers: Classifier[] = [];
const detector = await createFaceDetector();
let yardstickScored: ScoredImage[];
let webScored: ScoredImage[];
try {
  for (const model of [...candidateFiles, values.baseline]) classifiers.push(await createClassifier({ model }));
  const total = yardstickEntries.length + webEntries.length;
  let done = 0;
  const onProgress = () => {
    if (++done % 200 === 0) process.stderr.write(`scored ${done}/${total} images\r`);
  };
  const options = { root, classifiers, detector, concurrency, onProgress };
  yardstickScored = await scoreManifest(yardstickEntries, { ...options, boxScales: BOX_SCALES });
  webScored = await scoreManifest(webEntries, options);
} finally {
  await detector.close();
  await Promise.all(classifiers.map((classifier) => classifier.close()));
}
process.stderr.write('\n');

// 3. Metrics.
const baselineIndex = classifiers.length - 1;
const models: YardstickModel[] = classifiers.map((c) => ({
  name: c.card.name,
  file: c.modelFile,
  threshold: c.card.threshold.live,
}));
// Column labels: card names without their "(...)" remarks; the model file's name where two would read alike.
const short = models.map((model) => model.name.replace(/\s*\(.*\)$/, ''));
const names = short.map((name, m) =>
  short.filter((other) => other === name).length > 1 ? basename(models[m]!.file) : name,
);
const sources = sourceMetrics(yardstickScored, yardstickSources(split), models);
const web = sourceMetrics(webScored, split.webSources, models);
const means = models.map((_, m) => perSourceMeans(sources, m));
const comparisons: Comparison[] = candidateFiles.map((_, m) => compareModels(sources, m, baselineIndex));
const boxScale = models.map((model, m) => ({
  model: model.name,
  scales: BOX_SCALES.map((factor, s) => {
    const deltas = yardstickScored
      .filter((image) => image.scaledScores)
      .map((image) => Math.abs(image.scaledScores![s]![m]! - image.scores[m]!));
    return { factor, n: deltas.length, ...(deltas.length > 0 ? summarize(deltas) : { median: null, p95: null }) };
  }),
}));
const failures = [...yardstickScored, ...webScored]
  .filter((image) => image.error !== undefined)
  .map(({ path, source, label, error }) => ({ path, source, label, error }));
const wallSeconds = (Date.now() - started) / 1000;

// 4. Report.
const pct = (value: number | null | undefined) =>
  value === null || value === undefined ? '—' : (value * 100).toFixed(2);
const auc = (value: number | null | undefined) => (value === null || value === undefined ? '—' : value.toFixed(4));
const row = (cells: readonly (string | number)[]) => `| ${cells.join(' | ')} |`;
const header = (cells: readonly string[]) => [row(cells), row(cells.map(() => '---'))];
const winner = (result: SourceMetrics) => {
  const best = lowestEer(result);
  return best.length === 0 ? '—' : best.length > 1 ? 'tie' : names[best[0]!]!;
};
const roleOf = (m: number) => (m === baselineIndex ? 'baseline' : 'candidate');
const lines: string[] = [
  `# Yardstick: ${basename(manifest)}${sample ? ` (sample of ${sample})` : ''}, split ${values.split}`,
  '',
  ...models.map((model, m) => `- ${roleOf(m)} **${names[m]}**: ${model.file}, threshold ${model.threshold}`),
  '',
  ...header([
    'source',
    'live/spoof',
    'no face',
    'attack',
    ...names.flatMap((name) => [`${name} EER%`, `${name} AUC`]),
    'winner',
  ]),
  ...sources.map((result) =>
    row([
      result.source,
      `${result.nLive}/${result.nSpoof}`,
      result.failures,
      split.validationSources[result.source] ?? 'print (NUAA held-out subjects)',
      ...result.models.flatMap((model) => [pct(model.eer), auc(model.auc)]),
      winner(result),
    ]),
  ),
  row([
    '**mean per-source**',
    `${sources.filter((r) => r.nLive > 0 && r.nSpoof > 0).length} sources`,
    '',
    '',
    ...means.flatMap((mean) => [`**${pct(mean.eer)}**`, `**${auc(mean.auc)}**`]),
    '',
  ]),
  '',
  `Rule: ${YARDSTICK_RULE}.`,
  '',
  ...comparisons.map(
    (c) =>
      `- **${names[c.candidate]}** vs ${names[c.baseline]}: wins ${c.wins}, ties ${c.ties}, losses ${c.losses} ` +
      `of ${c.sources} sources (needs >= ${c.winsNeeded}); mean EER ${pct(c.candidateMeanEer)}% vs ` +
      `${pct(c.baselineMeanEer)}% -> **${c.pass ? 'PASS' : 'FAIL'}**`,
  ),
  '',
  '## Decisions at each model card threshold (APCER: attacks accepted; BPCER: live rejected)',
  '',
  ...header([
    'source',
    ...names.flatMap((name, m) => [
      `${name} APCER% @ ${models[m]!.threshold.toFixed(3)}`,
      `${name} BPCER% @ ${models[m]!.threshold.toFixed(3)}`,
    ]),
  ]),
  ...sources.map((result) =>
    row([result.source, ...result.models.flatMap((model) => [pct(model.apcer), pct(model.bpcer)])]),
  ),
  '',
  '## Web photos (live only): BPCER at each model threshold',
  '',
  ...header([
    'source',
    'live',
    'no face',
    ...names.map((name, m) => `${name} BPCER% @ ${models[m]!.threshold.toFixed(3)}`),
  ]),
  ...web.map((result) =>
    row([result.source, result.nLive, result.failures, ...result.models.map((model) => pct(model.bpcer))]),
  ),
  '',
  '## Box-scale sensitivity: |P(live) at scaled box - P(live) at detector box|, yardstick images',
  '',
  ...header(['model', 'box scale', 'n', 'median', 'p95']),
  ...boxScale.flatMap((entry, m) =>
    entry.scales.map((s) => row([names[m]!, `${s.factor}x`, s.n, auc(s.median), auc(s.p95)])),
  ),
  '',
  `${failures.length} images without a scored face (listed in --json); wall time ${wallSeconds.toFixed(0)} s`,
];
const markdown = lines.join('\n') + '\n';
process.stdout.write(markdown);
if (values.markdown) await writeFile(values.markdown, markdown);
if (values.json) {
  const report = {
    manifest,
    root,
    sample: sample ?? null,
    split: { file: values.split, content: split },
    rule: YARDSTICK_RULE,
    models: models.map((model, m) => ({ ...model, label: names[m], role: roleOf(m) })),
    images: { yardstick: yardstickEntries.length, webBpcer: webEntries.length },
    sources: sources.map((result) => ({ ...result, attack: split.validationSources[result.source] ?? null })),
    means: means.map((mean, m) => ({ model: models[m]!.name, ...mean })),
    comparisons: comparisons.map((c) => ({ ...c, candidateName: names[c.candidate], baselineName: names[c.baseline] })),
    web,
    boxScale,
    failures,
    wallSeconds,
  };
  await writeFile(values.json, JSON.stringify(report, null, 2) + '\n');
}
