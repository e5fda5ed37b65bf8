// Distribution of the quality-gate measures on a labelled manifest, per source, and the fraction of images each
// default limit sends to 'retry' — the numbers behind DEFAULT_QUALITY_LIMITS. Usage:
//   node dist/bench/quality-stats.js <manifest.csv> [--root DIR] [--every 5]
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { faceOfEntry, readManifest } from '../src/data/index.js';
import {
  createFaceDetector,
  decodeImage,
  DEFAULT_QUALITY_LIMITS,
  measureQuality,
  type QualityMeasures,
  retryReasons,
} from '../src/index.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { root: { type: 'string' }, every: { type: 'string', default: '5' } },
});
const manifest = positionals[0];
if (!manifest) throw new Error('usage: quality-stats <manifest.csv> [--root DIR] [--every N]');
const root = resolve(values.root ?? dirname(manifest));
const every = Number(values.every);
const entries = (await readManifest(manifest)).filter((_, i) => i % every === 0);
const detector = await createFaceDetector();
type SourceStats = { measures: QualityMeasures[]; reasons: Map<string, number>; label: Map<string, number> };
const bySource = new Map<string, SourceStats>();
for (const entry of entries) {
  const image = await decodeImage(resolve(root, entry.path));
  const face = await faceOfEntry(image, entry.framing, detector);
  if (!face) continue;
  const measures = measureQuality(image, face.box);
  const group: SourceStats = bySource.get(entry.source) ?? { measures: [], reasons: new Map(), label: new Map() };
  group.measures.push(measures);
  const reasons = retryReasons(measures, DEFAULT_QUALITY_LIMITS);
  for (const reason of reasons) group.reasons.set(reason, (group.reasons.get(reason) ?? 0) + 1);
  if (reasons.length > 0) group.label.set(entry.label, (group.label.get(entry.label) ?? 0) + 1);
  bySource.set(entry.source, group);
}
await detector.close();

const quantile = (values: number[], q: number) =>
  [...values].sort((a, b) => a - b)[Math.floor(q * (values.length - 1))]!;
console.log(`limits: ${JSON.stringify(DEFAULT_QUALITY_LIMITS)}`);
console.log('source                        n  size p5/p50  bright p5/p95  sharp p5/p50   retry%  reasons');
for (const [source, { measures, reasons }] of [...bySource].sort()) {
  const col = (key: keyof QualityMeasures, a: number, b: number) =>
    `${quantile(
      measures.map((m) => m[key]),
      a,
    ).toFixed(0)}/${quantile(
      measures.map((m) => m[key]),
      b,
    ).toFixed(0)}`;
  const retried = measures.filter((m) => retryReasons(m, DEFAULT_QUALITY_LIMITS).length > 0).length;
  console.log(
    `${source.padEnd(26)} ${String(measures.length).padStart(4)}  ${col('faceSize', 0.05, 0.5).padStart(11)}  ` +
      `${col('brightness', 0.05, 0.95).padStart(13)}  ${col('sharpness', 0.05, 0.5).padStart(12)}  ` +
      `${((100 * retried) / measures.length).toFixed(1).padStart(6)}  ${[...reasons].map(([r, n]) => `${r}:${n}`).join(' ')}`,
  );
}
