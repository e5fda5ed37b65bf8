import { validateModelCard, type ModelCard } from '../../src/classify/card.js';
import { classifierFromSession, type Classifier } from '../../src/classify/classifier.js';
import { faceDetectorFromSession, type FaceDetector } from '../../src/detect/detector.js';
import { AntispoofError } from '../../src/errors.js';
import { createWebSession, ort } from './runtime.js';

/** The bundled BlazeFace short-range detector, as the Node side uses it. */
export const DETECTOR_PATH = 'models/face_detection_short_range.onnx';

/**
 * Shipped classifier cards in order of preference. Unlike Node (INT8 first: 1.07 vs 1.46 ms), the browser prefers
 * FP32: under onnxruntime-web's wasm backend the QDQ INT8 model measured slower (bench/wasm.ts: 6.4 vs 5.6 ms).
 */
export const DEFAULT_CARD_PATHS = ['models/antispoof-v1.json', 'models/antispoof-v1.int8.json'];

/** Fetch + the same card validation as the Node loader (readModelCard). */
export async function fetchModelCard(url: URL): Promise<ModelCard> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (cause) {
    throw new AntispoofError('MODEL_CARD_INVALID', `cannot fetch model card ${url.href}: ${(cause as Error).message}`, {
      cause,
    });
  }
  if (!response.ok)
    throw new AntispoofError('MODEL_NOT_FOUND', `cannot fetch model card ${url.href}: HTTP ${response.status}`);
  let raw: unknown;
  try {
    raw = JSON.parse(await response.text());
  } catch (cause) {
    throw new AntispoofError('MODEL_CARD_INVALID', `model card ${url.href} is not valid JSON`, { cause });
  }
  return validateModelCard(raw, url.href);
}

/** The first default card the server has; null when no classifier is installed. */
export async function findDefaultCard(base: string): Promise<URL | null> {
  for (const path of DEFAULT_CARD_PATHS) {
    const url = new URL(path, base);
    const response = await fetch(url, { method: 'HEAD' }).catch(() => null);
    if (response?.ok) return url;
  }
  return null;
}

export async function loadDetector(url: URL): Promise<FaceDetector> {
  const session = await createWebSession(url);
  try {
    return faceDetectorFromSession(session, ort.Tensor, { modelName: url.href });
  } catch (error) {
    await session.release();
    throw error;
  }
}

/** The classifier a card names: its "file" is resolved relative to the card, as on the Node side. */
export async function loadClassifier(cardUrl: URL): Promise<Classifier> {
  const card = await fetchModelCard(cardUrl);
  const modelUrl = new URL(card.file, cardUrl);
  const session = await createWebSession(modelUrl);
  try {
    return classifierFromSession(session, ort.Tensor, card, { modelFile: modelUrl.href, cardFile: cardUrl.href });
  } catch (error) {
    await session.release();
    throw error;
  }
}
