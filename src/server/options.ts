import { availableParallelism } from 'node:os';
import type { FastifyServerOptions } from 'fastify';
import { AntispoofError, type LivenessChecker, type LivenessCheckerOptions, type WorkerPoolState } from '../index.js';

/**
 * What the service needs of a checker; tests pass a fake with a controllable `check`. A checker with a `pool` (a
 * pooled LivenessChecker) does its own admission: its bounded queue, not the service's limiter, decides what runs.
 */
export type ServiceChecker = Pick<LivenessChecker, 'check' | 'close'> & {
  readonly classifier: { readonly card: { readonly name: string; readonly version?: string } };
  readonly pool?: WorkerPoolState | null;
};

export interface ServerOptions extends Pick<LivenessCheckerOptions, 'model' | 'threshold' | 'threads'> {
  /** Use this checker instead of creating one from model/threshold/threads; the caller closes it. */
  checker?: ServiceChecker;
  /**
   * Inference worker threads of the checker the server creates (LivenessCheckerOptions.workers). Default: one per
   * core, so one process uses every core and the event loop only parses requests and writes answers; 0 runs
   * inference on the event loop (deadlines and /healthz then wait behind it).
   */
  pool?: number;
  /** Required as `Authorization: Bearer <key>` or `x-api-key: <key>` on every route but /healthz. */
  apiKey?: string;
  /**
   * Checks running at once without a pool (`pool: 0`, or a given checker without one). Default 2. With a pool, one
   * check per worker runs: the pool is the admission, and this is not read.
   */
  concurrency?: number;
  /** Checks waiting for a worker (or a slot) before new ones are refused with 503. Default 32. */
  queue?: number;
  /** Largest accepted upload in bytes. Default 10 MB. */
  maxBodyBytes?: number;
  /** Time from the request's headers to its answer, upload and queueing included. Default 10 s. */
  timeoutMs?: number;
  /** Fastify/pino logger setting; default off (the CLI turns it on). */
  logger?: FastifyServerOptions['logger'];
}

export interface ResolvedServerOptions {
  apiKey: string | undefined;
  pool: number;
  concurrency: number;
  queue: number;
  maxBodyBytes: number;
  timeoutMs: number;
}

export const SERVER_DEFAULTS = {
  /** os.availableParallelism(): the cores this process may use (cgroup limits included). */
  pool: availableParallelism(),
  /** Without a pool: one check per core of a small instance; each check is CPU-bound. */
  concurrency: 2,
  queue: 32,
  maxBodyBytes: 10 * 1024 * 1024,
  timeoutMs: 10_000,
} as const;

function integer(name: string, value: number | undefined, fallback: number, min: number): number {
  const chosen = value ?? fallback;
  if (!Number.isInteger(chosen) || chosen < min)
    throw new AntispoofError('INVALID_INPUT', `server option ${name} must be an integer >= ${min}, got ${chosen}`);
  return chosen;
}

export function resolveServerOptions(options: ServerOptions): ResolvedServerOptions {
  if (options.apiKey !== undefined && options.apiKey.length === 0)
    throw new AntispoofError('INVALID_INPUT', 'server option apiKey must not be empty (leave it out for no key)');
  const pool = integer('pool', options.pool, SERVER_DEFAULTS.pool, 0);
  return {
    apiKey: options.apiKey,
    pool,
    concurrency: integer('concurrency', options.concurrency, pool > 0 ? pool : SERVER_DEFAULTS.concurrency, 1),
    queue: integer('queue', options.queue, SERVER_DEFAULTS.queue, 0),
    maxBodyBytes: integer('maxBodyBytes', options.maxBodyBytes, SERVER_DEFAULTS.maxBodyBytes, 1),
    timeoutMs: integer('timeoutMs', options.timeoutMs, SERVER_DEFAULTS.timeoutMs, 1),
  };
}
