import type { Command } from 'commander';
import { createLivenessChecker, reportFromError, reportFromResult, type Box, type FileReport } from '../index.js';
import { checkFrames, listFrames } from './check-frames.js';
import { formatTable } from './format.js';
import { parseBoxArgument, parsePositiveInteger, parseProbability } from './parse.js';
import { UsageError } from './parse.js';

interface CheckFlags {
  json?: boolean;
  threshold?: number;
  model?: string;
  box?: Box;
  wholeImage?: boolean;
  threads?: number;
  frames?: string;
  fps: number;
}

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('find the faces in each image and say whether each is live, spoof, or needs a retry')
    .argument('[images...]', 'image files (JPEG, PNG, WebP)')
    .option('--json', 'print a JSON array, one result per file')
    .option(
      '--threshold <p>',
      'P(live) at or above which a face is live (default: from the model card)',
      parseProbability,
    )
    .option(
      '--model <file>',
      'classifier .onnx (card .json next to it), a model card .json (an ensemble card too), or a preset: accurate',
    )
    .option('--box <x,y,w,h>', 'the face is here: skip detection', parseBoxArgument)
    .option('--whole-image', 'the whole image is the face (tight face crops)')
    .option('--threads <n>', 'onnxruntime threads', parsePositiveInteger)
    .option('--frames <dir>', 'a folder of video frames (name order): fuse them into one decision')
    .option('--fps <n>', 'frame rate of --frames, for timestamps', parsePositiveInteger, 10)
    .action(async (images: string[], flags: CheckFlags) => {
      if ((images.length === 0) === (flags.frames === undefined))
        throw new UsageError('give image files, or --frames <dir>');
      const checker = await createLivenessChecker({
        model: flags.model,
        threshold: flags.threshold,
        threads: flags.threads,
      });
      if (flags.frames !== undefined) {
        try {
          const report = await checkFrames(checker, await listFrames(flags.frames), flags.fps);
          process.stdout.write(
            flags.json
              ? JSON.stringify(report, null, 2) + '\n'
              : `${formatTable(report.perFrame)}\n\n${flags.frames}: ${report.decision} (fused P(live) ` +
                  `${report.fusedScore?.toFixed(3) ?? '-'} over ${report.goodFrames} good of ${report.frames} frames)\n`,
          );
          if (report.perFrame.some((frame) => frame.error !== undefined)) process.exitCode = 1;
        } finally {
          await checker.close();
        }
        return;
      }
      const reports: FileReport[] = [];
      try {
        for (const file of images) {
          try {
            const result = await checker.check(file, { box: flags.box, wholeImage: flags.wholeImage });
            reports.push(reportFromResult(file, result));
          } catch (error) {
            reports.push(reportFromError(file, error));
          }
        }
      } finally {
        await checker.close();
      }
      process.stdout.write(flags.json ? JSON.stringify(reports, null, 2) + '\n' : formatTable(reports) + '\n');
      if (reports.some((report) => report.error !== undefined)) process.exitCode = 1;
    });
}
