// Does fusing frames beat single frames? Frames of each (source, label, subject) group of a manifest are cut into
// sequences of --length frames and fed to a LivenessSession; per-frame verdicts and each sequence's final fused
// decision are scored against the label. Usage:
//   node dist/bench/stream-fusion.js <manifest.csv> [--root DIR] [--sources a,b] [--model m] [--length 10]
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createLivenessChecker } from '../src/check.js';
import { readManifest, type ManifestEntry } from '../src/data/manifest.js';
import { LivenessSession } from '../src/stream.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    root: { type: 'string' },
    sources: { type: 'string' },
    model: { type: 'string' },
    length: { type: 'string', default: '10' },
  },
});
const manifest = positionals[0];
if (!manifest) throw new Error('usage: stream-fusion <manifest.csv> [--root DIR] [--sources a,b] [--model m]');
const root = resolve(values.root ?? dirname(manifest));
const length = Number(values.length);
const sources = values.sources ? new Set(values.sources.split(',')) : undefined;

const entries = (await readManifest(manifest)).filter((entry) => !sources || sources.has(entry.source));
const groups = new Map<string, ManifestEntry[]>();
for (const entry of entries) {
  const key = `${entry.source}|${entry.label}|${entry.subject}`;
  groups.set(key, [...(groups.get(key) ?? []), entry]);
}

const checker = await createLivenessChecker({ model: values.model });
const tally = {
  frame: { live: 0, spoof: 0, liveWrong: 0, spoofWrong: 0, retry: 0 },
  fused: { live: 0, spoof: 0, liveWrong: 0, spoofWrong: 0, retry: 0 },
};
function count(kind: 'frame' | 'fused', label: string, decision: string) {
  const t = tally[kind];
  if (decision === 'retry') t.retry++;
  else if (label === 'live') {
    t.live++;
    if (decision !== 'live') t.liveWrong++;
  } else {
    t.spoof++;
    if (decision === 'live') t.spoofWrong++;
  }
}

for (const frames of groups.values()) {
  for (let start = 0; start + length <= frames.length; start += length) {
    const session = new LivenessSession(checker);
    let decision = 'retry';
    for (const [i, entry] of frames.slice(start, start + length).entries()) {
      try {
        const update = await session.push(resolve(root, entry.path), i * 100, {
          wholeImage: entry.framing === 'tight',
        });
        const face = update.faces[0];
        count('frame', entry.label, face?.verdict ?? 'retry');
        decision = update.decision;
      } catch {
        count('frame', entry.label, 'retry');
      }
    }
    count('fused', frames[0]!.label, decision);
  }
}
await checker.close();

const pct = (a: number, b: number) => (b === 0 ? '—' : `${((100 * a) / b).toFixed(2)}%`);
for (const kind of ['frame', 'fused'] as const) {
  const t = tally[kind];
  const decided = t.live + t.spoof;
  console.log(
    `${kind.padEnd(6)} decided ${String(decided).padStart(5)}  APCER ${pct(t.spoofWrong, t.spoof).padStart(7)}  ` +
      `BPCER ${pct(t.liveWrong, t.live).padStart(7)}  error ${pct(t.spoofWrong + t.liveWrong, decided).padStart(7)}  ` +
      `retry ${pct(t.retry, decided + t.retry).padStart(7)}`,
  );
}
console.log(`sequences of ${length} frames from ${groups.size} (source, label, subject) groups`);
