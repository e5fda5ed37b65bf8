import type { Command } from 'commander';
import { createLivenessChecker } from '../check.js';
import type { Box } from '../types.js';
import { formatTable, reportFromError, reportFromResult, type FileReport } from './format.js';
import { parseBox, parsePositiveInteger, parseProbability } from './parse.js';

interface CheckFlags {
  json?: boolean;
  threshold?: number;
  model?: string;
  box?: Box;
  wholeImage?: boolean;
  threads?: number;
}

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('find the faces in each image and say whether each is live, spoof, or needs a retry')
    .argument('<images...>', 'image files (JPEG, PNG, WebP)')
    .option('--json', 'print a JSON array, one result per file')
    .option(
      '--threshold <p>',
      'P(live) at or above which a face is live (default: from the model card)',
      parseProbability,
    )
    .option('--model <file>', 'classifier .onnx (card .json next to it) or a model card .json')
    .option('--box <x,y,w,h>', 'the face is here: skip detection', parseBox)
    .option('--whole-image', 'the whole image is the face (tight face crops)')
    .option('--threads <n>', 'onnxruntime threads', parsePositiveInteger)
    .action(async (images: string[], flags: CheckFlags) => {
      const checker = await createLivenessChecker({
        model: flags.model,
        threshold: flags.threshold,
        threads: flags.threads,
      });
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
