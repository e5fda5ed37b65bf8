import { Worker, type TransferListItem } from 'node:worker_threads';
import { AntispoofError } from '../errors.js';
import type { WorkerPoolState } from '../liveness-checker.js';
import { reviveError, type MainMessage, type WorkerMessage } from './worker-protocol.js';

/**
 * A fixed set of worker threads, one task at a time each, and a bounded FIFO queue in front of them: the pool is
 * the scheduler, and its answers are what a service maps to status codes. onnxruntime-node runs a session
 * synchronously on the calling thread, so the pool is what keeps inference off the event loop.
 *
 * A worker is busy until it has really answered or been terminated: an abort rejects the caller at once, but the
 * worker is handed no new task until its answer comes, and if none comes within `abortKillMs` it is terminated
 * and replaced (counted in `kills` and `restarts`). Replacements that fail to start are retried with exponential
 * backoff; while no worker is ready, `run` refuses at once with UNAVAILABLE, and a full queue refuses with BUSY.
 * The worker side is `serveWorkerTasks` (worker-protocol.ts).
 */
export interface WorkerPool<Request, Answer> extends WorkerPoolState {
  /**
   * The worker's answer to `request`. `transfer` moves buffers instead of copying them (they are detached here).
   * An abort while queued removes the task; while running, the promise rejects with `signal.reason` at once and the
   * worker's answer is dropped when it comes. Rejects with BUSY (queue full), UNAVAILABLE (no worker ready),
   * INFERENCE_FAILED (crash, closed pool, or a request that cannot cross threads: a bug of the caller, not bad input).
   */
  run(request: Request, options?: { transfer?: TransferListItem[]; signal?: AbortSignal }): Promise<Answer>;
  /**
   * Rejects queued tasks, waits up to `closeGraceMs` for running ones to answer, then lets every worker release its
   * resources and exit; a worker that does neither in time is terminated, and that is logged. Every call returns
   * the same promise.
   */
  close(): Promise<void>;
}

export interface WorkerPoolOptions {
  /** The worker's module (compiled JavaScript: worker threads do not run TypeScript). */
  script: URL;
  size: number;
  /** Given to every worker as `workerData` (structured-cloned). */
  data?: unknown;
  /** Names the pool in errors, e.g. "inference worker". */
  name: string;
  /** Tasks that may wait for a worker; one more is refused with BUSY. Default: no limit. */
  maxQueued?: number;
  /** How long a worker may compute an aborted task before it is terminated and replaced. Default 5000 ms. */
  abortKillMs?: number;
  /** close(): how long running tasks may take to answer, then how long a worker may take to exit. Default 5000 ms. */
  closeGraceMs?: number;
  /** Delay before the second attempt at a replacement that failed to start; doubles up to 30 s. Default 250 ms. */
  respawnDelayMs?: number;
  /** Where terminations are reported. Default: process.emitWarning (stderr, or the process's 'warning' event). */
  log?: (message: string) => void;
}

interface Task {
  id: number;
  request: unknown;
  transfer: TransferListItem[];
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  /** Answered, rejected or aborted: a later answer from the worker is dropped. */
  settled: boolean;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  /** The task it computes, settled or not: the slot is free only when the worker has answered. */
  task: Task | undefined;
  /** Resolves the current task's wait in close(). */
  answered: (() => void) | undefined;
  killTimer: NodeJS.Timeout | undefined;
  /** The error of its last crash ('error' comes before 'exit'). */
  crash: Error | undefined;
}

const MAX_RESPAWN_DELAY_MS = 30_000;

