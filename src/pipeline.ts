import type { Classifier } from './classify/classifier.js';
import { scoreFaces } from './classify/score-faces.js';
import {
  DEFAULT_QUALITY_LIMITS,
  measureQuality,
  retryReasons,
  type QualityLimits,
  type QualityMeasures,
  type RetryReason,
} from './decide/quality.js';
import { decideVerdict, type Verdict } from './decide/verdict.js';
import type { FaceDetector } from './detect/detector.js';
import { AntispoofError } from './errors.js';
import type { Box, DetectedFace, Point, RgbImage } from './types.js';

export interface CheckOptions {
  /** The face is here: skip detection (pre-cropped or externally detected). */
  box?: Box;
  /** The whole image is the face (tight face crops, where a detector often misses). */
  wholeImage?: boolean;
}

export interface FaceResult {
  box: Box;
  /** Detector confidence; null when the box was given. */
  detectionScore: number | null;
  keypoints: Point[];
  /** P(live) in [0, 1]. */
  score: number;
  verdict: Verdict;
  /** Why the verdict is 'retry'; empty otherwise. */
  reasons: RetryReason[];
  quality: QualityMeasures;
}

export interface CheckResult {
  width: number;
  height: number;
  /** Largest face first. */
  faces: FaceResult[];
  /** Where this call's time went; each result has its own, so concurrent checks never share them. */
  timings: StageTimings;
}

export interface PipelineOptions {
  /** P(live) at or above which a face is live. Default: the model card's threshold. */
  threshold?: number;
  quality?: Partial<QualityLimits>;
  /** Faces classified per image, largest first. */
  maxFaces?: number;
}

export interface StageTimings {
  /** Detection (or the given box), milliseconds. */
  detectMs: number;
  /** Crops, one classifier batch and the quality gate, milliseconds. */
  classifyMs: number;
}

export interface FacePipeline {
  readonly threshold: number;
  /**
   * Timings of the last checkImage call to complete: one object, updated in place (the browser page reads it after
   * each frame). With calls in flight at once, read `result.timings` instead.
   */
  readonly lastTimings: StageTimings;
  checkImage(image: RgbImage, options?: CheckOptions): Promise<CheckResult>;
}

const MAX_BOX_TO_IMAGE = 4;

function validateBox(box: Box, image: RgbImage): Box {
  const values = [box.x, box.y, box.width, box.height];
  if (!values.every(Number.isFinite) || box.width <= 0 || box.height <= 0)
    throw new AntispoofError('INVALID_INPUT', `face box must have finite x, y and positive width, height`);
  if (box.x + box.width <= 0 || box.y + box.height <= 0 || box.x >= image.width || box.y >= image.height)
    throw new AntispoofError('INVALID_INPUT', `face box lies outside the ${image.width}x${image.height} image`);
  // Crop cost grows with the box side: a box far larger than the image is a mistake or an attack, not a face.
  if (Math.max(box.width, box.height) > MAX_BOX_TO_IMAGE * Math.max(image.width, image.height))
    throw new AntispoofError(
      'INVALID_INPUT',
      `face box ${box.width}x${box.height} is more than ${MAX_BOX_TO_IMAGE}x the ${image.width}x${image.height} image`,
    );
  return box;
}

/**
 * detect -> crop -> classify -> decide on a decoded image, free of file and runtime loading, so Node
 * (createLivenessChecker) and the browser page run exactly the same steps.
 */
export function createFacePipeline(
  detector: FaceDetector,
  classifier: Classifier,
  options: PipelineOptions = {},
): FacePipeline {
  const threshold = options.threshold ?? classifier.card.threshold.live;
  if (!(threshold >= 0 && threshold <= 1)) throw new AntispoofError('INVALID_INPUT', `threshold must be in [0, 1]`);
  const limits: QualityLimits = { ...DEFAULT_QUALITY_LIMITS, ...options.quality };
  const maxFaces = options.maxFaces ?? 10;
  const lastTimings: StageTimings = { detectMs: 0, classifyMs: 0 };

  async function findFaces(image: RgbImage, checkOptions: CheckOptions): Promise<DetectedFace[]> {
    if (checkOptions.box) return [{ box: validateBox(checkOptions.box, image), keypoints: [], score: Number.NaN }];
    if (checkOptions.wholeImage)
      return [{ box: { x: 0, y: 0, width: image.width, height: image.height }, keypoints: [], score: Number.NaN }];
    const faces = await detector.detect(image);
    return faces.sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height).slice(0, maxFaces);
  }

  async function checkImage(image: RgbImage, checkOptions: CheckOptions = {}): Promise<CheckResult> {
    const start = performance.now();
    const faces = await findFaces(image, checkOptions);
    const detected = performance.now();
    const scores = await scoreFaces(
      classifier,
      image,
      faces.map((face) => face.box),
    );
    const faceResults = faces.map((face, i): FaceResult => {
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
    });
    const timings: StageTimings = { detectMs: detected - start, classifyMs: performance.now() - detected };
    Object.assign(lastTimings, timings);
    return { width: image.width, height: image.height, faces: faceResults, timings };
  }

  return { threshold, lastTimings, checkImage };
}
