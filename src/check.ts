import { createClassifier, type Classifier } from './classify/index.js';
import { cropFace } from './crop/index.js';
import {
  DEFAULT_QUALITY_LIMITS,
  decideVerdict,
  measureQuality,
  retryReasons,
  type QualityLimits,
  type QualityMeasures,
  type RetryReason,
  type Verdict,
} from './decide/index.js';
import { createFaceDetector, type FaceDetector } from './detect/index.js';
import { AntispoofError } from './errors.js';
import { decodeImage, type ImageInput } from './image/decode.js';
import type { Box, DetectedFace, Point, RgbImage } from './types.js';

export interface LivenessCheckerOptions {
  /** Classifier: an .onnx with its card next to it, or a card .json. Default: the shipped model. */
  model?: string;
  /** P(live) at or above which a face is live. Default: the model card's threshold. */
  threshold?: number;
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
  faces: FaceResult[];
}

export interface LivenessChecker {
  readonly threshold: number;
  readonly classifier: Classifier;
  check(input: ImageInput | RgbImage, options?: CheckOptions): Promise<CheckResult>;
  /** Faces of an already decoded image (used by streams and by `prepare`). */
  checkImage(image: RgbImage, options?: CheckOptions): Promise<CheckResult>;
  close(): Promise<void>;
}

function isDecoded(input: unknown): input is RgbImage {
  return typeof input === 'object' && input !== null && 'data' in input && !('channels' in input);
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
  const threshold = options.threshold ?? classifier.card.threshold.live;
  if (!(threshold >= 0 && threshold <= 1)) throw new AntispoofError('INVALID_INPUT', `threshold must be in [0, 1]`);
  const limits: QualityLimits = { ...DEFAULT_QUALITY_LIMITS, ...options.quality };
  const maxFaces = options.maxFaces ?? 10;
  const { size } = classifier.card.input;
  const cropScale = classifier.card.crop.scale;

  async function findFaces(image: RgbImage, checkOptions: CheckOptions): Promise<DetectedFace[]> {
    if (checkOptions.box) return [{ box: validateBox(checkOptions.box, image), keypoints: [], score: Number.NaN }];
    if (checkOptions.wholeImage)
      return [{ box: { x: 0, y: 0, width: image.width, height: image.height }, keypoints: [], score: Number.NaN }];
    const faces = await detector.detect(image);
    return faces.sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height).slice(0, maxFaces);
  }

  async function checkImage(image: RgbImage, checkOptions: CheckOptions = {}): Promise<CheckResult> {
    const faces = await findFaces(image, checkOptions);
    const crops = faces.map((face) => cropFace(image, face.box, { cropScale, size }));
    const scores = await classifier.classify(crops);
    return {
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
  }

  return {
    threshold,
    classifier,
    checkImage,
    async check(input, checkOptions) {
      const image = isDecoded(input) ? input : await decodeImage(input, { maxPixels: options.maxPixels });
      return checkImage(image, checkOptions);
    },
    async close() {
      await Promise.all([classifier.close(), detector.close()]);
    },
  };
}
