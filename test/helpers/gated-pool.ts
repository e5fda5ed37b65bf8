// A pool of the scriptable fixture worker (test/fixtures/pool-worker.mjs) with a gate the test holds: tasks block
// their worker thread until the test opens the gate, so tests assert order and states, never milliseconds.
import { createWorkerPool, type WorkerPool, type WorkerPoolOptions } from '../../src/runtime/worker-pool.js';

export const FIXTURE = new URL('../fixtures/pool-worker.mjs', import.meta.url);

export type FixtureRequest =
  | { kind: 'echo' | 'handled' | 'gate' | 'hang'; tag?: unknown }
  | { kind: 'hog'; tag: string; ms: number }
  | { kind: 'fail'; code: string; message: string }
  | { kind: 'exit'; code: number }
  | { kind: 'throw' };
export type FixtureAnswer = { tag: string; threadId: number } | string[];
export type FixturePool = WorkerPool<FixtureRequest, FixtureAnswer>;

/** The shared Int32Array of the fixture: [started, open, fail setup, never opened]. */
export class Gate {
  readonly shared = new SharedArrayBuffer(16);
  private readonly view = new Int32Array(this.shared);

  /** 'gate' and 'hang' tasks started so far. */
  get started(): number {
    return Atomics.load(this.view, 0);
  }

  /** Resolves once `count` gated tasks have started in their workers. */
  async untilStarted(count: number): Promise<void> {
    for (let seen = this.started; seen < count; seen = this.started) {
      const waiting = (Atomics as unknown as AtomicsWithWaitAsync).waitAsync(this.view, 0, seen);
      if (waiting.async) await waiting.value;
    }
  }

  open(): void {
    Atomics.store(this.view, 1, 1);
    Atomics.notify(this.view, 1);
  }

  /** While set, a worker that starts fails its setup (a replacement that cannot load its models). */
  failStarts(fail: boolean): void {
    Atomics.store(this.view, 2, fail ? 1 : 0);
  }
}

interface AtomicsWithWaitAsync {
  waitAsync(view: Int32Array, index: number, value: number): { async: boolean; value: Promise<string> | string };
}

export function gatedPool(
  gate: Gate,
  options: Partial<Omit<WorkerPoolOptions, 'script' | 'data'>> = {},
): Promise<FixturePool> {
  return createWorkerPool<FixtureRequest, FixtureAnswer>({
    script: FIXTURE,
    size: 1,
    name: 'test worker',
    ...options,
    data: { gate: gate.shared },
  });
}

/** Polls `condition` (state, not time: the cap only stops a broken test from hanging the run). */
export async function until(condition: () => boolean | Promise<boolean>, what = 'condition'): Promise<void> {
  for (let i = 0; !(await condition()); i++) {
    if (i > 6000) throw new Error(`${what} never became true`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
