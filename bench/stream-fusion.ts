// Does fusing frames beat single frames? Frames of each (source, label, attack, subject) group of a manifest are cut
// into sequences of --length frames. The model runs once per frame; the recorded results are then fused offline
// with the product's ScoreFusion (quality-gated frames only, as LivenessSession does), and the analysis of
// bench/stream-analysis.ts compares frame and fused decisions: (a) at the card's thresholds, (b) threshold-free
// (EER, AUC), (c) with thresholds chosen leave-one-source-out (or subject-out), the honest held-out comparison,
// (d) the stream threshold chosen on all given sources, which --write-card stores as the card's threshold.stream,
// (e) per-camera calibration, split half: within each source (or subject), thresholds chosen on half its sequences
// and applied to the other half, then swapped (2-fold), as `antispoof calibrate` on one's own camera would do.
// Webcam frames are unordered hash-named files (no time order): a "sequence" there is a random set of frames of one
// source and label, not a video clip.
// Usage:
//   node dist/bench/stream-fusion.js <manifest.csv> [--root DIR] [--sources a,b] [--subjects s1,s2] [--model m]
//     [--length 10] [--min-frames 5] [--window 15] [--target-apcer 0.05] [--leave-out source|subject] [--json]
//     [--rule lowest|safest] [--calibrate-within source|subject] [--track] [--write-card card.json]
// --subjects keeps only these subjects of the sources they belong to; other sources stay whole.
// --calibrate-within: the group (e) calibrates within; default the --leave-out one.
import { readFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  type CheckResult,
  createLivenessChecker,
  DEFAULT_FUSION,
  type LivenessChecker,
  LivenessSession,
  validateModelCard,
} from '../src/index.js';
import { type ManifestEntry, readManifest, writeFileAtomic } from '../src/data/index.js';
import {
  checkFrames,
  cutIntoSequences,
  fitStreamThreshold,
  fuseSequence,
  sequenceKey,
  sessionFrameScore,
} from '../src/evaluate/index.js';
import {
  analyseStreams,
  chooseThreshold,
  thresholdRuleText,
  type DecisionRates,
  type SequenceScores,
  type ThresholdFree,
} from './stream-analysis.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    root: { type: 'string' },
    sources: { type: 'string' },
    subjects: { type: 'string' },
    model: { type: 'string' },
    length: { type: 'string', default: '10' },
    'min-frames': { type: 'string', default: String(DEFAULT_FUSION.minFrames) },
    window: { type: 'string', default: String(DEFAULT_FUSION.window) },
    'target-apcer': { type: 'string', default: '0.05' },
    'leave-out': { type: 'string', default: 'source' },
    json: { type: 'boolean', default: false },
    'write-card': { type: 'string' },
    track: { type: 'boolean', default: false },
    rule: { type: 'string', default: 'lowest' },
    'calibrate-within': { type: 'string' },
  },
});
const manifest = positionals[0];
if (!manifest)
  throw new Error(
    'usage: stream-fusion <manifest.csv> [--root DIR] [--sources a,b] [--subjects s1,s2] [--model m] [--length 10] ' +
      '[--min-frames 5] [--window 15] [--target-apcer 0.05] [--leave-out source|subject] [--rule lowest|safest] ' +
      '[--calibrate-within source|subject] [--json] [--track] [--write-card c.json]',
  );
const root = resolve(values.root ?? dirname(manifest));
const positiveInteger = (name: string, text: string) => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${text}`);
  return n;
};
const length = positiveInteger('length', values.length);
const minFrames = positiveInteger('min-frames', values['min-frames']);
const fusionWindow = positiveInteger('window', values.window);
const targetApcer = Number(values['target-apcer']);
if (!(targetApcer >= 0 && targetApcer <= 1)) throw new Error(`--target-apcer must be in [0, 1]`);
const leaveOut = values['leave-out'];
if (leaveOut !== 'source' && leaveOut !== 'subject') throw new Error(`--leave-out must be source or subject`);
const rule = values.rule;
if (rule !== 'lowest' && rule !== 'safest') throw new Error(`--rule must be lowest or safest`);
const calibrateWithin = values['calibrate-within'] ?? leaveOut;
if (calibrateWithin !== 'source' && calibrateWithin !== 'subject')
  throw new Error(`--calibrate-within must be source or subject`);
const list = (text: string | undefined) => (text ? text.split(',').filter(Boolean) : undefined);
const sourceList = list(values.sources);
const subjectList = list(values.subjects);

let entries = (await readManifest(manifest)).filter((entry) => !sourceList || sourceList.includes(entry.source));
if (subjectList) {
  const subjects = new Set(subjectList);
  const restricted = new Set(entries.filter((entry) => subjects.has(entry.subject)).map((entry) => entry.source));
  const missing = subjectList.filter((subject) => !entries.some((entry) => entry.subject === subject));
  if (missing.length > 0) throw new Error(`--subjects: no frames of ${missing.join(', ')}`);
  entries = entries.filter((entry) => !restricted.has(entry.source) || subjects.has(entry.subject));
}
if (entries.length === 0) throw new Error('no manifest rows left after --sources / --subjects');
const groupCount = new Set(entries.map(sequenceKey)).size;
const sequencesOfFrames: ManifestEntry[][] = cutIntoSequences(entries, length);

// 1. The model, once per frame.
const checker = await createLivenessChecker({ model: values.model });
// A card for --write-card must describe the very model scored here: checked before the long part.
let cardToWrite: { file: string; raw: Record<string, unknown> } | undefined;
if (values['write-card']) {
  const file = values['write-card'];
  try {
    const raw = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    const target = validateModelCard(raw, file);
    const named = isAbsolute(target.file) ? target.file : resolve(dirname(file), target.file);
    if (resolve(named) !== resolve(checker.classifier.modelFile))
      throw new Error(
        `${file} describes ${named}, but the scores would come from ${checker.classifier.modelFile}: ` +
          `pass --model for the card's own model`,
      );
    cardToWrite = { file, raw };
  } catch (error) {
    await checker.close();
    throw error;
  }
}
const recorded: Array<Array<CheckResult | null>> = [];
const totalFrames = sequencesOfFrames.length * length;
let done = 0;
const progress = () => {
  if (++done % 200 === 0 && !values.json) process.stderr.write(`scored ${done}/${totalFrames} frames\r`);
};
try {
  for (const frames of sequencesOfFrames) recorded.push(await checkFrames(frames, checker, root, progress));
} finally {
  await checker.close();
}

