import { AntispoofError } from '../errors.js';
import type { CardCommon } from './card.js';
import type { Classifier } from './classifier.js';

/**
 * An ensemble card: several classifiers, each named by its own card (or its .onnx, card next to it), fused into one
 * P(live). Each member crops and preprocesses the face as its own card says; the face is detected once. P(live) is the
 * mean of the members' P(live), or their weighted mean with `weights` (fitted on the selection part). The ensemble has
 * its own thresholds, fitted on its own fused scores: a member's threshold means nothing for the fused score.
 */
export interface EnsembleCard extends CardCommon {
  ensemble: {
    /** Member models: card .json or .onnx paths (URLs in the browser), relative to this card. */
    members: string[];
    /** One non-negative weight per member (normalised to sum 1); absent: the plain mean. */
    weights?: number[];
  };
}

/**
 * Named presets (`--model accurate`, `createLivenessChecker({ model: 'accurate' })` in Node and the browser): card files
 * in the package's models/ folder. A preset ships only when it is measured to beat the default model (README).
 */
export const PRESET_CARD_FILES: Readonly<Record<string, string>> = { accurate: 'antispoof-accurate.json' };

const MAX_MEMBERS = 8;

function fail(cardFile: string, what: string): never {
  throw new AntispoofError('MODEL_CARD_INVALID', `model card ${cardFile}: ${what}`);
}

/** Whether a parsed card describes an ensemble (it has an "ensemble" field) rather than one network. */
export function isEnsembleCard(card: unknown): card is EnsembleCard {
  return typeof card === 'object' && card !== null && 'ensemble' in card;
}

/**
 * Checks the ensemble's own fields, naming the first bad one; the members' cards are checked when they are loaded.
 * `validateThreshold` checks "threshold" exactly as for a single-network card.
 */
export function validateEnsembleCard(
  raw: Record<string, unknown>,
  cardFile: string,
  validateThreshold: (threshold: unknown) => void,
): EnsembleCard {
  if (typeof raw.name !== 'string') fail(cardFile, '"name" must be a string');
  for (const field of ['file', 'input', 'output', 'crop'])
    if (field in raw)
      fail(cardFile, `an ensemble card has no "${field}": each member's own card says how it is fed and read`);
  const ensemble = raw.ensemble as EnsembleCard['ensemble'] | null;
  if (typeof ensemble !== 'object' || ensemble === null || Array.isArray(ensemble))
    fail(cardFile, '"ensemble" must be an object { members, weights? }');
  const { members, weights } = ensemble;
  if (!Array.isArray(members) || members.length < 1 || members.length > MAX_MEMBERS)
    fail(cardFile, `"ensemble.members" must list 1 to ${MAX_MEMBERS} member cards (.json) or models (.onnx)`);
  members.forEach((member, i) => {
    if (typeof member !== 'string' || !/\.(json|onnx)$/i.test(member))
      fail(cardFile, `"ensemble.members[${i}]" must be a path to a card .json or a model .onnx`);
  });
  if (weights !== undefined) {
    if (
      !Array.isArray(weights) ||
      weights.length !== members.length ||
      !weights.every((w) => typeof w === 'number' && Number.isFinite(w) && w >= 0) ||
      !weights.some((w) => w > 0)
    )
      fail(
        cardFile,
        `"ensemble.weights" must be ${members.length} non-negative numbers, one per member, not all 0 ` +
          '(or be left out: the mean)',
      );
  }
  validateThreshold(raw.threshold);
  return { version: '0', ...raw } as EnsembleCard;
}

/** The weight of each member, summing to 1. */
export function memberWeights(card: EnsembleCard): number[] {
  const weights = card.ensemble.weights ?? card.ensemble.members.map(() => 1);
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => w / total);
}

/** Fused P(live) per face: the weighted mean over members of their P(live) (`perMember[m][face]`). */
export function fuseMemberScores(card: EnsembleCard, perMember: readonly (readonly number[])[]): number[] {
  const weights = memberWeights(card);
  const faces = perMember[0]?.length ?? 0;
  return Array.from({ length: faces }, (_, face) => {
    let sum = 0;
    perMember.forEach((scores, m) => (sum += weights[m]! * scores[face]!));
    return sum;
  });
}

/**
 * Follows member names from card to card, failing on a cycle with the path that closes it. `key` is the member's
 * canonical name (an absolute path, or a URL); `chain` the keys of the cards that led here, outermost first.
 */
export function checkNoCycle(chain: readonly string[], key: string, cardFile: string, field: string): void {
  if (chain.includes(key))
    fail(
      cardFile,
      `"${field}" names ${key}, which forms a cycle of members: ${[...chain.slice(chain.indexOf(key)), key].join(' -> ')}`,
    );
}

/**
 * The classifier of an ensemble card over its members, already loaded in card order. It scores faces, not crops:
 * scoreFaces crops each face once per member, as that member's card says, and fuses. close() releases every member.
 */
export function ensembleFromMembers(card: EnsembleCard, members: readonly Classifier[], cardFile: string): Classifier {
  if (members.length !== card.ensemble.members.length)
    throw new AntispoofError(
      'MODEL_CARD_INVALID',
      `model card ${cardFile}: "ensemble.members" lists ${card.ensemble.members.length}, ${members.length} loaded`,
    );
  let closing: Promise<void> | undefined;
  return {
    card,
    modelFile: cardFile,
    members,
    async classify() {
      throw new AntispoofError(
        'INVALID_INPUT',
        `${card.name} is an ensemble: each member crops the face its own way, so it scores faces (scoreFaces), ` +
          'not ready-made crops',
      );
    },
    close() {
      closing ??= Promise.all(members.map((member) => member.close())).then(() => undefined);
      return closing;
    },
  };
}
