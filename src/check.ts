import { checkerFromLoadingParts } from './checker-parts.js';
import type { Classifier } from './classify/index.js';
import type { QualityLimits } from './decide/index.js';
import { AntispoofError } from './errors.js';
import { decodeImage, type ImageInput } from './image/decode.js';
import type { CheckOptions, CheckResult } from './pipeline.js';
import { createClassifier, createFaceDetector } from './runtime/node-loaders.js';
import { createPooledChecker } from './runtime/pooled-checker.js';
import type { RgbImage } from './types.js';

export type { CheckOptions, CheckResult, FaceResult } from './pipeline.js';

/**
 * Options of one check. `signal` aborts it: a pooled checker (`workers` > 0) rejects with `signal.reason` at once,
 * dropping the worker's answer when it comes; an in-thread checker (`workers: 0`) only refuses to start a check whose
 * signal has already fired (the JavaScript thread cannot be interrupted inside a model run).
 */
export type AbortableCheckOptions = CheckOptions & { signal?: AbortSignal };

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
}

export interface LivenessChecker {
  /** Single-frame threshold: a face is live when its P(live) >= threshold. */
  readonly threshold: number;
  /** Threshold for the fused P(live) of a frame sequence (LivenessSession, checkStream). */
  readonly streamThreshold: number;
  readonly classifier: Classifier;
  check(input: ImageInput | RgbImage, options?: AbortableCheckOptions): Promise<CheckResult>;
  /** Faces of an already decoded image (used by streams and by `prepare`). */
  checkImage(image: RgbImage, options?: AbortableCheckOptions): Promise<CheckResult>;
  /**
   * Releases both models once (a pooled checker: stops its workers, rejecting the checks still queued or running);
   * a second call (or a concurrent one) waits for the same release. Checks after close reject with INFERENCE_FAILED.
   */
  close(): Promise<void>;
}

function isDecoded(input: unknown): input is RgbImage {
  return typeof input === 'object' && input !== null && 'data' in input && !('channels' in input);
}

export async function createLivenessChecker(options: LivenessCheckerOptions = {}): Promise<LivenessChecker> {
  const workers = options.workers ?? 0;
  if (!Number.isInteger(workers) || workers < 0)
    throw new AntispoofError('INVALID_INPUT', `workers must be an integer >= 0, got ${workers}`);
  if (workers > 0) return createPooledChecker(options, workers);
  const core = await checkerFromLoadingParts(
    createFaceDetector({
      modelFile: options.detectorModel,
      minScore: options.minDetectionScore,
      threads: options.threads,
    }),
    createClassifier({ model: options.model, threads: options.threads }),
    options,
  );

  return {
    threshold: core.threshold,
    streamThreshold: core.streamThreshold,
    classifier: core.classifier,
    async checkImage(image, checkOptions) {
      checkOptions?.signal?.throwIfAborted();
      return core.checkImage(image, checkOptions);
    },
    async check(input, checkOptions) {
      checkOptions?.signal?.throwIfAborted();
      const image = isDecoded(input) ? input : await decodeImage(input, { maxPixels: options.maxPixels });
      return core.checkImage(image, checkOptions);
    },
    close: core.close,
  };
}
