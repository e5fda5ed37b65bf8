// What the Node checker is and takes, free of any runtime: check.ts builds one in-thread or over a worker pool,
// runtime/ implements both, and nothing here loads sharp, onnxruntime or a worker.
import type { CheckerCore } from './checker-parts.js';
import type { QualityLimits } from './decide/index.js';
import type { ImageInput } from './image/pixels.js';
import type { CheckOptions, CheckResult } from './pipeline.js';
import type { RgbImage } from './types.js';

/**
 * Options of one check. `signal` aborts it: a pooled checker (`workers` > 0) rejects with `signal.reason` at once,
 * dropping the worker's answer when it comes; an in-thread checker (`workers: 0`) only refuses to start a check whose
 * signal has already fired (the JavaScript thread cannot be interrupted inside a model run).
 *
 * `transfer: true` hands the input's bytes over to a pooled checker: a Buffer or Uint8Array that owns its whole
 * ArrayBuffer (as an HTTP upload does) is moved to the worker, not copied, and is detached (empty) afterwards.
 * Without it, or for a view into a larger buffer (a slice of Node's Buffer pool, a subarray), the bytes are copied
 * and the caller's buffer stays as it was. Raw pixels and RgbImages are always copied. In-thread, it changes nothing.
 */
export type AbortableCheckOptions = CheckOptions & { signal?: AbortSignal; transfer?: boolean };

export interface LivenessCheckerOptions {
  /** Classifier: an .onnx with its card next to it, or a card .json. Default: the shipped model. */
  model?: string;
  /**
   * P(live) at or above which a face is live. Default: the model card's threshold. Given, it is also the stream
   * threshold unless `streamThreshold` is given too.
   */
  threshold?: number;
  /**
   * Fused P(live) at or above which a LivenessSession decides live. Default: `threshold` if given, else the card's
   * `threshold.stream.live`, else its frame threshold.
   */
  streamThreshold?: number;
  /** onnxruntime intra-op threads per session. */
  threads?: number;
  detectorModel?: string;
  /** Detector confidence below which a face is ignored. */
  minDetectionScore?: number;
  maxPixels?: number;
  quality?: Partial<QualityLimits>;
  /** Faces classified per image, largest first. */
  maxFaces?: number;
  /**
   * Inference worker threads. 0 (the default): decode and inference run on the calling thread — the cheapest start
   * (~70 ms for both models), right for scripts and one-shot commands that check one image at a time. n > 0: a pool
   * of n threads, each loading sharp, onnxruntime and both models (measured on 2 busy cores: 0.3-0.5 s for one,
   * 0.6-0.9 s for two; ~15 MB of memory each); the event loop stays free while they compute and n checks run at
   * once, with identical results — right for a service (`antispoof serve` starts one per core).
   */
  workers?: number;
  /**
   * With workers: checks that may wait for a free worker; one more is refused at once with a BUSY AntispoofError.
   * Default: no limit (a script that queues a thousand files waits its turn; a service sets a bound).
   */
  queue?: number;
  /**
   * With workers: how long a worker may go on computing a check whose signal aborted before it is terminated and
   * replaced (a model run cannot be interrupted; one that never ends would hold its worker for good). Default 5000.
   */
  abortKillMs?: number;
}

/** The state of a checker's worker pool, read at any time (the service's /healthz and /metrics). */
export interface WorkerPoolState {
  /** Workers alive: ready, or starting (a replacement loading its models). */
  readonly size: number;
  /** Workers ready to take a check. */
  readonly ready: number;
  /** Workers computing, including checks aborted but not yet answered (the worker is not free until it answers). */
  readonly busy: number;
  /** Checks waiting for a worker. */
  readonly queued: number;
  /** Every worker busy and the queue full: the next check is refused with BUSY. */
  readonly full: boolean;
  /** Replacement workers started (after a crash or a kill), successful or not. */
  readonly restarts: number;
  /** Workers terminated because an aborted check went unanswered past `abortKillMs`, or at close as a last resort. */
  readonly kills: number;
  /** 'ok'; 'degraded' (fewer ready workers than asked for); 'unavailable' (none: checks refused); 'closed'. */
  readonly health: 'ok' | 'degraded' | 'unavailable' | 'closed';
}

/** The Node checker: the shared core, plus files, Buffers and raw pixels (decoded with sharp) and abortable checks. */
export interface LivenessChecker extends CheckerCore {
  check(input: ImageInput | RgbImage, options?: AbortableCheckOptions): Promise<CheckResult>;
  /** Faces of an already decoded image (used by streams and by `prepare`). */
  checkImage(image: RgbImage, options?: AbortableCheckOptions): Promise<CheckResult>;
  /** The worker pool's state; null for an in-thread checker (`workers: 0`). */
  readonly pool: WorkerPoolState | null;
  /**
   * Releases both models once; a second call (or a concurrent one) waits for the same release. A pooled checker
   * rejects the checks still queued, lets the running ones answer (within a bound), then stops its workers. Checks
   * after close reject with INFERENCE_FAILED.
   */
  close(): Promise<void>;
}
