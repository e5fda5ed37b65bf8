import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { validateCard, type ClassifierCard } from '../classify/card.js';
import { checkNoCycle, isEnsembleCard, PRESET_CARD_FILES, type EnsembleCard } from '../classify/ensemble.js';
import { AntispoofError } from '../errors.js';
import { packageModelsDir, readCardJson, resolveModel } from './node-model-files.js';

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

/**
 * resolveModel, knowing presets and ensemble cards: an ensemble's members are named relative to its card and resolved
 * in turn (an ensemble may hold ensembles), failing with the field named on a missing member or a cycle. Every member
 * card is validated before any model is loaded.
 */
export async function resolveClassifier(model?: string, chain: readonly string[] = []): Promise<ResolvedClassifier> {
  const given = (model === undefined ? undefined : presetCardFile(model)) ?? model;
  if (given === undefined || !given.toLowerCase().endsWith('.json')) return resolveModel(given);
  const cardFile = resolve(given);
  const raw = await readCardJson(cardFile, 'MODEL_NOT_FOUND');
  if (!isEnsembleCard(raw)) return resolveModel(given);
  // validateCard checks an ensemble-shaped card as an ensemble.
  const card = validateCard(raw, given) as EnsembleCard;
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
