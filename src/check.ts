import { AntispoofError } from './errors.js';
import type { LivenessChecker, LivenessCheckerOptions } from './liveness-checker.js';
import { createInThreadChecker } from './runtime/in-thread-checker.js';
import { createPooledChecker } from './runtime/pooled-checker.js';

export type { CheckOptions, CheckResult, FaceResult } from './pipeline.js';
export type {
  AbortableCheckOptions,
  LivenessChecker,
  LivenessCheckerOptions,
  WorkerPoolState,
} from './liveness-checker.js';

/** The Node checker: in-thread with `workers: 0` (the default), else over a pool of inference worker threads. */
export async function createLivenessChecker(options: LivenessCheckerOptions = {}): Promise<LivenessChecker> {
  const workers = options.workers ?? 0;
  if (!Number.isInteger(workers) || workers < 0)
    throw new AntispoofError('INVALID_INPUT', `workers must be an integer >= 0, got ${workers}`);
  return workers > 0 ? createPooledChecker(options, workers) : createInThreadChecker(options);
}
