import { writeFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { readManifest } from '../data/index.js';
import { createFaceDetector } from '../index.js';
import {
  celebaSpoofReport,
  evaluateModel,
  faceThumbnail,
  type ModelEvaluation,
  type PadMetrics,
  type Protocol,
  protocolEntries,
  PROTOCOLS,
  renderReport,
  rowsOfModel,
  scoreManifest,
  scoresCsv,
  worstErrors,
} from '../evaluate/index.js';
import { collect, openClassifiers } from './models.js';
import { parsePositiveInteger } from './parse.js';
import { createProgress } from './progress.js';

interface EvalFlags {
  root?: string;
  model?: string[];
  json?: string;
  report?: string;
  scores?: string;
  by: Array<'source' | 'attack'>;
  bootstrap: number;
  concurrency: number;
  sample?: number;
  protocol?: Protocol;
}

function parseGroups(value: string): Array<'source' | 'attack'> {
  const groups = value.split(',').map((g) => g.trim());
  for (const group of groups)
    if (group !== 'source' && group !== 'attack') throw new InvalidArgumentError(`--by takes source and/or attack`);
  return groups as Array<'source' | 'attack'>;
}

const pct = (value: number | null) => (value === null ? '     —' : (value * 100).toFixed(2).padStart(6));

function metricsLine(name: string, m: PadMetrics): string {
  return (
    `${name.padEnd(28)} ${String(m.n).padStart(6)} ${pct(m.apcerWorst)} ${pct(m.bpcer)} ${pct(m.acer)} ` +
    `${pct(m.eer)} ${m.auc === null ? '     —' : m.auc.toFixed(4)} ${pct(m.bpcer100)} ${pct(m.bpcer20)}`
  );
}

function printModel(model: ModelEvaluation): void {
  process.stdout.write(`\n${model.name} (${model.file}), threshold ${model.threshold}, failures ${model.failures}\n`);
  process.stdout.write(
    `${'group'.padEnd(28)} ${'n'.padStart(6)} ${'APCER%'} ${'BPCER%'} ${' ACER%'} ${'  EER%'} ${'   AUC'} ${'BP100%'} ${' BP20%'}\n`,
  );
  process.stdout.write(metricsLine('overall', model.overall) + '\n');
  if (model.protocol)
    process.stdout.write(
      `${model.protocol.name} (spoof = positive): TPR@FPR=1% ${pct(model.protocol.tprAtFpr1)}, ` +
        `TPR@FPR=0.5% ${pct(model.protocol.tprAtFpr05)}, TPR@FPR=0.1% ${pct(model.protocol.tprAtFpr01)}\n`,
    );
  for (const [source, metrics] of Object.entries(model.bySource))
    process.stdout.write(metricsLine(source, metrics) + '\n');
  for (const [attack, metrics] of Object.entries(model.byAttack))
    process.stdout.write(metricsLine(`attack:${attack}`, metrics) + '\n');
}

/** Every k-th entry: a quick run that still covers every source in proportion. */
function sampleEvenly<T>(items: T[], count: number | undefined): T[] {
  if (!count || count >= items.length) return items;
  const step = items.length / count;
  return Array.from({ length: count }, (_, i) => items[Math.floor(i * step)]!);
}

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('ISO/IEC 30107-3 evaluation of one or more models on a labelled manifest')
    .argument('<manifest>', 'manifest.csv with path,label[,attack,subject,source,framing]')
    .option('--root <dir>', 'folder the manifest paths are relative to (default: the manifest folder)')
    .option(
      '--model <file>',
      'model .onnx, card .json (an ensemble card too) or preset; repeat to compare models side by side',
      collect,
    )
    .option('--json <file>', 'write the metrics as JSON')
    .option('--report <file>', 'write a self-contained HTML report')
    .option(
      '--scores <file.csv>',
      'write one row per image: path, source, label, attack, subject, P(live) per model (ensemble members too), ' +
        'the face box, and the error if any',
    )
    .option('--by <groups>', 'break down by source and/or attack', parseGroups, ['source', 'attack'])
    .option('--bootstrap <n>', 'bootstrap resamples for 95% confidence intervals (by subject); 0 = none', Number, 1000)
    .option('--concurrency <n>', 'images in flight', parsePositiveInteger, 2)
    .option('--sample <n>', 'evaluate an evenly spread subset of n images', parsePositiveInteger)
    .addOption(
      new Option('--protocol <name>', 'a published protocol: its test split and the numbers its paper reports').choices(
        PROTOCOLS,
      ),
    )
    .action(async (manifest: string, flags: EvalFlags) => {
      const root = resolve(flags.root ?? dirname(manifest));
      const all = await readManifest(manifest);
      const entries = sampleEvenly(flags.protocol ? protocolEntries(flags.protocol, all, manifest) : all, flags.sample);
      const classifiers = await openClassifiers(flags.model);
      const detector = await createFaceDetector();
      const progress = createProgress('eval');
      let scored;
      try {
        scored = await scoreManifest(entries, {
          root,
          classifiers,
          detector,
          concurrency: flags.concurrency,
          onProgress: progress.update,
        });
      } finally {
        progress.stop();
        await detector.close();
        await Promise.all(classifiers.map((c) => c.close()));
      }
      const evaluations = classifiers.map((classifier, i) => {
        const rows = rowsOfModel(scored, i);
        const model = {
          name: classifier.card.name,
          file: classifier.modelFile,
          threshold: classifier.card.threshold.live,
        };
        const evaluation = evaluateModel(model, rows, scored, { groups: flags.by, bootstrap: flags.bootstrap });
        if (flags.protocol === 'celeba-spoof-intra')
          evaluation.protocol = { name: flags.protocol, ...celebaSpoofReport(rows) };
        return { evaluation, rows };
      });
      for (const { evaluation } of evaluations) printModel(evaluation);
      for (const failure of evaluations[0]!.evaluation.failedImages.slice(0, 20))
        process.stdout.write(`  failed: ${failure.path}: ${failure.error}\n`);

      if (flags.scores) await writeFile(flags.scores, scoresCsv(scored, classifiers));
      if (flags.json) {
        const models = evaluations.map(({ evaluation }) => evaluation);
        await writeFile(flags.json, JSON.stringify({ manifest, images: entries.length, models }, null, 2) + '\n');
      }
      if (flags.report) {
        const boxes = new Map(scored.map((image) => [image.path, image.box]));
        const models = [];
        for (const { evaluation, rows } of evaluations) {
          const worst = [];
          for (const row of worstErrors(rows, evaluation.threshold, 24)) {
            const thumbnailDataUri = await faceThumbnail(root, row.path, boxes.get(row.path)).catch(() => undefined);
            worst.push({ path: row.path, label: row.label, score: row.score, thumbnailDataUri });
          }
          models.push({ ...evaluation, failures: evaluation.failedImages, rows, worstErrors: worst });
        }
        const title = `antispoof evaluation: ${basename(manifest)}`;
        await writeFile(flags.report, renderReport({ title, generatedAt: new Date().toISOString(), models }));
      }
    });
}
