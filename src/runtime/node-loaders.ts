import { classifierFromSession, type Classifier } from '../classify/classifier.js';
import { SHORT_RANGE_DECODE_OPTIONS } from '../detect/decode.js';
import { checkMinScore, faceDetectorFromSession, type FaceDetector } from '../detect/detector.js';
import { DEFAULT_DETECTOR_MODEL, resolveModel } from './node-model-files.js';
import { loadSession, ort } from './node-session.js';

export interface FaceDetectorOptions {
  /** ONNX file; defaults to DEFAULT_DETECTOR_MODEL. */
  modelFile?: string;
  /** Minimum detection score (after sigmoid), default 0.5 as in MediaPipe. */
  minScore?: number;
  /** Intra-op threads for onnxruntime, default 1. */
  threads?: number;
}

/** Loads the BlazeFace short-range detector from a file into onnxruntime-node. */
export async function createFaceDetector(options: FaceDetectorOptions = {}): Promise<FaceDetector> {
  const modelFile = options.modelFile ?? DEFAULT_DETECTOR_MODEL;
  const minScore = options.minScore ?? SHORT_RANGE_DECODE_OPTIONS.minScoreThresh;
  checkMinScore(minScore);
  const session = await loadSession(modelFile, { threads: options.threads ?? 1 });
  try {
    return faceDetectorFromSession(session, ort.Tensor, { minScore, modelName: modelFile });
  } catch (error) {
    await session.release();
    throw error;
  }
}

export interface ClassifierOptions {
  /** An .onnx with its card next to it, or a card .json; default: the shipped model. */
  model?: string;
  threads?: number;
}

/** Loads a classifier and its model card from files into onnxruntime-node. */
export async function createClassifier(options: ClassifierOptions = {}): Promise<Classifier> {
  const { modelFile, cardFile, card } = await resolveModel(options.model);
  const session = await loadSession(modelFile, { threads: options.threads ?? 1 });
  try {
    return classifierFromSession(session, ort.Tensor, card, { modelFile, cardFile });
  } catch (error) {
    await session.release();
    throw error;
  }
}
