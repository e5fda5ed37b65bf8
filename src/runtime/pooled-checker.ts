import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TransferListItem } from 'node:worker_threads';
import { streamThresholdFor, type Classifier } from '../classify/index.js';
import { AntispoofError } from '../errors.js';
import { pixelKind } from '../image/pixels.js';
import type { AbortableCheckOptions, LivenessChecker, LivenessCheckerOptions } from '../liveness-checker.js';
import type { CheckOptions, CheckResult, StageTimings } from '../pipeline.js';
import { resolveClassifier } from './node-cards.js';
import { createWorkerPool } from './worker-pool.js';

/** What the main thread asks of an inference worker (src/runtime/check-worker.ts). */
export type CheckRequest =
  | { kind: 'check'; input: unknown; options: CheckOptions }
  | { kind: 'checkImage'; image: unknown; options: CheckOptions }
  | { kind: 'classify'; crops: unknown[] };

/**
 * The compiled worker entry. Worker threads run JavaScript only, so under vitest (this module loaded from src/*.ts)
 * the worker is dist/src/runtime/check-worker.js: `npm test` builds it first, and it runs the dist/ build of the
 * whole pipeline — after editing src/, rebuild before trusting a pooled result.
 */
export function checkWorkerScript(): URL {
  const candidates = [new URL('../../dist/src/runtime/check-worker.js', import.meta.url)];
  if (import.meta.url.endsWith('.js')) candidates.unshift(new URL('./check-worker.js', import.meta.url));
  const script = candidates.find((candidate) => existsSync(candidate));
  if (script) return script;
  throw new AntispoofError(
    'MODEL_LOAD_FAILED',
    `cannot start inference workers: ${fileURLToPath(candidates.at(-1)!)} is missing; ` +
      `run \`npm run build\`, or create the checker with workers: 0`,
  );
}

type Bytes = Uint8Array | Uint8ClampedArray;

const isBytes = (data: unknown): data is Bytes => data instanceof Uint8Array || data instanceof Uint8ClampedArray;

/** A buffer nobody else can be reading: it spans its whole ArrayBuffer (not a slice of Node's 8 KB Buffer pool). */
const ownsItsMemory = (data: Bytes) =>
  data.buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;

/**
 * Bytes to send: moved when the caller hands them over (`transfer`) and they own their whole ArrayBuffer — the
 * service's uploads — else copied into a fresh buffer that is moved, so the caller's own stays put.
 */
function sendable(data: Bytes, handOver: boolean, transfer: TransferListItem[]): Bytes {
  if (handOver && ownsItsMemory(data)) {
    transfer.push(data.buffer as ArrayBuffer);
    return data;
  }
  const copy = data instanceof Uint8ClampedArray ? new Uint8ClampedArray(data.length) : new Uint8Array(data.length);
  copy.set(data);
  transfer.push(copy.buffer);
  return copy;
}

/** Bytes, raw pixels or an RgbImage ready to cross; a path (the worker reads it) or anything else as is. */
function pack(input: unknown, handOver: boolean, transfer: TransferListItem[]): unknown {
  if (isBytes(input)) return sendable(input, handOver, transfer);
  const kind = pixelKind(input);
  if (!kind) return input;
  const { data, width, height, channels } = input as {
    data: unknown;
    width: number;
    height: number;
    channels?: unknown;
  };
  // Pixels are always copied: a caller's frame buffer is usually reused for the next frame.
  const packed = isBytes(data) ? sendable(data, false, transfer) : data;
  // `channels` is what tells RawPixels from an RgbImage (pixelKind): it travels exactly when the caller gave it.
  return kind === 'raw' ? { data: packed, width, height, channels } : { data: packed, width, height };
}

/**
 * The checker over a pool of `workers` inference threads, each holding an ordinary in-thread checker built from
 * the same options: identical results, with the main thread free while they compute. The card (threshold,
 * stream threshold, name) is read here too, so nothing that only describes the model needs a round trip.
 */
export async function createPooledChecker(options: LivenessCheckerOptions, workers: number): Promise<LivenessChecker> {
  const { modelFile, card } = await resolveClassifier(options.model);
  const streamThreshold = streamThresholdFor(card, options);
  const { workers: _, queue, abortKillMs, ...workerOptions } = options;
  // The workers validate every option as the in-thread checker does, and fail the startup with its error.
  const pool = await createWorkerPool<CheckRequest, unknown>({
    script: checkWorkerScript(),
    size: workers,
    data: workerOptions,
    name: 'inference worker',
    maxQueued: queue,
    abortKillMs,
  });
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= pool.close());
  const lastTimings: StageTimings = { detectMs: 0, classifyMs: 0 };

  const classifier: Classifier = {
    card,
    modelFile,
    classify(crops) {
      const transfer: TransferListItem[] = [];
      const packed = crops.map((crop) => pack(crop, false, transfer));
      return pool.run({ kind: 'classify', crops: packed }, { transfer }) as Promise<number[]>;
    },
    // The sessions live in the workers and are shared with the checker: closing one closes both.
    close,
  };

  async function run(kind: 'check' | 'checkImage', input: unknown, runOptions: AbortableCheckOptions = {}) {
    const { signal, transfer: handOver = false, ...checkOptions } = runOptions;
    const transfer: TransferListItem[] = [];
    const packed = pack(input, handOver, transfer);
    const request: CheckRequest =
      kind === 'check'
        ? { kind, input: packed, options: checkOptions }
        : { kind, image: packed, options: checkOptions };
    const result = (await pool.run(request, { transfer, signal })) as CheckResult;
    Object.assign(lastTimings, result.timings);
    return result;
  }

  return {
    threshold: options.threshold ?? card.threshold.live,
    streamThreshold,
    classifier,
    lastTimings,
    pool,
    check: (input, checkOptions) => run('check', input, checkOptions),
    checkImage: (image, checkOptions) => run('checkImage', image, checkOptions),
    close,
  };
}
