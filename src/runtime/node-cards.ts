import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { validateCard, type ClassifierCard } from '../classify/card.js';
import { checkNoCycle, isEnsembleCard, PRESET_CARD_FILES } from '../classify/ensemble.js';
import { AntispoofError } from '../errors.js';
import { packageModelsDir, resolveModel } from './node-model-files.js';

/** A resolved classifier: one network (its .onnx and card), or an ensemble card with its members resolved. */
export interface ResolvedClassifier {
  /** The .onnx; for an ensemble, its card (it has no model file of its own). */
  modelFile: string;
  cardFile: string;
  card: ClassifierCard;
  /** An ensemble's members, in card order. */
  members?: ResolvedClassifier[];
}

/** The card file of a preset name; undefined for anything else (a path). */
export function presetCardFile(name: string): string | undefined {
  if (!Object.hasOwn(PRESET_CARD_FILES, name)) return undefined;
  const file = resolve(packageModelsDir(), PRESET_CARD_FILES[name]!);
  if (!existsSync(file))
    throw new AntispoofError(
      'MODEL_NOT_FOUND',
      `the "${name}" preset is not installed: ${file} is missing (a preset ships only when it beats the default ` +
        `model on the test sources); name a card or model file instead`,
    );
  return file;
}

async function readCardJson(cardFile: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(cardFile, 'utf8');
  } catch (cause) {
    throw new AntispoofError('MODEL_NOT_FOUND', `cannot read model card ${cardFile}: ${(cause as Error).message}`, {
      cause,
    });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new AntispoofError('MODEL_CARD_INVALID', `model card ${cardFile} is not valid JSON`, { cause });
  }
}

/**
 * resolveModel, knowing presets and ensemble cards: an ensemble's members are named relative to its card and resolved
 * in turn (an ensemble may hold ensembles), failing with the field named on a missing member or a cycle. Every member
 * card is validated before any model is loaded.
 */
export async function resolveClassifier(model?: string, chain: readonly string[] = []): Promise<ResolvedClassifier> {
  const given = (model === undefined ? undefined : presetCardFile(model)) ?? model;
  if (given === undefined || !given.toLowerCase().endsWith('.json')) return resolveModel(given);
  const cardFile = resolve(given);
  const raw = await readCardJson(cardFile);
  if (!isEnsembleCard(raw)) return resolveModel(given);
  const card = validateCard(raw, given);
  if (!isEnsembleCard(card)) return resolveModel(given);
  const inner = [...chain, cardFile];
  const members: ResolvedClassifier[] = [];
  for (const [i, member] of card.ensemble.members.entries()) {
    const field = `ensemble.members[${i}]`;
    const file = resolve(dirname(cardFile), member);
    checkNoCycle(inner, file, given, field);
    if (!existsSync(file))
      throw new AntispoofError(
        'MODEL_NOT_FOUND',
        `model card ${given}: "${field}" names ${file}, which does not exist`,
      );
    members.push(await resolveClassifier(file, inner));
  }
  return { modelFile: cardFile, cardFile, card, members };
}
