import { checkerFromLoadingParts } from '../checker-parts.js';
import { decodeImage } from '../image/decode.js';
import { isDecodedImage } from '../image/pixels.js';
import type { LivenessChecker, LivenessCheckerOptions } from '../liveness-checker.js';
import { createClassifier, createFaceDetector } from './node-loaders.js';

/**
 * The checker on the calling thread: decode (sharp) + the pipeline over onnxruntime-node. It is what
 * `createLivenessChecker({ workers: 0 })` returns and what every inference worker runs (check-worker.ts), so a
 * pooled check is exactly an in-thread one. `options.workers` is not read here.
 */
export async function createInThreadChecker(options: LivenessCheckerOptions = {}): Promise<LivenessChecker> {
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
    ...core,
    pool: null,
    async checkImage(image, checkOptions) {
      checkOptions?.signal?.throwIfAborted();
      return core.checkImage(image, checkOptions);
    },
    async check(input, checkOptions) {
      checkOptions?.signal?.throwIfAborted();
      const image = isDecodedImage(input) ? input : await decodeImage(input, { maxPixels: options.maxPixels });
      return core.checkImage(image, checkOptions);
    },
  };
}
