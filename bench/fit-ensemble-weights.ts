// Fits an ensemble card's member weights on the SELECTION part: a grid over the weight simplex, scored by the
// yardstick's selection statistic (mean per-source EER over the selection part's attack-bearing sources), from the
// per-image scores `antispoof eval --scores` wrote for that ensemble. Never give it test-part rows: they are dropped.
// Usage (from the repo root):
//   python3 training/split_manifest.py ../shared/data/manifest.csv --part val --out /tmp/selection.csv
//   node bin/antispoof.js eval /tmp/selection.csv --root ../shared/data --model E.json --bootstrap 0 --scores /tmp/s.csv
//   node dist/bench/fit-ensemble-weights.js /tmp/s.csv --ensemble E.json [--step 0.1] [--write]
// With --write the weights go into the card; refit its thresholds afterwards (README, "Outside models and ensemble
// cards"): a threshold fitted on other weights means nothing for the new fused score.
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'csv-parse/sync';
import { computeMetrics, parseYardstickSplit, yardstickSources } from '../src/evaluate/index.js';

const repo = resolve(import.meta.dirname, '..', '..');
const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    ensemble: { type: 'string' },
    step: { type: 'string', default: '0.1' },
    split: { type: 'string', default: resolve(repo, 'training/splits.json') },
    write: { type: 'boolean', default: false },
  },
});
const scoresFile = positionals[0];
if (!scoresFile || !values.ensemble) throw new Error('usage: fit-ensemble-weights.js scores.csv --ensemble card.json');
const step = Number(values.step);
if (
  !(step > 0 && step <= 0.5) ||
  !Number.isInteger(Math.round(1 / step)) ||
  Math.abs(1 / step - Math.round(1 / step)) > 1e-9
)
  throw new Error(`--step must divide 1 (0.1, 0.05, 0.25 ...), got ${values.step}`);

const card = JSON.parse(readFileSync(values.ensemble, 'utf8')) as {
  ensemble: { members: string[]; weights?: number[] };
};
const split = parseYardstickSplit(JSON.parse(readFileSync(values.split, 'utf8')), values.split);
const sources = yardstickSources(split, 'selection');
const rows = parse(readFileSync(scoresFile, 'utf8'), { columns: true }) as Record<string, string>[];
const prefix = `p_live[${basename(values.ensemble)}/`;
const memberColumns = Object.keys(rows[0] ?? {}).filter((column) => column.startsWith(prefix));
if (memberColumns.length !== card.ensemble.members.length)
  throw new Error(
    `${scoresFile} has ${memberColumns.length} member columns ${prefix}...] for ${values.ensemble}, whose card lists ` +
      `${card.ensemble.members.length} members: score it with eval --model ${values.ensemble} --scores`,
  );

// Per selection source: labels and member scores of the scored rows.
const bySource = sources.map((source) => {
  const scored = rows.filter((row) => row.source === source && row.error === '');
  return {
    source,
    labels: scored.map((row) => row.label as 'live' | 'spoof'),
    members: memberColumns.map((column) => scored.map((row) => Number(row[column]))),
  };
});
const usable = bySource.filter((s) => s.labels.includes('live') && s.labels.includes('spoof'));
const dropped = rows.filter((row) => !sources.includes(row.source!)).length;

function perSourceEer(weights: readonly number[]): number[] {
  return usable.map(({ labels, members }) => {
    const samples = labels.map((label, i) => ({
      label,
      score: members.reduce((sum, scores, m) => sum + weights[m]! * scores[i]!, 0),
    }));
    return computeMetrics(samples, 0.5).eer!;
  });
}
const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/** Every weight vector on the simplex with entries in multiples of step. */
function* simplex(k: number, units: number): Generator<number[]> {
  if (k === 1) {
    yield [units];
    return;
  }
  for (let first = 0; first <= units; first++) for (const rest of simplex(k - 1, units - first)) yield [first, ...rest];
}

const units = Math.round(1 / step);
const uniform = memberColumns.map(() => 1 / memberColumns.length);
let best = { weights: uniform, eer: mean(perSourceEer(uniform)) };
const meanFusion = best.eer;
for (const grid of simplex(memberColumns.length, units)) {
  const weights = grid.map((u) => u / units);
  const eer = mean(perSourceEer(weights));
  // Strictly better only: on a tie the plain mean (or the earlier, more even point) stays.
  if (eer < best.eer - 1e-12) best = { weights, eer };
}

const pct = (v: number) => (v * 100).toFixed(2);
console.log(
  `${scoresFile}: ${usable.length} selection sources with live and attack faces; ${dropped} rows ignored (web photos: live only; any row outside the selection sources)`,
);
console.log(`members: ${memberColumns.join(', ')}`);
console.log(`mean fusion: mean per-source EER ${pct(meanFusion)}%`);
console.log(`best weights (step ${step}): [${best.weights.map((w) => w.toFixed(3)).join(', ')}]: ${pct(best.eer)}%`);
const eers = [perSourceEer(uniform), perSourceEer(best.weights)];
usable.forEach((s, i) =>
  console.log(`  ${s.source.padEnd(24)} mean ${pct(eers[0]![i]!)}%  fitted ${pct(eers[1]![i]!)}%`),
);
if (values.write) {
  const written = { ...card, ensemble: { ...card.ensemble, weights: best.weights } };
  writeFileSync(values.ensemble, JSON.stringify(written, null, 2) + '\n');
  console.log(`wrote the weights into ${values.ensemble}; now refit its thresholds with antispoof calibrate`);
}
