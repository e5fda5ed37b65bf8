import type { WorkerPoolState } from '../index.js';

/** Thrown by `run` when every slot is busy and the queue is full: the caller answers 503 at once. */
export class QueueFullError extends Error {
  constructor() {
    super('the server is busy: every check slot is taken and the queue is full');
    this.name = 'QueueFullError';
  }
}

/**
 * At most `concurrency` tasks in flight, at most `queue` waiting, the rest refused. A check is CPU-bound (decode,
 * detect, classify), so running more at once than there are cores only makes every one of them slower; a bounded
 * queue turns overload into fast 503s instead of ever-growing latency and memory.
 */
export interface Limiter {
  readonly inFlight: number;
  readonly queued: number;
  /** No slot and no queue place left: a new task would be refused. */
  readonly full: boolean;
  /** Runs `task` when a slot frees; rejects with QueueFullError, or with `signal.reason` if aborted while queued. */
  run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** Resolves once nothing is in flight or queued (graceful shutdown). */
  idle(): Promise<void>;
}

interface Waiter {
  start: () => void;
  cancel: (reason: unknown) => void;
}

export function createLimiter(options: { concurrency: number; queue: number }): Limiter {
  const { concurrency, queue } = options;
  const waiting: Waiter[] = [];
  let inFlight = 0;
  let idleWaiters: Array<() => void> = [];

  function release(): void {
    inFlight--;
    const next = waiting.shift();
    if (next) next.start();
    else if (inFlight === 0) {
      const resolvers = idleWaiters;
      idleWaiters = [];
      for (const resolve of resolvers) resolve();
    }
  }

  async function runNow<T>(task: () => Promise<T>): Promise<T> {
    inFlight++;
    try {
      return await task();
    } finally {
      release();
    }
  }

  return {
    get inFlight() {
      return inFlight;
    },
    get queued() {
      return waiting.length;
    },
    get full() {
      return inFlight >= concurrency && waiting.length >= queue;
    },
    run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
      if (signal?.aborted) return Promise.reject(signal.reason);
      if (inFlight < concurrency) return runNow(task);
      if (waiting.length >= queue) return Promise.reject(new QueueFullError());
      return new Promise<T>((resolve, reject) => {
        const onAbort = () => waiter.cancel(signal!.reason);
        const waiter: Waiter = {
          start: () => {
            signal?.removeEventListener('abort', onAbort);
            runNow(task).then(resolve, reject);
          },
          cancel: (reason) => {
            const index = waiting.indexOf(waiter);
            if (index >= 0) waiting.splice(index, 1);
            reject(reason);
          },
        };
        waiting.push(waiter);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
    idle() {
      if (inFlight === 0 && waiting.length === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
  };
}

/**
 * The limiter of a checker with a worker pool: the pool itself admits (one check per worker, its bounded queue, BUSY
 * when full, UNAVAILABLE with no worker), so this only reads its state and counts the calls for `idle`. In flight is
 * the pool's busy count, which includes checks whose request timed out but whose worker has not answered yet.
 */
export function poolLimiter(pool: WorkerPoolState): Limiter {
  let calls = 0;
  let idleWaiters: Array<() => void> = [];
  return {
    get inFlight() {
      return pool.busy;
    },
    get queued() {
      return pool.queued;
    },
    get full() {
      return pool.full;
    },
    async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
      signal?.throwIfAborted();
      calls++;
      try {
        return await task();
      } finally {
        if (--calls === 0) {
          const resolvers = idleWaiters;
          idleWaiters = [];
          for (const resolve of resolvers) resolve();
        }
      }
    },
    idle() {
      if (calls === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
  };
}
