import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TransferListItem } from 'node:worker_threads';
import type { LivenessChecker, LivenessCheckerOptions } from '../check.js';
import { streamThresholdFor, type Classifier } from '../classify/index.js';
import { AntispoofError } from '../errors.js';
import type { CheckOptions, CheckResult } from '../pipeline.js';
import type { RgbImage } from '../types.js';
import { resolveModel } from './node-model-files.js';
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

type Pixels = { data: Uint8Array | Uint8ClampedArray; width: number; height: number; channels?: number };

function isPixels(input: unknown): input is Pixels {
  if (typeof input !== 'object' || input === null || !('data' in input)) return false;
  const { data } = input as { data: unknown };
  return data instanceof Uint8Array || data instanceof Uint8ClampedArray;
}

/** A fresh copy whose buffer can be transferred: the caller's own buffer (maybe a slice of Node's pool) stays put. */
function copyBytes(data: Uint8Array | Uint8ClampedArray): Uint8Array<ArrayBuffer> | Uint8ClampedArray<ArrayBuffer> {
  const copy = data instanceof Uint8ClampedArray ? new Uint8ClampedArray(data.length) : new Uint8Array(data.length);
  copy.set(data);
  return copy;
}

/** Bytes, raw pixels or an RgbImage copied for transfer; a path (the worker reads it) or anything else as is. */
function pack(input: unknown, transfer: TransferListItem[]): unknown {
  if (input instanceof Uint8Array || input instanceof Uint8ClampedArray) {
    const copy = copyBytes(input);
    transfer.push(copy.buffer);
    return copy;
  }
  if (!isPixels(input)) return input;
  const data = copyBytes(input.data);
  transfer.push(data.buffer);
  const { width, height } = input;
  // `channels` is what tells RawPixels from an RgbImage: kept exactly when the caller gave it.
  return 'channels' in input ? { data, width, height, channels: input.channels } : { data, width, height };
}

/**
 * The checker over a pool of `workers` inference threads, each holding an ordinary in-thread checker built from
 * the same options: identical results, with the main thread free while they compute. The card (threshold,
 * stream threshold, name) is read here too, so nothing that only describes the model needs a round trip.
 */
export async function createPooledChecker(options: LivenessCheckerOptions, workers: number): Promise<LivenessChecker> {
  const { modelFile, card } = await resolveModel(options.model);
  const streamThreshold = streamThresholdFor(card, options);
  const { workers: _, ...workerOptions } = options;
  // The workers validate every option as the in-thread checker does, and fail the startup with its error.
  const pool = await createWorkerPool<CheckRequest, unknown>({
    script: checkWorkerScript(),
    size: workers,
    data: workerOptions,
    name: 'inference worker',
  });
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= pool.close());

  const classifier: Classifier = {
    card,
    modelFile,
    classify(crops) {
      const transfer: TransferListItem[] = [];
      const packed = crops.map((crop) => pack(crop, transfer));
      return pool.run({ kind: 'classify', crops: packed }, { transfer }) as Promise<number[]>;
    },
    // The sessions live in the workers and are shared with the checker: closing one closes both.
    close,
  };

  return {
    threshold: options.threshold ?? card.threshold.live,
    streamThreshold,
    classifier,
    check(input, { signal, ...checkOptions } = {}) {
      const transfer: TransferListItem[] = [];
      const request: CheckRequest = { kind: 'check', input: pack(input, transfer), options: checkOptions };
      return pool.run(request, { transfer, signal }) as Promise<CheckResult>;
    },
    checkImage(image: RgbImage, { signal, ...checkOptions } = {}) {
      const transfer: TransferListItem[] = [];
      const request: CheckRequest = { kind: 'checkImage', image: pack(image, transfer), options: checkOptions };
      return pool.run(request, { transfer, signal }) as Promise<CheckResult>;
    },
    close,
  };
}
