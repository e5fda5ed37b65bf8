import { Command, CommanderError } from 'commander';
import { isAntispoofError } from '../index.js';
import { registerCheck } from './check.js';
import { UsageError } from './parse.js';
import { registerPrepare } from './prepare.js';
import { registerEval } from './eval.js';
import { registerCalibrate } from './calibrate.js';
import { registerManifest } from './manifest.js';
import { registerServe } from './serve.js';

const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

const program = new Command()
  .name('antispoof')
  .description('Face anti-spoofing: is the face in this image a live person or a print / screen attack?')
  .version('0.1.0')
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(text) });

registerCheck(program);
registerPrepare(program);
registerEval(program);
registerCalibrate(program);
registerManifest(program);
registerServe(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof UsageError) {
    process.stderr.write(`antispoof: ${error.message}\n`);
    process.exitCode = EXIT_USAGE;
  } else if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : EXIT_USAGE;
  } else if (isAntispoofError(error)) {
    process.stderr.write(`antispoof: ${error.message}\n`);
    process.exitCode = EXIT_FAILED;
  } else {
    process.stderr.write(`antispoof: unexpected failure: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = EXIT_FAILED;
  }
}
