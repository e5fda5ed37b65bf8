// The "calibrate on your own camera" workflow, end to end through the CLI, per source: its frames are cut into
// sequences of --length, the sequences split in two halves (bench/stream-analysis.ts SPLIT_RULE); `antispoof
// calibrate --sequence-length` fits the frame and stream thresholds on one half, and bench/stream-fusion.ts measures
// single-frame and fused decisions at that calibrated card's thresholds on the other half. Then the halves swap, so
// every sequence is tested once, by thresholds fitted without it.
// Usage (after npm run build):
//   node dist/bench/stream-calibration.js <manifest.csv> --sources a,b [--root DIR] [--model m] [--length 10]
//     [--target-apcer 0.05] [--json]
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { type ManifestEntry, readManifest } from '../src/data/index.js';
import { cutIntoSequences } from '../src/evaluate/index.js';
import { splitHalves, type DecisionRates, type StreamAnalysis } from './stream-analysis.js';

const run = promisify(execFile);
const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    root: { type: 'string' },
    sources: { type: 'string' },
    model: { type: 'string' },
    length: { type: 'string', default: '10' },
    'target-apcer': { type: 'string', default: '0.05' },
    json: { type: 'boolean', default: false },
  },
});
const manifest = positionals[0];
if (!manifest || !values.sources)
  throw new Error(
    'usage: stream-calibration <manifest.csv> --sources a,b [--root DIR] [--model m] [--length 10] ' +
      '[--target-apcer 0.05] [--json]',
  );
const root = resolve(values.root ?? dirname(manifest));
const length = Number(values.length);
if (!Number.isInteger(length) || length < 5) throw new Error('--length must be an integer >= 5');
const repo = resolve(import.meta.dirname, '..', '..');
const cli = join(repo, 'bin', 'antispoof.js');
const fusionBench = join(repo, 'dist', 'bench', 'stream-fusion.js');

const csvField = (text: string) => (/[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text);
async function writeManifest(file: string, entries: readonly ManifestEntry[]) {
  const lines = ['path,label,attack,subject,source,framing'];
  for (const e of entries)
    lines.push([e.path, e.label, e.attack, e.subject, e.source, e.framing].map(csvField).join(','));
  await writeFile(file, lines.join('\n') + '\n');
}

/** Decision counts, so rates of several runs pool exactly. */
interface Counts {
  live: number;
  spoof: number;
  rejectedLive: number;
  acceptedSpoof: number;
  retry: number;
}
const empty = (): Counts => ({ live: 0, spoof: 0, rejectedLive: 0, acceptedSpoof: 0, retry: 0 });
function add(into: Counts, r: DecisionRates) {
  into.live += r.nLive;
  into.spoof += r.nSpoof;
  into.rejectedLive += Math.round((r.bpcer ?? 0) * r.nLive);
  into.acceptedSpoof += Math.round((r.apcer ?? 0) * r.nSpoof);
  into.retry += r.retry;
}
const rates = (c: Counts) => ({
  n: c.live + c.spoof,
  nLive: c.live,
  nSpoof: c.spoof,
  retry: c.retry,
  apcer: c.spoof ? c.acceptedSpoof / c.spoof : null,
  bpcer: c.live ? c.rejectedLive / c.live : null,
  error: c.live + c.spoof ? (c.acceptedSpoof + c.rejectedLive) / (c.live + c.spoof) : null,
});

const wanted = values.sources.split(',').filter(Boolean);
const entries = await readManifest(manifest);
const work = await mkdtemp(join(tmpdir(), 'antispoof-stream-cal-'));
const results: Record<string, { frame: Counts; fused: Counts; thresholds: Array<{ frame: number; stream: number }> }> =
  {};
try {
  for (const source of wanted) {
    const sequences = cutIntoSequences(
      entries.filter((e) => e.source === source),
      length,
    );
    if (sequences.length === 0) throw new Error(`${source}: no sequence of ${length} frames`);
    const halves = splitHalves(sequences.map((s) => s[0]!));
    const result = { frame: empty(), fused: empty(), thresholds: [] as Array<{ frame: number; stream: number }> };
    for (const calibrationHalf of [0, 1]) {
      const pick = (half: number) => sequences.filter((_, i) => halves[i] === half).flat();
      const calibration = join(work, `${source}-cal${calibrationHalf}.csv`);
      const test = join(work, `${source}-test${calibrationHalf}.csv`);
      const card = join(work, `${source}-card${calibrationHalf}.json`);
      await writeManifest(calibration, pick(calibrationHalf));
      await writeManifest(test, pick(1 - calibrationHalf));
      const model = values.model ? ['--model', resolve(values.model)] : [];
      await run(process.execPath, [
        cli,
        'calibrate',
        calibration,
        '--root',
        root,
        ...model,
        '--target-apcer',
        values['target-apcer'],
        '--sequence-length',
        String(length),
        '--out',
        card,
      ]);
      const { stdout } = await run(
        process.execPath,
        [fusionBench, test, '--root', root, '--model', card, '--length', String(length), '--json'],
        { maxBuffer: 64 * 1024 * 1024 },
      );
      const analysis = (JSON.parse(stdout) as { analysis: StreamAnalysis }).analysis;
      const at = analysis.atThreshold;
      add(result.frame, at.pooled.frame);
      add(result.fused, at.pooled.fusedAtStream!);
      result.thresholds.push({ frame: at.frameThreshold, stream: at.streamThreshold! });
      if (!values.json) process.stderr.write(`${source}: fold ${calibrationHalf + 1}/2 done\n`);
    }
    results[source] = result;
  }
} finally {
  await rm(work, { recursive: true, force: true });
}

const pooled = { frame: empty(), fused: empty() };
for (const r of Object.values(results))
  for (const kind of ['frame', 'fused'] as const)
    for (const key of Object.keys(pooled[kind]) as Array<keyof Counts>) pooled[kind][key] += r[kind][key];

if (values.json) {
  const out = {
    manifest: resolve(manifest),
    sequenceLength: length,
    targetApcer: Number(values['target-apcer']),
    bySource: Object.fromEntries(
      Object.entries(results).map(([s, r]) => [
        s,
        { frame: rates(r.frame), fused: rates(r.fused), thresholds: r.thresholds },
      ]),
    ),
    pooled: { frame: rates(pooled.frame), fused: rates(pooled.fused) },
  };
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
} else {
  const pct = (x: number | null) => (x === null ? '—' : `${(100 * x).toFixed(2)}%`).padStart(7);
  const line = (c: Counts) => {
    const r = rates(c);
    return `n ${String(r.n).padStart(5)}  APCER ${pct(r.apcer)}  BPCER ${pct(r.bpcer)}  error ${pct(r.error)}  retry ${r.retry}`;
  };
  const out = [
    `calibrate --target-apcer ${values['target-apcer']} --sequence-length ${length} on one half of each source's ` +
      `sequences, tested on the other half, both folds (thresholds: frame / stream)`,
  ];
  for (const [source, r] of Object.entries(results)) {
    out.push(
      `  ${source} (${r.thresholds.map((t) => `${t.frame.toFixed(4)} / ${t.stream.toFixed(4)}`).join('; ')})`,
      `    frame  ${line(r.frame)}`,
      `    fused  ${line(r.fused)}`,
    );
  }
  out.push('  pooled', `    frame  ${line(pooled.frame)}`, `    fused  ${line(pooled.fused)}`);
  process.stdout.write(out.join('\n') + '\n');
}
