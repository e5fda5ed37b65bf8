import { writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { createLivenessChecker } from '../check.js';
import { readManifest, type ManifestEntry } from '../data/manifest.js';
import { DEFAULT_FUSION } from '../decide/fusion.js';
import { createFaceDetector } from '../detect/index.js';
import { rowsOfModel } from '../evaluate/evaluation.js';
import { computeMetrics, thresholdForApcer, thresholdForBpcer } from '../evaluate/metrics.js';
import { scoreManifest } from '../evaluate/score-manifest.js';
import { scoreSequences } from '../evaluate/score-sequences.js';
import { sequenceRows } from '../evaluate/sequences.js';
import type { OperatingPoint, ScoredSample } from '../evaluate/types.js';
import { AntispoofError } from '../errors.js';
import { openClassifiers } from './models.js';
import { parsePositiveInteger, parseProbability } from './parse.js';
import { UsageError } from './parse.js';
import { createProgress } from './progress.js';

interface CalibrateFlags {
  root?: string;
  model?: string;
  out: string;
  targetApcer?: number;
  targetBpcer?: number;
  sequenceLength?: number;
}

export function registerCalibrate(program: Command): void {
  program
    .command('calibrate')
    .description('fit the live threshold on your own captures and write it into a copy of the model card')
    .argument('<manifest>', 'manifest.csv of your captures (path,label[,attack,subject,source,framing])')
    .option('--root <dir>', 'folder the manifest paths are relative to (default: the manifest folder)')
    .option('--model <file>', 'model .onnx or card .json (default: the shipped model)')
    .option('--target-apcer <p>', 'highest acceptable attack acceptance rate, e.g. 0.01', parseProbability)
    .option('--target-bpcer <p>', 'highest acceptable live rejection rate, e.g. 0.05', parseProbability)
    .option(
      '--sequence-length <n>',
      'also fit the stream threshold (LivenessSession, check --frames): the frames of each (source, label, attack, ' +
        'subject), in manifest order, are cut into sequences of n and fused as a session fuses them',
      parsePositiveInteger,
    )
    .requiredOption('--out <card.json>', 'where to write the calibrated model card')
    .action(async (manifest: string, flags: CalibrateFlags) => {
      if ((flags.targetApcer === undefined) === (flags.targetBpcer === undefined))
        throw new UsageError('give exactly one of --target-apcer and --target-bpcer');
      if (flags.sequenceLength !== undefined && flags.sequenceLength < DEFAULT_FUSION.minFrames)
        throw new UsageError(
          `--sequence-length must be at least ${DEFAULT_FUSION.minFrames}: a session decides after that many good frames`,
        );
      const root = resolve(flags.root ?? dirname(manifest));
      const entries = await readManifest(manifest);
      const [classifier] = await openClassifiers(flags.model ? [flags.model] : undefined);
      const detector = await createFaceDetector();
      const progress = createProgress('calibrate');
      let scored;
      try {
        scored = await scoreManifest(entries, {
          root,
          classifiers: [classifier!],
          detector,
          onProgress: progress.update,
        });
      } finally {
        progress.stop();
        await detector.close();
        await classifier!.close();
      }
      const rows = rowsOfModel(scored, 0);
      const choose = (samples: ScoredSample[]): OperatingPoint | null =>
        flags.targetApcer !== undefined
          ? thresholdForApcer(samples, flags.targetApcer)
          : thresholdForBpcer(samples, flags.targetBpcer!);
      const method =
        flags.targetApcer !== undefined ? `target APCER ${flags.targetApcer}` : `target BPCER ${flags.targetBpcer}`;
      const point = choose(rows);
      if (!point)
        throw new AntispoofError('INVALID_INPUT', `calibration needs both live and spoof images that could be scored`);
      const metrics = computeMetrics(rows, point.threshold);
      const stream =
        flags.sequenceLength === undefined
          ? undefined
          : await calibrateStream(entries, root, flags.model, flags.sequenceLength, choose, method);
      const card = classifier!.card;
      const outDir = dirname(resolve(flags.out));
      const modelPath = relative(outDir, classifier!.modelFile);
      const calibrated = {
        ...card,
        file: isAbsolute(modelPath) ? classifier!.modelFile : modelPath,
        threshold: {
          live: point.threshold,
          measured: {
            method,
            manifest: resolve(manifest),
            calibratedAt: new Date().toISOString(),
            n: metrics.n,
            nLive: metrics.nLive,
            nSpoof: metrics.nSpoof,
            apcer: metrics.apcer,
            apcerWorst: metrics.apcerWorst,
            bpcer: metrics.bpcer,
            eer: metrics.eer,
            auc: metrics.auc,
            failures: scored.length - rows.length,
            previousThreshold: card.threshold,
          },
          ...(stream ? { stream } : {}),
        },
      };
      await writeFile(flags.out, JSON.stringify(calibrated, null, 2) + '\n');
      process.stdout.write(
        `threshold ${point.threshold.toFixed(6)}: APCER ${(metrics.apcer! * 100).toFixed(2)}% ` +
          `(worst attack ${(metrics.apcerWorst! * 100).toFixed(2)}%), BPCER ${(metrics.bpcer! * 100).toFixed(2)}% ` +
          `on ${metrics.nLive} live / ${metrics.nSpoof} spoof images; ${scored.length - rows.length} failed\n` +
          (stream
            ? `stream threshold ${stream.live.toFixed(6)}: APCER ${pct(stream.measured.apcer)}, BPCER ` +
              `${pct(stream.measured.bpcer)} on ${stream.measured.nLive} live / ${stream.measured.nSpoof} spoof ` +
              `sequences of ${flags.sequenceLength}; ${stream.measured.retry} ended in retry\n`
            : '') +
          `wrote ${flags.out}; use it with: antispoof check --model ${flags.out} <image>\n`,
      );
    });
}

const pct = (rate: number | null) => (rate === null ? '—' : `${(rate * 100).toFixed(2)}%`);

/**
 * threshold.stream fitted on the user's own sequences by the same target as the frame threshold. Without it a
 * calibrated card has no stream threshold: one fitted on other cameras would not match the recalibrated frames.
 */
async function calibrateStream(
  entries: readonly ManifestEntry[],
  root: string,
  model: string | undefined,
  length: number,
  choose: (samples: ScoredSample[]) => OperatingPoint | null,
  method: string,
) {
  const checker = await createLivenessChecker({ model });
  const progress = createProgress('calibrate sequences');
  let sequences;
  try {
    sequences = await scoreSequences(entries, checker, {
      root,
      length,
      fusion: DEFAULT_FUSION,
      onProgress: progress.update,
    });
  } finally {
    progress.stop();
    await checker.close();
  }
  const rows = sequenceRows(sequences);
  const point = choose(rows);
  if (!point)
    throw new AntispoofError(
      'INVALID_INPUT',
      `--sequence-length ${length}: no live and spoof sequences to fit the stream threshold on ` +
        `(${sequences.length} sequences cut, ${rows.length} decided): each (source, label, attack, subject) needs at ` +
        `least ${length} frames, ${DEFAULT_FUSION.minFrames} of them with a usable face`,
    );
  const m = computeMetrics(rows, point.threshold);
  return {
    live: point.threshold,
    measured: {
      rule: `${method} on fused sequence scores`,
      sequenceLength: length,
      fusion: { ...DEFAULT_FUSION, tracking: 'one track per sequence' },
      n: m.n,
      nLive: m.nLive,
      nSpoof: m.nSpoof,
      retry: sequences.length - rows.length,
      apcer: m.apcer,
      apcerWorst: m.apcerWorst,
      bpcer: m.bpcer,
      eer: m.eer,
      auc: m.auc,
    },
  };
}