// 2. Fusion over the recorded results: no model runs here. Each sequence is one person by construction, so by
// default the largest face of every frame feeds one ScoreFusion, as a session's single track would. --track replays
// the frames through a LivenessSession instead, IoU tracker included; on corpora of tight crops whose sizes jump
// from frame to frame (webcam-apfol) the tracker then starts new tracks and fuses fewer frames.
let current: CheckResult | null = null;
const replay: LivenessChecker = {
  threshold: checker.threshold,
  streamThreshold: checker.streamThreshold,
  classifier: checker.classifier,
  lastTimings: checker.lastTimings,
  pool: null,
  check: async () => current!,
  checkImage: async () => current!,
  close: async () => {},
};
const sequences: SequenceScores[] = [];
for (const [k, frames] of sequencesOfFrames.entries()) {
  const sequence = fuseSequence(frames[0]!, recorded[k]!.map(sessionFrameScore), { minFrames, window: fusionWindow });
  if (values.track) {
    const session = new LivenessSession(replay, { minFrames, window: fusionWindow });
    sequence.fused = null;
    for (const [i, result] of recorded[k]!.entries()) {
      if (!result) continue;
      current = result;
      const tracked = (await session.push(frames[i]!.path, i * 100)).faces[0];
      if (tracked && tracked.decision !== 'retry') sequence.fused = tracked.fusedScore;
    }
  }
  sequences.push(sequence);
}

// 3. Analysis.
const card = checker.classifier.card;
const analysis = analyseStreams(sequences, {
  frameThreshold: checker.threshold,
  streamThreshold: card.threshold.stream?.live,
  targetApcer,
  leaveOut,
  calibrateWithin,
  rule,
});
const sources = [...new Set(entries.map((entry) => entry.source))].sort();
const setup = {
  sources,
  subjects: subjectList,
  sequenceLength: length,
  minFrames,
  window: fusionWindow,
  tracking: values.track ? 'LivenessSession (IoU tracker)' : 'one track per sequence',
};

