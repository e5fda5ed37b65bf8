import { AntispoofError } from '../errors.js';
import { checkRgbImage } from '../image/rgb.js';
import type { InferenceSessionLike, SessionOutputs, TensorConstructor } from '../inference-session.js';
import type { DetectedFace, Point, RgbImage } from '../types.js';
import { SHORT_RANGE_ANCHORS } from './anchors.js';
import { decodeDetections, SHORT_RANGE_DECODE_OPTIONS, type RawDetection } from './decode.js';
import { letterbox, pointToOriginal, type LetterboxTransform } from './letterbox.js';
import { weightedNonMaxSuppression } from './nms.js';

const INPUT_SIZE = 128;
const MIN_SUPPRESSION_THRESHOLD = 0.3;

export interface FaceDetector {
  /** Faces in original image pixels (boxes may extend past the image edges), best score first. */
  detect(image: RgbImage): Promise<DetectedFace[]>;
  /** Releases the session; later calls do nothing. */
  close(): Promise<void>;
}

function toFace(d: RawDetection, t: LetterboxTransform): DetectedFace {
  const topLeft = pointToOriginal({ x: d.xMin * INPUT_SIZE, y: d.yMin * INPUT_SIZE }, t);
  const bottomRight = pointToOriginal({ x: d.xMax * INPUT_SIZE, y: d.yMax * INPUT_SIZE }, t);
  const keypoints: Point[] = [];
  for (let k = 0; k + 1 < d.keypoints.length; k += 2) {
    keypoints.push(pointToOriginal({ x: d.keypoints[k]! * INPUT_SIZE, y: d.keypoints[k + 1]! * INPUT_SIZE }, t));
  }
  return {
    box: { x: topLeft.x, y: topLeft.y, width: bottomRight.x - topLeft.x, height: bottomRight.y - topLeft.y },
    keypoints,
    score: d.score,
  };
}

export function checkMinScore(minScore: number): void {
  if (!(minScore >= 0 && minScore <= 1)) {
    throw new AntispoofError('INVALID_INPUT', `minScore must be within [0, 1], got ${minScore}`);
  }
}

export interface FaceDetectorFromSessionOptions {
  /** Minimum detection score (after sigmoid), default 0.5 as in MediaPipe. */
  minScore?: number;
  /** Names the model in error messages (a file or a URL). */
  modelName?: string;
}

/**
 * The detector around an already created session: letterbox, run, decode, weighted NMS, map back to the image.
 * Needs no file system and no particular runtime, so the browser demo runs this very code over onnxruntime-web.
 * The caller owns the session until this returns; afterwards close() releases it. Throws MODEL_LOAD_FAILED,
 * without releasing the session, when the model is not a BlazeFace detector.
 */
export function faceDetectorFromSession(
  session: InferenceSessionLike,
  Tensor: TensorConstructor,
  options: FaceDetectorFromSessionOptions = {},
): FaceDetector {
  const minScore = options.minScore ?? SHORT_RANGE_DECODE_OPTIONS.minScoreThresh;
  checkMinScore(minScore);
  const inputName = session.inputNames[0];
  if (
    inputName === undefined ||
    !session.outputNames.includes('regressors') ||
    !session.outputNames.includes('classificators')
  ) {
    throw new AntispoofError(
      'MODEL_LOAD_FAILED',
      `${options.modelName ?? 'the model'} is not a BlazeFace detector: expected outputs regressors and classificators, got ${session.outputNames.join(', ')}`,
    );
  }
  const decodeOptions = { ...SHORT_RANGE_DECODE_OPTIONS, minScoreThresh: minScore };
  let closed = false;

  return {
    async detect(image: RgbImage): Promise<DetectedFace[]> {
      if (closed) throw new AntispoofError('INFERENCE_FAILED', 'face detector is closed');
      checkRgbImage(image);
      const { tensor, transform } = letterbox(image, INPUT_SIZE);
      let outputs: SessionOutputs;
      try {
        const input = new Tensor('float32', tensor, [1, INPUT_SIZE, INPUT_SIZE, 3]);
        outputs = await session.run({ [inputName]: input });
      } catch (cause) {
        throw new AntispoofError('INFERENCE_FAILED', `face detection failed: ${(cause as Error).message}`, { cause });
      }
      const regressors = outputs['regressors']!.data as Float32Array;
      const classificators = outputs['classificators']!.data as Float32Array;
      const raw = decodeDetections(regressors, classificators, SHORT_RANGE_ANCHORS, decodeOptions);
      return weightedNonMaxSuppression(raw, MIN_SUPPRESSION_THRESHOLD)
        .map((d) => toFace(d, transform))
        .sort((a, b) => b.score - a.score);
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await session.release();
    },
  };
}
