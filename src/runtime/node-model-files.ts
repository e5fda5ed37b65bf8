import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cardPathFor, validateModelCard, type ModelCard } from '../classify/card.js';
import { AntispoofError } from '../errors.js';

/** models/ at the package root, from src/runtime (tsc output lives one level deeper, in dist/src/runtime). */
export function packageModelsDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [resolve(here, '../../models'), resolve(here, '../../../models')])
    if (existsSync(candidate)) return candidate;
  return resolve(here, '../../models');
}

/** Shipped classifiers in order of preference: the INT8 model is the default, FP32 the fallback. */
export const SHIPPED_MODEL_NAMES = ['antispoof-v2.int8.onnx', 'antispoof-v2.onnx'];

export function defaultModelFile(): string {
  const dir = packageModelsDir();
  for (const name of SHIPPED_MODEL_NAMES) {
    const file = resolve(dir, name);
    if (existsSync(file)) return file;
  }
  throw new AntispoofError(
    'MODEL_NOT_FOUND',
    `no anti-spoofing model is installed (looked for ${SHIPPED_MODEL_NAMES.join(', ')} in ${dir}); ` +
      `pass one with --model <file.onnx> (its card <file>.json must sit next to it)`,
  );
}

/** The bundled BlazeFace short-range detector (MediaPipe, converted to ONNX). */
export const DEFAULT_DETECTOR_MODEL: string = resolve(packageModelsDir(), 'face_detection_short_range.onnx');

export async function readModelCard(cardFile: string): Promise<ModelCard> {
  return validateModelCard(await readCardJson(cardFile), cardFile);
}

/**
 * A card file's parsed JSON, not yet validated. An unreadable file is `unreadable` (MODEL_CARD_INVALID beside a model
 * that names it; MODEL_NOT_FOUND where the card itself was asked for), bad JSON always MODEL_CARD_INVALID.
 */
export async function readCardJson(
  cardFile: string,
  unreadable: 'MODEL_CARD_INVALID' | 'MODEL_NOT_FOUND' = 'MODEL_CARD_INVALID',
): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(cardFile, 'utf8');
  } catch (cause) {
    throw new AntispoofError(unreadable, `cannot read model card ${cardFile}: ${(cause as Error).message}`, { cause });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new AntispoofError('MODEL_CARD_INVALID', `model card ${cardFile} is not valid JSON`, { cause });
  }
}

export interface ResolvedModel {
  modelFile: string;
  cardFile: string;
  card: ModelCard;
}

/**
 * A model is named by its .onnx (card next to it: x.onnx -> x.json, x.int8.onnx -> x.int8.json or x.json) or by
 * its card .json (whose "file" is resolved relative to the card) — the latter lets a card describe a model kept
 * elsewhere, as bench/baselines/ does for the upstream reference.
 */
export async function resolveModel(modelOrCard?: string): Promise<ResolvedModel> {
  const given = modelOrCard ?? defaultModelFile();
  if (given.toLowerCase().endsWith('.json')) {
    const card = await readModelCard(given);
    const modelFile = isAbsolute(card.file) ? card.file : resolve(dirname(given), card.file);
    return { modelFile, cardFile: given, card };
  }
  const candidates = [cardPathFor(given), cardPathFor(given.replace(/\.int8\.onnx$/i, '.onnx'))];
  const cardFile = candidates.find((c) => existsSync(c));
  if (!existsSync(given)) throw new AntispoofError('MODEL_NOT_FOUND', `model file ${given} does not exist`);
  if (!cardFile)
    throw new AntispoofError(
      'MODEL_CARD_INVALID',
      `model ${given} has no model card (expected ${candidates[0]}); the card says how to feed and read the model`,
    );
  return { modelFile: given, cardFile, card: await readModelCard(cardFile) };
}
