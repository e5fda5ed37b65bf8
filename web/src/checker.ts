import { streamThresholdFor } from '../../src/classify/card.js';
import type { Classifier } from '../../src/classify/classifier.js';
import type { LivenessChecker } from '../../src/check.js';
import type { FaceDetector } from '../../src/detect/detector.js';
import { AntispoofError } from '../../src/errors.js';
import { createFacePipeline, type PipelineOptions, type StageTimings } from '../../src/pipeline.js';
import type { RgbImage } from '../../src/types.js';

export type FrameTimings = StageTimings;
export interface BrowserCheckerOptions extends PipelineOptions {
  /** Threshold for the fused score of LivenessSession; default as createLivenessChecker's. */
  streamThreshold?: number;
}

export interface BrowserLivenessChecker extends LivenessChecker {
  /** Timings of the last checkImage call. */
  readonly lastTimings: FrameTimings;
}

/**
 * The page's LivenessChecker, so src/stream.ts's LivenessSession (tracking + fusion) runs unchanged on top of it:
 * the shared pipeline of src/pipeline.ts on already decoded RGB frames; decoding (sharp) and the file-based model
 * loaders stay on the Node side.
 */
export function createBrowserChecker(
  detector: FaceDetector,
  classifier: Classifier,
  options: BrowserCheckerOptions = {},
): BrowserLivenessChecker {
  const pipeline = createFacePipeline(detector, classifier, options);
  return {
    threshold: pipeline.threshold,
    streamThreshold: streamThresholdFor(classifier.card, options),
    classifier,
    lastTimings: pipeline.lastTimings,
    checkImage: pipeline.checkImage,
    async check(input, checkOptions) {
      if (typeof input !== 'object' || !('data' in input) || 'channels' in input || !(input.data instanceof Uint8Array))
        throw new AntispoofError(
          'INVALID_INPUT',
          'the browser checker takes decoded RGB frames ({data, width, height})',
        );
      return pipeline.checkImage(input as RgbImage, checkOptions);
    },
    async close() {
      await Promise.all([classifier.close(), detector.close()]);
    },
  };
}
