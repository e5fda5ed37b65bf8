import { singleCard } from '../classify/card.js';
import { classifierFromSession, type Classifier } from '../classify/classifier.js';
import { ensembleFromMembers, type EnsembleCard } from '../classify/ensemble.js';
import { SHORT_RANGE_DECODE_OPTIONS } from '../detect/decode.js';
import { checkMinScore, faceDetectorFromSession, type FaceDetector } from '../detect/detector.js';
import { resolveClassifier, type ResolvedClassifier } from './node-cards.js';
import { DEFAULT_DETECTOR_MODEL } from './node-model-files.js';
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
  /**
   * An .onnx with its card next to it, a card .json (one network, or an ensemble of member cards), or a preset name
   * ('accurate'); default: the shipped model.
   */
  model?: string;
  threads?: number;
}

/** Loads a classifier and its model card from files into onnxruntime-node; an ensemble loads every member. */
export async function createClassifier(options: ClassifierOptions = {}): Promise<Classifier> {
  return classifierFromResolved(await resolveClassifier(options.model), options.threads ?? 1);
}

async function classifierFromResolved(resolved: ResolvedClassifier, threads: number): Promise<Classifier> {
  const { modelFile, cardFile, card, members } = resolved;
  if (members) {
    const loaded: Classifier[] = [];
    try {
      for (const member of members) loaded.push(await classifierFromResolved(member, threads));
      return ensembleFromMembers(card as EnsembleCard, loaded, cardFile);
    } catch (error) {
      await Promise.all(loaded.map((member) => member.close()));
      throw error;
    }
  }
  const session = await loadSession(modelFile, { threads });
  try {
    return classifierFromSession(session, ort.Tensor, singleCard(card, modelFile), { modelFile, cardFile });
  } catch (error) {
    await session.release();
    throw error;
  }
}
