import { Worker, type TransferListItem } from 'node:worker_threads';
import { AntispoofError } from '../errors.js';
import { reviveError, type MainMessage, type WorkerMessage } from './worker-protocol.js';

/**
 * A fixed set of worker threads, one task at a time each, and a FIFO queue in front of them. onnxruntime-node runs
 * a session synchronously on the calling thread, so the pool is what keeps inference off the event loop: a timer, a
 * deadline or a health check on the main thread is answered while every worker computes.
 * The worker side is `serveWorkerTasks` (worker-protocol.ts).
 */
export interface WorkerPool<Request, Answer> {
  /** Workers alive (starting or ready). */
  readonly size: number;
  /** Tasks a worker is computing, including aborted ones whose answer will be dropped. */
  readonly busy: number;
  /** Tasks waiting for a worker. */
  readonly queued: number;
  /**
   * The worker's answer to `request`. `transfer` moves buffers instead of copying them (they are detached here).
   * An abort while queued removes the task; while running, the promise rejects with `signal.reason` at once and the
   * worker's answer is dropped when it comes (the worker cannot be interrupted mid-inference; it stays busy till then).
   */
  run(request: Request, options?: { transfer?: TransferListItem[]; signal?: AbortSignal }): Promise<Answer>;
  /** Rejects queued and running tasks, then stops the workers; every call returns the same promise. */
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
  /** How long close() lets a worker release its resources before terminating it. Default 2000 ms. */
  closeGraceMs?: number;
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
  task: Task | undefined;
  /** The error of its last crash ('error' comes before 'exit'). */
  crash: Error | undefined;
}

/** Starts `size` workers and resolves once every one has reported ready; rejects with the first setup error. */
export async function createWorkerPool<Request, Answer>(
  options: WorkerPoolOptions,
): Promise<WorkerPool<Request, Answer>> {
  const { script, name, data } = options;
  if (!Number.isInteger(options.size) || options.size < 1)
    throw new AntispoofError('INVALID_INPUT', `${name} pool size must be a positive integer, got ${options.size}`);
  const slots = new Set<Slot>();
  const queue: Task[] = [];
  let nextId = 1;
  let closing: Promise<void> | undefined;
  /** Set when no worker is left and none can be started: every task is refused with it. */
  let broken: Error | undefined;

  function settle(task: Task, outcome: { value: unknown } | { error: unknown }): void {
    if (task.settled) return;
    task.settled = true;
    if (task.onAbort) task.signal?.removeEventListener('abort', task.onAbort);
    if ('error' in outcome) task.reject(outcome.error);
    else task.resolve(outcome.value);
  }

  function dispatch(): void {
    while (queue.length > 0) {
      const slot = [...slots].find((candidate) => candidate.ready && !candidate.task);
      if (!slot) return;
      const task = queue.shift()!;
      try {
        slot.worker.postMessage(
          { type: 'task', id: task.id, request: task.request } satisfies MainMessage,
          task.transfer,
        );
      } catch (cause) {
        // DataCloneError: something in the request cannot cross threads (a function, a class instance).
        const message = `${name}: the request cannot be sent to a worker thread (${(cause as Error).message})`;
        settle(task, { error: new AntispoofError('INVALID_INPUT', message, { cause }) });
        continue;
      }
      slot.task = task;
      slot.worker.ref();
    }
  }

  function onMessage(slot: Slot, message: WorkerMessage): void {
    if (message.type !== 'answer' && message.type !== 'error') return;
    const task = slot.task;
    if (!task || task.id !== message.id) return;
    slot.task = undefined;
    settle(task, message.type === 'answer' ? { value: message.value } : { error: reviveError(message.error) });
    // An idle worker must not keep the process alive: a caller that forgets close() can still exit.
    slot.worker.unref();
    dispatch();
  }

  function crashError(slot: Slot, code: number): AntispoofError {
    const why = slot.crash ? `: ${slot.crash.message}` : '';
    const message = `${name} thread crashed (exit code ${code})${why}; it is being replaced`;
    return new AntispoofError('INFERENCE_FAILED', message, { cause: slot.crash });
  }

  function onExit(slot: Slot, code: number): void {
    slots.delete(slot);
    if (closing) return;
    if (slot.task) settle(slot.task, { error: crashError(slot, code) });
    if (slot.ready) {
      // Replace a worker that had been serving; a failed replacement is handled by its own onExit.
      spawn().catch(() => {});
      return;
    }
    // A replacement that failed its own setup is not retried (the cause is likely permanent: a model file gone).
    if (slots.size === 0) {
      broken = new AntispoofError(
        'INFERENCE_FAILED',
        `no ${name} thread could be started: ${slot.crash?.message ?? `exit code ${code}`}`,
        { cause: slot.crash },
      );
      for (const task of queue.splice(0)) settle(task, { error: broken });
    }
  }

  /** A new worker; resolves when it is ready, rejects with its setup error. */
  function spawn(): Promise<void> {
    const worker = new Worker(script, { workerData: data, name });
    const slot: Slot = { worker, ready: false, task: undefined, crash: undefined };
    slots.add(slot);
    return new Promise<void>((resolve, reject) => {
      worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'ready') {
          slot.ready = true;
          worker.unref();
          resolve();
          dispatch();
        } else if (message.type === 'failed') {
          slot.crash = reviveError(message.error);
          reject(slot.crash);
        } else onMessage(slot, message);
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

  async function closeAll(): Promise<void> {
    const closed = new AntispoofError('INFERENCE_FAILED', `${name} pool is closed`);
    for (const task of queue.splice(0)) settle(task, { error: closed });
    const grace = options.closeGraceMs ?? 2000;
    await Promise.all(
      [...slots].map(async ({ worker, task }) => {
        if (task) settle(task, { error: closed });
        const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
        // A busy worker reads `close` only after its current run; past the grace period it is terminated.
        worker.postMessage({ type: 'close' } satisfies MainMessage);
        const timer = setTimeout(() => void worker.terminate(), grace);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  const pool: WorkerPool<Request, Answer> = {
    get size() {
      return slots.size;
    },
    get busy() {
      return [...slots].filter((slot) => slot.task).length;
    },
    get queued() {
      return queue.length;
    },
    run(request, runOptions = {}) {
      const { signal } = runOptions;
      if (closing) return Promise.reject(new AntispoofError('INFERENCE_FAILED', `${name} pool is closed`));
      if (broken) return Promise.reject(broken);
      if (signal?.aborted) return Promise.reject(signal.reason);
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