if (values.json) {
  process.stdout.write(
    JSON.stringify(
      { model: checker.classifier.modelFile, manifest: resolve(manifest), ...setup, groups: groupCount, analysis },
      null,
      2,
    ) + '\n',
  );
} else {
  const pct = (rate: number | null) => (rate === null ? '—' : `${(100 * rate).toFixed(2)}%`).padStart(7);
  const num = (x: number | null) => (x === null ? '—' : x.toFixed(4)).padStart(7);
  const rates = (r: DecisionRates) =>
    `n ${String(r.n).padStart(5)}  APCER ${pct(r.apcer)}  BPCER ${pct(r.bpcer)}  error ${pct(r.error)}  ` +
    `ACER ${pct(r.acer)}  retry ${pct(r.n + r.retry === 0 ? null : r.retry / (r.n + r.retry))}`;
  const free = (t: ThresholdFree) => `n ${String(t.n).padStart(5)}  EER ${pct(t.eer)}  AUC ${num(t.auc)}`;
  const { atThreshold, thresholdFree, leaveOneOut, streamThreshold, perGroupCalibration } = analysis;
  const out: string[] = [];
  out.push(
    `${checker.classifier.modelFile}: ${analysis.sequences} sequences of ${length} frames from ${groupCount} ` +
      `(source, label, attack, subject) groups; fusion minFrames ${minFrames}, window ${fusionWindow}; ` +
      setup.tracking,
  );
  out.push(`\n(a) at the card's frame threshold ${atThreshold.frameThreshold.toFixed(4)}`);
  const cardStream = atThreshold.streamThreshold;
  for (const [name, r] of [['pooled', atThreshold.pooled], ...Object.entries(atThreshold.bySource)] as const) {
    out.push(`  ${name}`);
    out.push(`    frame  ${rates(r.frame)}`);
    out.push(`    fused  ${rates(r.fused)}`);
    if (r.fusedAtStream && cardStream !== null)
      out.push(`    fused at the card's stream threshold ${cardStream.toFixed(4)}: ${rates(r.fusedAtStream)}`);
  }
  out.push(`\n(b) threshold-free: single frames vs fused sequences`);
  for (const [name, r] of [['pooled', thresholdFree.pooled], ...Object.entries(thresholdFree.bySource)] as const)
    out.push(`  ${name.padEnd(24)} frame ${free(r.frame)}   fused ${free(r.fused)}`);
  out.push(
    `\n(c) leave one ${leaveOneOut.by} out: thresholds = ${thresholdRuleText(rule, targetApcer)} on the other ` +
      `${leaveOneOut.by}s (frames / fused sequences), applied to the held-out one`,
  );
  for (const fold of leaveOneOut.folds) {
    out.push(
      `  ${fold.heldOut}: frame threshold ${fold.frameThreshold.toFixed(4)}, stream threshold ` +
        `${fold.streamThreshold.toFixed(4)}`,
    );
    out.push(`    frame  ${rates(fold.frame)}`);
    out.push(`    fused  ${rates(fold.fused)}`);
  }
  if (leaveOneOut.skipped.length > 0)
    out.push(`  skipped (the others lack live or spoof samples): ${leaveOneOut.skipped.join(', ')}`);
  out.push(`  pooled over the held-out ${leaveOneOut.by}s`);
  out.push(`    frame  ${rates(leaveOneOut.pooled.frame)}`);
  out.push(`    fused  ${rates(leaveOneOut.pooled.fused)}`);
  if (streamThreshold) {
    const m = streamThreshold.metrics;
    out.push(
      `\n(d) stream threshold on all given ${leaveOneOut.by === 'source' ? 'sources' : 'data'}: ` +
        `${streamThreshold.threshold.toFixed(6)} (${streamThreshold.rule}): APCER ${pct(m.apcer)}  ` +
        `BPCER ${pct(m.bpcer)}  on ${m.nLive} live / ${m.nSpoof} spoof sequences`,
    );
    for (const [name, s] of Object.entries(streamThreshold.bySource))
      out.push(`  ${name.padEnd(24)} n ${String(s.n).padStart(4)}  APCER ${pct(s.apcer)}  BPCER ${pct(s.bpcer)}`);
  } else out.push(`\n(d) no stream threshold: the sequences need both live and spoof`);
  const within = perGroupCalibration.by;
  out.push(
    `\n(e) per-${within} calibration, split half: within each ${within}, thresholds = ` +
      `${thresholdRuleText(rule, targetApcer)} on one half (frames / fused sequences), applied to the other half; ` +
      `then swapped, so every sequence is tested once`,
  );
  out.push(`  split: ${perGroupCalibration.split}`);
  for (const group of perGroupCalibration.groups) {
    const thresholds = group.folds
      .map(
        (f) => `half ${f.calibrationHalf}: frame ${f.frameThreshold.toFixed(4)} stream ${f.streamThreshold.toFixed(4)}`,
      )
      .join('; ');
    out.push(`  ${group.group} (thresholds calibrated on ${thresholds})`);
    out.push(`    frame  ${rates(group.frame)}`);
    out.push(`    fused  ${rates(group.fused)}`);
  }
  if (perGroupCalibration.skipped.length > 0)
    out.push(
      `  skipped (the calibration half lacks live or spoof samples): ` +
        perGroupCalibration.skipped.map((s) => `${s.group} half ${s.calibrationHalf}`).join(', '),
    );
  out.push(`  pooled over the test halves of all ${within}s, both folds`);
  out.push(`    frame  ${rates(perGroupCalibration.pooled.frame)}`);
  out.push(`    fused  ${rates(perGroupCalibration.pooled.fused)}`);
  process.stdout.write(out.join('\n') + '\n');
}

// 4. --write-card: threshold.stream into the card (read-modify-write, everything else kept), in the shape
// `antispoof calibrate --sequence-length` writes: the same library function writes both.
if (cardToWrite) {
  const loo = analysis.leaveOneOut;
  const stream = fitStreamThreshold(sequences, (rows) => chooseThreshold(rows, targetApcer, rule), {
    rule: thresholdRuleText(rule, targetApcer),
    sequenceLength: length,
    fusion: { minFrames, window: fusionWindow },
    tracking: setup.tracking,
    model: basename(checker.classifier.modelFile),
    subjects: subjectList,
    heldOut: { by: loo.by, frame: loo.pooled.frame, fused: loo.pooled.fused, skipped: loo.skipped },
  });
  if (!stream) throw new Error('no stream threshold to write: the sequences need both live and spoof');
  const { file, raw } = cardToWrite;
  const updated = { ...raw, threshold: { ...(raw.threshold as Record<string, unknown>), stream } };
  validateModelCard(updated, file);
  await writeFileAtomic(file, JSON.stringify(updated, null, 2) + '\n');
  process.stderr.write(`wrote threshold.stream = ${stream.live} into ${file}\n`);
}