/** Starts `size` workers and resolves once every one has reported ready; rejects with the first setup error. */
export async function createWorkerPool<Request, Answer>(
  options: WorkerPoolOptions,
): Promise<WorkerPool<Request, Answer>> {
  const { script, name, data } = options;
  if (!Number.isInteger(options.size) || options.size < 1)
    throw new AntispoofError('INVALID_INPUT', `${name} pool size must be a positive integer, got ${options.size}`);
  const maxQueued = options.maxQueued ?? Number.POSITIVE_INFINITY;
  if (!(maxQueued >= 0)) throw new AntispoofError('INVALID_INPUT', `${name} queue must be >= 0, got ${maxQueued}`);
  const abortKillMs = options.abortKillMs ?? 5000;
  const closeGraceMs = options.closeGraceMs ?? 5000;
  const firstRespawnDelay = options.respawnDelayMs ?? 250;
  const log = options.log ?? ((message: string) => process.emitWarning(message, 'AntispoofWarning'));
  const slots = new Set<Slot>();
  const queue: Task[] = [];
  let nextId = 1;
  let closing: Promise<void> | undefined;
  let restarts = 0;
  let kills = 0;
  /** Replacements that failed their setup in a row: the backoff's exponent. */
  let failedStarts = 0;
  const respawnTimers = new Set<NodeJS.Timeout>();
  let lastStartError: Error | undefined;

  const readyCount = () => [...slots].filter((slot) => slot.ready).length;
  /** No worker ready and none about to be: a replacement is not loading, or the last one failed to start. */
  const unavailable = () => readyCount() === 0 && (failedStarts > 0 || slots.size === 0);
  const idleSlot = () => [...slots].find((slot) => slot.ready && !slot.task);
  const closedError = () => new AntispoofError('INFERENCE_FAILED', `${name} pool is closed`);
  const unavailableError = () =>
    new AntispoofError(
      'UNAVAILABLE',
      `no ${name} thread is ready (${slots.size} starting)` +
        (lastStartError ? `; the last start failed: ${lastStartError.message}` : ''),
      { cause: lastStartError },
    );

  function settle(task: Task, outcome: { value: unknown } | { error: unknown }): void {
    if (task.settled) return;
    task.settled = true;
    if (task.onAbort) task.signal?.removeEventListener('abort', task.onAbort);
    if ('error' in outcome) task.reject(outcome.error);
    else task.resolve(outcome.value);
  }

  function dispatch(): void {
    for (let slot = idleSlot(); slot && queue.length > 0; slot = idleSlot()) {
      const task = queue.shift()!;
      try {
        slot.worker.postMessage(
          { type: 'task', id: task.id, request: task.request } satisfies MainMessage,
          task.transfer,
        );
      } catch (cause) {
        // DataCloneError: something in the request cannot cross threads (a function, a class instance, an
        // untransferable buffer). The caller built the request, so it is a server bug, not the client's input.
        const message = `${name}: the request cannot be sent to a worker thread (${(cause as Error).message})`;
        settle(task, { error: new AntispoofError('INFERENCE_FAILED', message, { cause }) });
        continue;
      }
      slot.task = task;
      slot.worker.ref();
    }
  }

  function free(slot: Slot): void {
    clearTimeout(slot.killTimer);
    slot.killTimer = undefined;
    slot.task = undefined;
    slot.answered?.();
    slot.answered = undefined;
  }

  function onAnswer(slot: Slot, message: WorkerMessage): void {
    if (message.type !== 'answer' && message.type !== 'error') return;
    const task = slot.task;
    if (!task || task.id !== message.id) return;
    free(slot);
    settle(task, message.type === 'answer' ? { value: message.value } : { error: reviveError(message.error) });
    // An idle worker must not keep the process alive: a caller that forgets close() can still exit.
    slot.worker.unref();
    if (!closing) dispatch();
  }

  function kill(slot: Slot, why: string): void {
    kills++;
    log(`${name} pool: terminating a worker thread ${why}`);
    void slot.worker.terminate();
  }

  /** A running task was aborted: its worker has `abortKillMs` to answer, or it is terminated and replaced. */
  function startKillTimer(slot: Slot): void {
    slot.killTimer = setTimeout(
      () => kill(slot, `that did not answer an aborted task within ${abortKillMs} ms; replacing it`),
      abortKillMs,
    );
    slot.killTimer.unref();
  }

  function crashError(slot: Slot, code: number): AntispoofError {
    const why = slot.crash ? `: ${slot.crash.message}` : '';
    const message = `${name} thread crashed (exit code ${code})${why}; it is being replaced`;
    return new AntispoofError('INFERENCE_FAILED', message, { cause: slot.crash });
  }

  function onExit(slot: Slot, code: number): void {
    slots.delete(slot);
    const { task } = slot;
    free(slot);
    if (task) settle(task, { error: crashError(slot, code) });
    if (closing) return;
    if (!slot.ready) {
      lastStartError = slot.crash ?? new Error(`exit code ${code} before it was ready`);
      failedStarts++;
    }
    const delay = failedStarts === 0 ? 0 : Math.min(MAX_RESPAWN_DELAY_MS, firstRespawnDelay * 2 ** (failedStarts - 1));
    respawnLater(delay);
    // Nothing can take the queued tasks soon: refuse them rather than let them wait out their deadlines.
    if (unavailable()) for (const queued of queue.splice(0)) settle(queued, { error: unavailableError() });
  }

  function respawnLater(delay: number): void {
    restarts++;
    if (delay === 0) {
      spawn().catch(() => {});
      return;
    }
    const timer = setTimeout(() => {
      respawnTimers.delete(timer);
      if (!closing) spawn().catch(() => {});
    }, delay);
    timer.unref();
    respawnTimers.add(timer);
  }

  /** A new worker; resolves when it is ready, rejects with its setup error (its exit then schedules a retry). */
  function spawn(): Promise<void> {
    const worker = new Worker(script, { workerData: data, name });
    const slot: Slot = {
      worker,
      ready: false,
      task: undefined,
      answered: undefined,
      killTimer: undefined,
      crash: undefined,
    };
    slots.add(slot);
    return new Promise<void>((resolve, reject) => {
      worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'ready') {
          slot.ready = true;
          failedStarts = 0;
          lastStartError = undefined;
          worker.unref();
          resolve();
          if (!closing) dispatch();
        } else if (message.type === 'failed') {
          slot.crash = reviveError(message.error);
          reject(slot.crash);
        } else onAnswer(slot, message);
      });
      worker.on('error', (error) => {
        slot.crash = error;
        if (!slot.ready) reject(error);
      });
      worker.on('exit', (code) => {
        if (!slot.ready)
          reject(
            slot.crash ??
              new AntispoofError('INFERENCE_FAILED', `${name} thread exited (code ${code}) before it was ready`),
          );
        onExit(slot, code);
      });
    });
  }

  const wait = (ms: number, done: Promise<unknown>) =>
    new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      void done.then(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });

  async function closeSlot(slot: Slot): Promise<void> {
    const exited = new Promise<void>((resolve) => slot.worker.once('exit', () => resolve()));
    if (slot.task) {
      const answered = new Promise<void>((resolve) => (slot.answered = resolve));
      if (!(await wait(closeGraceMs, Promise.race([answered, exited])))) {
        if (slot.task) settle(slot.task, { error: closedError() });
        kill(slot, `still computing ${closeGraceMs} ms after close() (last resort: it may hold native resources)`);
        return exited;
      }
    }
    // A worker still loading reads `close` once its setup is done (messages wait for the port's listener).
    slot.worker.postMessage({ type: 'close' } satisfies MainMessage);
    if (!(await wait(closeGraceMs, exited)))
      kill(slot, `that did not release its models within ${closeGraceMs} ms of close() (last resort)`);
    await exited;
  }

  async function closeAll(): Promise<void> {
    for (const timer of respawnTimers) clearTimeout(timer);
    respawnTimers.clear();
    for (const task of queue.splice(0)) settle(task, { error: closedError() });
    await Promise.all([...slots].map(closeSlot));
  }

  const pool: WorkerPool<Request, Answer> = {
    get size() {
      return slots.size;
    },
    get ready() {
      return readyCount();
    },
    get busy() {
      return [...slots].filter((slot) => slot.task).length;
    },
    get queued() {
      return queue.length;
    },
    get full() {
      return !idleSlot() && queue.length >= maxQueued;
    },
    get restarts() {
      return restarts;
    },
    get kills() {
      return kills;
    },
    get health() {
      if (closing) return 'closed';
      if (unavailable()) return 'unavailable';
      return readyCount() < options.size ? 'degraded' : 'ok';
    },
    run(request, runOptions = {}) {
      const { signal } = runOptions;
      if (closing) return Promise.reject(closedError());
      if (signal?.aborted) return Promise.reject(signal.reason);
      if (unavailable()) return Promise.reject(unavailableError());
      if (!idleSlot() && queue.length >= maxQueued)
        return Promise.reject(
          new AntispoofError('BUSY', `every ${name} thread is busy and ${queue.length} tasks are waiting`),
        );
      return new Promise<Answer>((resolve, reject) => {
        const task: Task = {
          id: nextId++,
          request,
          transfer: runOptions.transfer ?? [],
          resolve: resolve as (value: unknown) => void,
          reject,
          signal,
          onAbort: undefined,
          settled: false,
        };
        if (signal) {
          task.onAbort = () => {
            const index = queue.indexOf(task);
            if (index >= 0) queue.splice(index, 1);
            settle(task, { error: signal.reason });
            const running = [...slots].find((slot) => slot.task === task);
            if (running && !closing) startKillTimer(running);
          };
          signal.addEventListener('abort', task.onAbort, { once: true });
        }
        queue.push(task);
        dispatch();
      });
    },
    close() {
      closing ??= closeAll();
      return closing;
    },
  };

  const starting = Array.from({ length: options.size }, () => spawn());
  try {
    await Promise.all(starting);
  } catch (error) {
    await pool.close();
    throw error;
  }
  return pool;
}
