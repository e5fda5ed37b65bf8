import { basename, dirname, isAbsolute, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { readManifest, writeFileAtomic } from '../data/index.js';
import {
  checkManifest,
  computeMetrics,
  fitStreamThreshold,
  fuseCheckedSequences,
  type OperatingPoint,
  rowsOfModel,
  scoredFromChecks,
  type ScoredSample,
  type SequenceScores,
  thresholdForApcer,
  thresholdForBpcer,
  type StreamThresholdSetup,
} from '../evaluate/index.js';
import { AntispoofError, createLivenessChecker, DEFAULT_FUSION, isEnsembleCard, validateCard } from '../index.js';
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
    .option('--model <file>', 'model .onnx, card .json (an ensemble card too) or preset (default: the shipped model)')
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
      // One pass: each image decoded and checked once gives both its frame score and its frame of a sequence.
      const checker = await createLivenessChecker({ model: flags.model });
      const progress = createProgress('calibrate');
      let checked;
      try {
        checked = await checkManifest(entries, checker, { root, onProgress: progress.update });
      } finally {
        progress.stop();
        await checker.close();
      }
      const { classifier } = checker;
      const scored = scoredFromChecks(entries, checked);
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
      const calibratedAt = new Date();
      const stream =
        flags.sequenceLength === undefined
          ? undefined
          : fitStream(fuseCheckedSequences(entries, checked, flags.sequenceLength, DEFAULT_FUSION), choose, {
              rule: method,
              sequenceLength: flags.sequenceLength,
              fusion: DEFAULT_FUSION,
              tracking: 'one track per sequence',
              model: basename(classifier.modelFile),
              measuredAt: calibratedAt,
            });
      const card = classifier.card;
      const outDir = dirname(resolve(flags.out));
      // Paths in the copy are relative to where it is written: the model file, or an ensemble's member cards.
      const fromOut = (file: string) => {
        const path = relative(outDir, file);
        return isAbsolute(path) ? file : path;
      };
      const calibrated = {
        ...card,
        ...(isEnsembleCard(card)
          ? {
              ensemble: {
                ...card.ensemble,
                members: card.ensemble.members.map((member) => fromOut(resolve(dirname(classifier.modelFile), member))),
              },
            }
          : { file: fromOut(classifier.modelFile) }),
        threshold: {
          live: point.threshold,
          measured: {
            method,
            manifest: resolve(manifest),
            calibratedAt: calibratedAt.toISOString(),
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
      validateCard(calibrated, flags.out);
      // Atomic: a kill mid-write must not leave a half card where a working one (perhaps the input) was.
      await writeFileAtomic(flags.out, JSON.stringify(calibrated, null, 2) + '\n');
      const m = stream?.measured;
      process.stdout.write(
        `threshold ${point.threshold.toFixed(6)}: APCER ${(metrics.apcer! * 100).toFixed(2)}% ` +
          `(worst attack ${(metrics.apcerWorst! * 100).toFixed(2)}%), BPCER ${(metrics.bpcer! * 100).toFixed(2)}% ` +
          `on ${metrics.nLive} live / ${metrics.nSpoof} spoof images; ${scored.length - rows.length} failed\n` +
          (stream && m
            ? `stream threshold ${stream.live.toFixed(6)}: APCER ${pct(m.apcer)}, BPCER ` +
              `${pct(m.bpcer)} on ${m.nLive} live / ${m.nSpoof} spoof ` +
              `sequences of ${flags.sequenceLength}; ${m.retry} ended in retry\n`
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
function fitStream(
  sequences: SequenceScores[],
  choose: (samples: ScoredSample[]) => OperatingPoint | null,
  setup: StreamThresholdSetup,
) {
  const stream = fitStreamThreshold(sequences, choose, setup);
  if (!stream)
    throw new AntispoofError(
      'INVALID_INPUT',
      `--sequence-length ${setup.sequenceLength}: no live and spoof sequences to fit the stream threshold on ` +
        `(${sequences.length} sequences cut, ${sequences.filter((s) => s.fused !== null).length} decided): each ` +
        `(source, label, attack, subject) needs at least ${setup.sequenceLength} frames, ${DEFAULT_FUSION.minFrames} ` +
        `of them with a usable face`,
    );
  return stream;
}
