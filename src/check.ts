import { createClassifier, streamThresholdFor, type Classifier } from './classify/index.js';
import type { QualityLimits } from './decide/index.js';
import { createFaceDetector, type FaceDetector } from './detect/index.js';
import { decodeImage, type ImageInput } from './image/decode.js';
import { createFacePipeline, type CheckOptions, type CheckResult, type FacePipeline } from './pipeline.js';
import type { RgbImage } from './types.js';

export type { CheckOptions, CheckResult, FaceResult } from './pipeline.js';

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
}

export interface LivenessChecker {
  /** Single-frame threshold: a face is live when its P(live) >= threshold. */
  readonly threshold: number;
  /** Threshold for the fused P(live) of a frame sequence (LivenessSession, checkStream). */
  readonly streamThreshold: number;
  readonly classifier: Classifier;
  check(input: ImageInput | RgbImage, options?: CheckOptions): Promise<CheckResult>;
  /** Faces of an already decoded image (used by streams and by `prepare`). */
  checkImage(image: RgbImage, options?: CheckOptions): Promise<CheckResult>;
  /** Releases both models once; a second call (or a concurrent one) waits for the same release. */
  close(): Promise<void>;
}

function isDecoded(input: unknown): input is RgbImage {
  return typeof input === 'object' && input !== null && 'data' in input && !('channels' in input);
}

export async function createLivenessChecker(options: LivenessCheckerOptions = {}): Promise<LivenessChecker> {
  const classifier = await createClassifier({ model: options.model, threads: options.threads });
  let detector: FaceDetector;
  try {
    detector = await createFaceDetector({
      modelFile: options.detectorModel,
      minScore: options.minDetectionScore,
      threads: options.threads,
    });
  } catch (error) {
    await classifier.close();
    throw error;
  }
  let pipeline: FacePipeline;
  let streamThreshold: number;
  try {
    pipeline = createFacePipeline(detector, classifier, options);
    streamThreshold = streamThresholdFor(classifier.card, options);
  } catch (error) {
    await Promise.all([classifier.close(), detector.close()]);
    throw error;
  }
  const { threshold, checkImage } = pipeline;
  let closing: Promise<void> | undefined;

  return {
    threshold,
    streamThreshold,
    classifier,
    checkImage,
    async check(input, checkOptions) {
      const image = isDecoded(input) ? input : await decodeImage(input, { maxPixels: options.maxPixels });
      return checkImage(image, checkOptions);
    },
    close() {
      closing ??= Promise.all([classifier.close(), detector.close()]).then(() => undefined);
      return closing;
    },
  };
}
