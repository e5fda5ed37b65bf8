import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { AntispoofError, type AntispoofErrorCode } from '../errors.js';

// The messages between a WorkerPool (worker-pool.ts) and its workers. A worker posts `ready` (or `failed`) once its
// setup is done, then answers every `task` with an `answer` or an `error` of the same id, one task at a time; `close`
// asks it to release what it holds and exit. Errors cross as { name, message, code }: an AntispoofError thrown in a
// worker comes out on the main side as an AntispoofError with the same code.

export interface SerialisedError {
  name: string;
  message: string;
  code?: string;
  stack?: string;
}

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'failed'; error: SerialisedError }
  | { type: 'answer'; id: number; value: unknown }
  | { type: 'error'; id: number; error: SerialisedError };

export type MainMessage = { type: 'task'; id: number; request: unknown } | { type: 'close' };

function serialiseError(error: unknown): SerialisedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const code = (error as { code?: unknown }).code;
  return {
    name: error.name,
    message: error.message,
    code: typeof code === 'string' ? code : undefined,
    stack: error.stack,
  };
}

export function reviveError(error: SerialisedError): Error {
  const revived =
    error.name === 'AntispoofError' && error.code !== undefined
      ? new AntispoofError(error.code as AntispoofErrorCode, error.message)
      : Object.assign(new Error(error.message), { name: error.name });
  if (error.stack) revived.stack = `${error.stack}\n    (thrown in a worker thread)`;
  return revived;
}

/**
 * The worker side: runs `setup(workerData)` once, reports ready (or the setup's error), then answers each task with
 * the handler it returned. `dispose` runs when the pool closes, before the thread exits.
 */
export function serveWorkerTasks<Request, Answer>(
  setup: (data: unknown) => Promise<{ handle: (request: Request) => Promise<Answer>; dispose?: () => Promise<void> }>,
): void {
  if (isMainThread || !parentPort) throw new Error('serveWorkerTasks runs inside a worker thread');
  const port = parentPort;
  const post = (message: WorkerMessage) => port.postMessage(message);
  setup(workerData).then(
    ({ handle, dispose }) => {
      port.on('message', (message: MainMessage) => {
        if (message.type === 'close') {
          // The thread exits whether the release worked or not; the pool's grace timer is the backstop.
          void Promise.resolve(dispose?.())
            .catch(() => {})
            .finally(() => port.close());
          return;
        }
        const { id } = message;
        Promise.resolve(message.request as Request)
          .then(handle)
          .then(
            (value) => post({ type: 'answer', id, value }),
            (error: unknown) => post({ type: 'error', id, error: serialiseError(error) }),
          );
      });
      post({ type: 'ready' });
    },
    (error: unknown) => {
      post({ type: 'failed', error: serialiseError(error) });
      port.close();
    },
  );
}
