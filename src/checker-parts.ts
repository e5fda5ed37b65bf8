import { streamThresholdFor } from './classify/card.js';
import type { Classifier } from './classify/classifier.js';
import type { FaceDetector } from './detect/detector.js';
import {
  createFacePipeline,
  type CheckOptions,
  type CheckResult,
  type PipelineOptions,
  type StageTimings,
} from './pipeline.js';
import type { RgbImage } from './types.js';

export type CheckerPartsOptions = PipelineOptions & { streamThreshold?: number };

/** What every liveness checker is, whichever runtime loaded its models: the pipeline, its thresholds and one close. */
export interface CheckerCore {
  /** Single-frame threshold: a face is live when its P(live) >= threshold. */
  readonly threshold: number;
  /** Threshold for the fused P(live) of a frame sequence (LivenessSession, checkStream). */
  readonly streamThreshold: number;
  readonly classifier: Classifier;
  /** Timings of the last check to complete (each result also carries its own). */
  readonly lastTimings: StageTimings;
  checkImage(image: RgbImage, options?: CheckOptions): Promise<CheckResult>;
  /** Releases both models once; a second or concurrent call waits for the same release. */
  close(): Promise<void>;
}

/** A checker core over a detector and classifier already made. Throws on bad options, closing nothing. */
export function checkerFromParts(
  detector: FaceDetector,
  classifier: Classifier,
  options: CheckerPartsOptions = {},
): CheckerCore {
  const pipeline = createFacePipeline(detector, classifier, options);
  const streamThreshold = streamThresholdFor(classifier.card, options);
  let closing: Promise<void> | undefined;
  return {
    threshold: pipeline.threshold,
    streamThreshold,
    classifier,
    lastTimings: pipeline.lastTimings,
    checkImage: pipeline.checkImage,
    close() {
      closing ??= Promise.all([classifier.close(), detector.close()]).then(() => undefined);
      return closing;
    },
  };
}

/**
 * Waits for both models to load, then builds the core. When either load or the options fail, whatever did load is
 * released before the first error is thrown (detector's first), so a failed start leaks no session.
 */
export async function checkerFromLoadingParts(
  loadingDetector: Promise<FaceDetector>,
  loadingClassifier: Promise<Classifier>,
  options: CheckerPartsOptions = {},
): Promise<CheckerCore> {
  const [detector, classifier] = await Promise.allSettled([loadingDetector, loadingClassifier]);
  if (detector.status === 'rejected' || classifier.status === 'rejected') {
    await Promise.all([detector, classifier].map((part) => (part.status === 'fulfilled' ? part.value.close() : null)));
    throw detector.status === 'rejected' ? detector.reason : (classifier as PromiseRejectedResult).reason;
  }
  try {
    return checkerFromParts(detector.value, classifier.value, options);
  } catch (error) {
    await Promise.all([detector.value.close(), classifier.value.close()]);
    throw error;
  }
}
