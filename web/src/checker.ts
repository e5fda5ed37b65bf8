import type { Classifier } from '../../src/classify/classifier.js';
import type { CheckOptions, CheckResult, LivenessChecker } from '../../src/check.js';
import { cropFace } from '../../src/crop/crop.js';
import { DEFAULT_QUALITY_LIMITS, measureQuality, retryReasons, type QualityLimits } from '../../src/decide/quality.js';
import { decideVerdict } from '../../src/decide/verdict.js';
import type { FaceDetector } from '../../src/detect/detector.js';
import { AntispoofError } from '../../src/errors.js';
import type { DetectedFace, RgbImage } from '../../src/types.js';

export interface FrameTimings {
  /** Letterbox + BlazeFace + decode + NMS. */
  detectMs: number;
  /** Crops + one classifier batch + quality gate. */
  classifyMs: number;
}

export interface BrowserCheckerOptions {
  threshold?: number;
  quality?: Partial<QualityLimits>;
  maxFaces?: number;
}

export interface BrowserLivenessChecker extends LivenessChecker {
  /** Timings of the last checkImage call. */
  readonly lastTimings: FrameTimings;
}

/**
 * The page's LivenessChecker, so src/stream.ts's LivenessSession (tracking + fusion) runs unchanged on top of it.
 * It wires the shared pipeline stages exactly as createLivenessChecker in src/check.ts does — detect, largest faces
 * first, THE crop, one classifier batch, quality gate, verdict — but from already decoded RGB frames only: image
 * decoding (sharp) and the file-based model loaders stay on the Node side.
 */
export function createBrowserChecker(
  detector: FaceDetector,
  classifier: Classifier,
  options: BrowserCheckerOptions = {},
): BrowserLivenessChecker {
  const threshold = options.threshold ?? classifier.card.threshold.live;
  if (!(threshold >= 0 && threshold <= 1)) throw new AntispoofError('INVALID_INPUT', `threshold must be in [0, 1]`);
  const limits: QualityLimits = { ...DEFAULT_QUALITY_LIMITS, ...options.quality };
  const maxFaces = options.maxFaces ?? 10;
  const { size } = classifier.card.input;
  const cropScale = classifier.card.crop.scale;
  const lastTimings: FrameTimings = { detectMs: 0, classifyMs: 0 };

  async function findFaces(image: RgbImage, checkOptions: CheckOptions): Promise<DetectedFace[]> {
    if (checkOptions.box) return [{ box: checkOptions.box, keypoints: [], score: Number.NaN }];
    if (checkOptions.wholeImage)
      return [{ box: { x: 0, y: 0, width: image.width, height: image.height }, keypoints: [], score: Number.NaN }];
    const faces = await detector.detect(image);
    return faces.sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height).slice(0, maxFaces);
  }

  async function checkImage(image: RgbImage, checkOptions: CheckOptions = {}): Promise<CheckResult> {
    const start = performance.now();
    const faces = await findFaces(image, checkOptions);
    const detected = performance.now();
    const crops = faces.map((face) => cropFace(image, face.box, { cropScale, size }));
    const scores = await classifier.classify(crops);
    const result: CheckResult = {
      width: image.width,
      height: image.height,
      faces: faces.map((face, i) => {
        const quality = measureQuality(image, face.box);
        const reasons = retryReasons(quality, limits);
        const score = scores[i]!;
        return {
          box: face.box,
          detectionScore: Number.isNaN(face.score) ? null : face.score,
          keypoints: face.keypoints,
          score,
          verdict: decideVerdict(score, threshold, reasons),
          reasons,
          quality,
        };
      }),
    };
    lastTimings.detectMs = detected - start;
    lastTimings.classifyMs = performance.now() - detected;
    return result;
  }

  return {
    threshold,
    classifier,
    lastTimings,
    checkImage,
    async check(input, checkOptions) {
      if (typeof input !== 'object' || !('data' in input) || 'channels' in input || !(input.data instanceof Uint8Array))
        throw new AntispoofError(
          'INVALID_INPUT',
          'the browser checker takes decoded RGB frames ({data, width, height})',
        );
      return checkImage(input as RgbImage, checkOptions);
    },
    async close() {
      await Promise.all([classifier.close(), detector.close()]);
    },
  };
}
