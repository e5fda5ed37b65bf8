import { dirname, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { CROP_MODES, createFaceDetector, resolveModel, type CropMode } from '../index.js';
import { prepareDataset, readManifest } from '../data/index.js';
import { parsePositiveInteger } from './parse.js';
import { createProgress } from './progress.js';

interface PrepareFlags {
  root?: string;
  out: string;
  size?: number;
  cropScale?: number;
  cropMode?: CropMode;
  model?: string;
  concurrency: number;
}

export function registerPrepare(program: Command): void {
  program
    .command('prepare')
    .description('detect and crop every image of a manifest exactly as inference does, for training')
    .argument('<manifest>', 'manifest.csv (path,label[,attack,subject,source,framing])')
    .option('--root <dir>', 'folder the manifest paths are relative to (default: the manifest folder)')
    .requiredOption('--out <dir>', 'output folder (resumable: rerun to continue)')
    .option('--size <n>', 'crop side in pixels (default: the model card input size)', parsePositiveInteger)
    .option('--crop-scale <s>', 'crop side / face box side (default: the model card crop scale)', Number)
    .addOption(
      new Option(
        '--crop-mode <mode>',
        "reflect: square, reflect-101 padded; shift: Silent-Face's window kept inside the image (default: the model card crop mode)",
      ).choices(CROP_MODES),
    )
    .option('--model <file>', 'take size, crop scale and crop mode from this model card')
    .option('--concurrency <n>', 'images in flight', parsePositiveInteger, 2)
    .action(async (manifest: string, flags: PrepareFlags) => {
      let size = flags.size;
      let cropScale = flags.cropScale;
      let cropMode = flags.cropMode;
      if (size === undefined || cropScale === undefined || cropMode === undefined) {
        const { card } = await resolveModel(flags.model);
        size ??= card.input.size;
        cropScale ??= card.crop.scale;
        cropMode ??= card.crop.mode ?? 'reflect';
      }
      const entries = await readManifest(manifest);
      const detector = await createFaceDetector();
      const progress = createProgress('prepare');
      try {
        const summary = await prepareDataset(entries, {
          root: resolve(flags.root ?? dirname(manifest)),
          out: resolve(flags.out),
          size,
          cropScale,
          cropMode,
          detector,
          concurrency: flags.concurrency,
          onProgress: progress.update,
        });
        progress.stop();
        process.stdout.write(
          `prepared ${summary.ok}/${summary.total} images (${summary.resumed} from an earlier run) into ${flags.out}\n` +
            `no face found: ${summary.noFace.length}${summary.noFace.length ? ' — listed in prepared.csv with status no-face' : ''}\n` +
            `unreadable: ${summary.errors.length}\n`,
        );
        for (const row of summary.noFace.slice(0, 20)) process.stdout.write(`  no face: ${row.path}\n`);
        for (const row of summary.errors.slice(0, 20)) process.stdout.write(`  error: ${row.path}: ${row.error}\n`);
      } finally {
        progress.stop();
        await detector.close();
      }
    });
}
