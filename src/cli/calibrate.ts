import { writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { readManifest } from '../data/manifest.js';
import { createFaceDetector } from '../detect/index.js';
import { rowsOfModel } from '../evaluate/evaluation.js';
import { computeMetrics, thresholdForApcer, thresholdForBpcer } from '../evaluate/metrics.js';
import { scoreManifest } from '../evaluate/score-manifest.js';
import { AntispoofError } from '../errors.js';
import { openClassifiers } from './models.js';
import { parseProbability } from './parse.js';
import { UsageError } from './parse.js';
import { createProgress } from './progress.js';

interface CalibrateFlags {
  root?: string;
  model?: string;
  out: string;
  targetApcer?: number;
  targetBpcer?: number;
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
    .requiredOption('--out <card.json>', 'where to write the calibrated model card')
    .action(async (manifest: string, flags: CalibrateFlags) => {
      if ((flags.targetApcer === undefined) === (flags.targetBpcer === undefined))
        throw new UsageError('give exactly one of --target-apcer and --target-bpcer');
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
      const point =
        flags.targetApcer !== undefined
          ? thresholdForApcer(rows, flags.targetApcer)
          : thresholdForBpcer(rows, flags.targetBpcer!);
      if (!point)
        throw new AntispoofError('INVALID_INPUT', `calibration needs both live and spoof images that could be scored`);
      const metrics = computeMetrics(rows, point.threshold);
      const card = classifier!.card;
      const outDir = dirname(resolve(flags.out));
      const modelPath = relative(outDir, classifier!.modelFile);
      const calibrated = {
        ...card,
        file: isAbsolute(modelPath) ? classifier!.modelFile : modelPath,
        threshold: {
          live: point.threshold,
          measured: {
            method:
              flags.targetApcer !== undefined
                ? `target APCER ${flags.targetApcer}`
                : `target BPCER ${flags.targetBpcer}`,
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
        },
      };
      await writeFile(flags.out, JSON.stringify(calibrated, null, 2) + '\n');
      process.stdout.write(
        `threshold ${point.threshold.toFixed(6)}: APCER ${(metrics.apcer! * 100).toFixed(2)}% ` +
          `(worst attack ${(metrics.apcerWorst! * 100).toFixed(2)}%), BPCER ${(metrics.bpcer! * 100).toFixed(2)}% ` +
          `on ${metrics.nLive} live / ${metrics.nSpoof} spoof images; ${scored.length - rows.length} failed\n` +
          `wrote ${flags.out}; use it with: antispoof check --model ${flags.out} <image>\n`,
      );
    });
}
