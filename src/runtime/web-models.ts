import { cardPathFor, singleCard, validateCard, validateModelCard, type ModelCard } from '../classify/card.js';
import { classifierFromSession, type Classifier } from '../classify/classifier.js';
import { checkNoCycle, ensembleFromMembers, isEnsembleCard } from '../classify/ensemble.js';
import { faceDetectorFromSession, type FaceDetector } from '../detect/detector.js';
import { AntispoofError } from '../errors.js';
import { createWebSession, ort } from './web-session.js';

/** The bundled BlazeFace short-range detector, relative to the models folder, as the Node side uses it. */
export const DETECTOR_FILE = 'face_detection_short_range.onnx';

/**
 * Shipped classifier cards in order of preference. Unlike Node (INT8 first: 1.07 vs 1.46 ms), the browser prefers
 * FP32: under onnxruntime-web's wasm backend the QDQ INT8 model measured slower (bench/wasm.ts: 6.4 vs 5.6 ms).
 */
export const DEFAULT_CARD_FILES = ['antispoof-v2.json', 'antispoof-v2.int8.json'];

/** Fetch + the same card validation as the Node loader (readModelCard). */
export async function fetchModelCard(url: URL): Promise<ModelCard> {
  return validateModelCard(await fetchCardJson(url), url.href);
}

async function fetchCardJson(url: URL): Promise<unknown> {
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
  return raw;
}

/** The first default card the models folder has; null when no classifier is installed there. */
export async function findDefaultCard(modelsUrl: string | URL): Promise<URL | null> {
  for (const file of DEFAULT_CARD_FILES) {
    const url = new URL(file, modelsUrl);
    const response = await fetch(url, { method: 'HEAD' }).catch(() => null);
    if (response?.ok) return url;
  }
  return null;
}

export async function loadDetector(url: URL, options: { minScore?: number } = {}): Promise<FaceDetector> {
  const session = await createWebSession(url);
  try {
    return faceDetectorFromSession(session, ort.Tensor, { modelName: url.href, minScore: options.minScore });
  } catch (error) {
    await session.release();
    throw error;
  }
}

/**
 * The classifier a card names: its "file" is resolved relative to the card, as on the Node side. An ensemble card's
 * members (cards, or .onnx files with their card next to them) are resolved relative to it and loaded in turn.
 */
export async function loadClassifier(cardUrl: URL, chain: readonly string[] = []): Promise<Classifier> {
  const raw = await fetchCardJson(cardUrl);
  const card = validateCard(raw, cardUrl.href);
  if (isEnsembleCard(card)) {
    const inner = [...chain, cardUrl.href];
    const loaded: Classifier[] = [];
    try {
      for (const [i, member] of card.ensemble.members.entries()) {
        const field = `ensemble.members[${i}]`;
        const url = new URL(member, cardUrl);
        const memberCard = /\.onnx$/i.test(url.pathname) ? new URL(cardPathFor(url.href)) : url;
        checkNoCycle(inner, memberCard.href, cardUrl.href, field);
        loaded.push(
          await loadClassifier(memberCard, inner).catch((error: unknown) => {
            if (!(error instanceof AntispoofError) || error.code !== 'MODEL_NOT_FOUND') throw error;
            throw new AntispoofError(
              'MODEL_NOT_FOUND',
              `model card ${cardUrl.href}: "${field}" names ${url.href}, which cannot be loaded (${error.message})`,
              { cause: error },
            );
          }),
        );
      }
      return ensembleFromMembers(card, loaded, cardUrl.href);
    } catch (error) {
      await Promise.all(loaded.map((member) => member.close()));
      throw error;
    }
  }
  return loadSingle(cardUrl, singleCard(card, cardUrl.href));
}

async function loadSingle(cardUrl: URL, card: ModelCard): Promise<Classifier> {
  const modelUrl = new URL(card.file, cardUrl);
  const session = await createWebSession(modelUrl);
  try {
    return classifierFromSession(session, ort.Tensor, card, { modelFile: modelUrl.href, cardFile: cardUrl.href });
  } catch (error) {
    await session.release();
    throw error;
  }
}
