import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/**
 * Kill -9 / resume of training/train.py (issue "Hostile input and faults"): training/test_resume.py builds a tiny
 * synthetic prepared folder, SIGKILLs train.py at seeded random points and once while an epoch is being validated,
 * resumes it each time and checks the checkpoint, log.jsonl and leftovers. Needs the training virtual environment.
 */
const ROOT = join(import.meta.dirname, '..');
const PYTHON = join(ROOT, 'training', '.venv', 'bin', 'python');
const SCRIPT = join(ROOT, 'training', 'test_resume.py');
const TIMEOUT_MS = 180_000;

const hasTorch =
  existsSync(PYTHON) &&
  spawnSync(PYTHON, ['-c', 'import torch, numpy, PIL'], { cwd: ROOT, timeout: 60_000, stdio: 'ignore' }).status === 0;
const SKIP_REASON =
  'training/.venv/bin/python with torch, numpy and PIL not found: set it up as in training/README.md "Setup" ' +
  '(apt-get install python3-torch python3-pil python3-venv; python3 -m venv --system-site-packages training/.venv; ' +
  'training/.venv/bin/pip install -r training/requirements.txt)';

describe('train.py resume after SIGKILL', () => {
  if (!hasTorch) {
    it.skip(SKIP_REASON, () => {});
    return;
  }
  it(
    'resumes from the saved step, finishes, and leaves a loadable checkpoint, a parseable log and no *.tmp',
    async () => {
      const result = await promisify(execFile)(PYTHON, [SCRIPT], {
        cwd: ROOT,
        timeout: TIMEOUT_MS - 5_000,
        maxBuffer: 16 * 1024 * 1024,
      }).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (error: { stdout?: string; stderr?: string; code?: number | string }) => ({
          code: typeof error.code === 'number' ? error.code : 1,
          stdout: error.stdout ?? '',
          stderr: error.stderr ?? String(error),
        }),
      );
      const { code, stdout, stderr } = result;
      expect(code, `training/test_resume.py failed:\n${stdout}\n${stderr}`).toBe(0);
      expect(stdout).toMatch(/^OK resume: /m);
    },
    TIMEOUT_MS,
  );
});
