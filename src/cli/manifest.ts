import { dirname, relative, resolve } from 'node:path';
import { Argument, InvalidArgumentError, type Command } from 'commander';
import {
  type AdapterRow,
  ADAPTERS,
  buildManifest,
  FRAMINGS,
  VIDEO_NAMINGS,
  type VideoNaming,
  writeManifest,
} from '../data/index.js';
import { parsePositiveInteger, UsageError } from './parse.js';
import { createProgress } from './progress.js';

interface ManifestFlags {
  out: string;
  fps?: number;
  naming?: VideoNaming;
  source?: string;
  framing?: string;
  concurrency?: number;
  ffmpeg?: string;
}

function parseFps(value: string): number {
  const fps = Number(value);
  if (!Number.isFinite(fps) || fps <= 0)
    throw new InvalidArgumentError(`expected frames per second > 0, got "${value}"`);
  return fps;
}

function parseNaming(value: string): VideoNaming {
  if (!(VIDEO_NAMINGS as readonly string[]).includes(value))
    throw new InvalidArgumentError(`expected one of ${VIDEO_NAMINGS.join(', ')}, got "${value}"`);
  return value as VideoNaming;
}

function parseFraming(value: string): string {
  if (!FRAMINGS.includes(value))
    throw new InvalidArgumentError(`expected one of ${FRAMINGS.join(', ')}, got "${value}"`);
  return value;
}

function count<T>(rows: AdapterRow[], key: (row: AdapterRow) => T): Map<T, number> {
  const counts = new Map<T, number>();
  for (const row of rows) counts.set(key(row), (counts.get(key(row)) ?? 0) + 1);
  return counts;
}

function quoteArg(path: string): string {
  return /^[\w./-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}

export function registerManifest(program: Command): void {
  const layouts = [...ADAPTERS.values()];
  program
    .command('manifest')
    .description('write a manifest.csv for a dataset on disk, to use with prepare, eval and calibrate')
    .addArgument(new Argument('<layout>', 'how the dataset is laid out (below)').choices(layouts.map((a) => a.name)))
    .argument('<root>', 'the dataset folder')
    .requiredOption('--out <manifest.csv>', 'manifest file to write')
    .option('--fps <n>', 'videos: frames sampled per second of video (default 1)', parseFps)
    .option('--naming <convention>', `videos: file naming rules, ${VIDEO_NAMINGS.join('|')}`, parseNaming)
    .option('--source <name>', 'folders: the source column (default: the root folder name)')
    .option(
      '--framing <framing>',
      'folders: context2x (detector finds the face, default) or tight (image = face)',
      parseFraming,
    )
    .option('--concurrency <n>', 'images read or videos decoded at once', parsePositiveInteger)
    .option('--ffmpeg <file>', 'videos: the ffmpeg executable (default: ffmpeg on PATH)')
    .addHelpText(
      'after',
      `\nLayouts:\n${layouts.map((a) => `  ${a.name.padEnd(13)} ${a.summary}`).join('\n')}\n\n` +
        'Paths are written relative to <root> (videos: to the --out folder, where the frames go): pass --root <root>\n' +
        'to prepare, eval and calibrate.\n\n' +
        'Examples:\n' +
        '  antispoof manifest folders ~/captures --out captures.csv\n' +
        '  antispoof manifest videos ~/oulu --naming oulu --fps 2 --out oulu/manifest.csv\n',
    )
    .action(async (layout: string, root: string, flags: ManifestFlags) => {
      const usage = (message: string) => {
        throw new UsageError(message);
      };
      const videoOnly = (['fps', 'naming', 'ffmpeg'] as const).filter((flag) => flags[flag] !== undefined);
      if (layout !== 'videos' && videoOnly.length) usage(`--${videoOnly.join(', --')} only apply to the videos layout`);
      const foldersOnly = (['source', 'framing'] as const).filter((flag) => flags[flag] !== undefined);
      if (layout !== 'folders' && foldersOnly.length)
        usage(`--${foldersOnly.join(', --')} only apply to the folders layout`);
      if (layout === 'videos' && !flags.naming) usage(`the videos layout needs --naming ${VIDEO_NAMINGS.join('|')}`);

      const manifestFile = resolve(flags.out);
      const progress = createProgress(`manifest ${layout}`);
      let result;
      try {
        result = await buildManifest(layout, {
          root: resolve(root),
          manifestFile,
          fps: flags.fps,
          naming: flags.naming,
          source: flags.source,
          framing: flags.framing,
          concurrency: flags.concurrency,
          ffmpeg: flags.ffmpeg,
          onProgress: progress.update,
        });
      } finally {
        progress.stop();
      }
      const { rows, base, notes } = result;
      await writeManifest(manifestFile, rows);

      const labels = count(rows, (row) => row.label);
      const attacks = [...count(rows, (row) => row.attack)].map(([attack, n]) => `${attack} ${n}`).join(', ');
      process.stdout.write(
        `wrote ${rows.length} rows (${labels.get('live') ?? 0} live, ${labels.get('spoof') ?? 0} spoof; ${attacks || 'none'}) ` +
          `to ${flags.out}\n`,
      );
      if (rows.some((row) => row.split !== undefined)) {
        const splits = [...count(rows, (row) => row.split || '(none)')].map(([split, n]) => `${split} ${n}`);
        process.stdout.write(`splits: ${splits.join(', ')}\n`);
      }
      process.stdout.write(`subjects: ${count(rows, (row) => row.subject).size}\n`);
      for (const note of notes) process.stdout.write(`note: ${note}\n`);
      if (rows.length === 0) process.stdout.write('note: no rows: check the layout and the folder\n');
      if (resolve(base) !== dirname(manifestFile)) {
        const rootArg = quoteArg(relative(process.cwd(), base) || '.');
        process.stdout.write(
          `paths are relative to ${base}: pass --root ${rootArg} to prepare, eval and calibrate, e.g.\n` +
            `  antispoof prepare ${quoteArg(flags.out)} --root ${rootArg} --out prepared\n`,
        );
      }
    });
}
