import { CROP_MODES, type CropMode } from '../crop/geometry.js';
import { AntispoofError } from '../errors.js';
import { isEnsembleCard, validateEnsembleCard, type EnsembleCard } from './ensemble.js';

/**
 * The model card: everything that describes how a classifier model must be fed and read, stored as JSON
 * next to the .onnx (same name, .json). Written by training/export.py; read here. Nothing in this file is a
 * default for a real model: a card that lacks a field is rejected.
 */
/** What every card has, a single network's or an ensemble's: its name, its thresholds and where it came from. */
export interface CardCommon {
  name: string;
  version: string;
  threshold: {
    /** Verdict is live when P(live) >= live. */
    live: number;
    /** How the threshold was chosen and the error rates it was measured at. */
    measured?: Record<string, unknown>;
    /**
     * Threshold for the fused score of a frame sequence (LivenessSession). Fusion narrows the score distribution,
     * so the single-frame threshold lands at another operating point on sequences; absent, streams use `live`.
     */
    stream?: StreamThreshold;
  };
  training?: Record<string, unknown>;
  license?: string;
  [extra: string]: unknown;
}

export interface ModelCard extends CardCommon {
  /** ONNX file name, relative to the card. */
  file: string;
  input: {
    name: string;
    /** Square input side in pixels. */
    size: number;
    layout: 'NCHW' | 'NHWC';
    channelOrder: 'RGB' | 'BGR';
    /** value = (pixel * scale - mean[c]) / std[c] */
    scale: number;
    mean: [number, number, number];
    std: [number, number, number];
  };
  output: {
    name: string;
    /**
     * Class order of the logits: one label per logit, 'live' exactly once (its index is the live index; the others
     * are attack classes). P(live) is the softmax over all of them, read at the live index.
     */
    labels: string[];
  };
  crop: {
    /** Square side = scale x the longer side of the face box (mode `shift`: the box scaled by it in each axis). */
    scale: number;
    /** How the window is placed: `reflect` (absent: the default) or `shift` (Silent-Face's); see CropMode. */
    mode?: CropMode;
    /**
     * Test-time views: the face is also cropped at scale x each factor (about the box's centre) and P(live) is the
     * mean over the views, so a box drawn a little larger or smaller moves the score less. Absent: one view, [1].
     */
    views?: number[];
  };
}

export interface StreamThreshold {
  /** A sequence is live when its fused P(live) >= live. */
  live: number;
  /** How it was chosen (rule, sources, sequence length) and the rates it was measured at. */
  measured?: Record<string, unknown>;
}

function fail(cardFile: string, what: string): never {
  throw new AntispoofError('MODEL_CARD_INVALID', `model card ${cardFile}: ${what}`);
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isTriple(value: unknown): value is [number, number, number] {
  return Array.isArray(value) && value.length === 3 && value.every(isFiniteNumber);
}

/** Either card shape a classifier is built from: one network, or an ensemble of member cards. */
export type ClassifierCard = ModelCard | EnsembleCard;

/** Checks a parsed card of either shape (an ensemble has an "ensemble" field), naming the first bad field. */
export function validateCard(raw: unknown, cardFile: string): ClassifierCard {
  if (isEnsembleCard(raw))
    return validateEnsembleCard(raw as unknown as Record<string, unknown>, cardFile, (threshold) =>
      validateThreshold(threshold, cardFile),
    );
  return validateModelCard(raw, cardFile);
}

/** The single-network card of a classifier; MODEL_CARD_INVALID naming `what` for an ensemble. */
export function singleCard(card: ClassifierCard, what: string): ModelCard {
  if (isEnsembleCard(card))
    throw new AntispoofError(
      'MODEL_CARD_INVALID',
      `${what} needs a single-network card; ${card.name} is an ensemble (its members each have their own)`,
    );
  return card;
}

/** Checks a parsed single-network card field by field, naming the first bad field. */
export function validateModelCard(raw: unknown, cardFile: string): ModelCard {
  if (typeof raw !== 'object' || raw === null) fail(cardFile, 'is not a JSON object');
  if (isEnsembleCard(raw))
    fail(cardFile, 'is an ensemble card ("ensemble"); load it as a classifier (createClassifier, --model)');
  const card = raw as Partial<ModelCard>;
  if (typeof card.name !== 'string') fail(cardFile, '"name" must be a string');
  if (typeof card.file !== 'string') fail(cardFile, '"file" must be a string');
  const input = card.input;
  if (!input || typeof input !== 'object') fail(cardFile, '"input" is missing');
  if (typeof input.name !== 'string') fail(cardFile, '"input.name" must be a string');
  if (!Number.isInteger(input.size) || input.size < 8 || input.size > 1024)
    fail(cardFile, '"input.size" must be an integer in [8, 1024]');
  if (input.layout !== 'NCHW' && input.layout !== 'NHWC') fail(cardFile, '"input.layout" must be NCHW or NHWC');
  if (input.channelOrder !== 'RGB' && input.channelOrder !== 'BGR')
    fail(cardFile, '"input.channelOrder" must be RGB or BGR');
  if (!isFiniteNumber(input.scale)) fail(cardFile, '"input.scale" must be a number');
  if (!isTriple(input.mean)) fail(cardFile, '"input.mean" must be 3 numbers');
  if (!isTriple(input.std) || input.std.some((s) => s === 0)) fail(cardFile, '"input.std" must be 3 non-zero numbers');
  const output = card.output;
  if (!output || typeof output.name !== 'string') fail(cardFile, '"output.name" must be a string');
  if (
    !Array.isArray(output.labels) ||
    output.labels.length < 2 ||
    output.labels.some((label) => typeof label !== 'string') ||
    output.labels.filter((label) => label === 'live').length !== 1
  )
    fail(cardFile, '"output.labels" must list one label per logit (at least 2), "live" exactly once');
  if (!card.crop || !isFiniteNumber(card.crop.scale) || card.crop.scale < 1 || card.crop.scale > 4)
    fail(cardFile, '"crop.scale" must be a number in [1, 4]');
  if (card.crop.mode !== undefined && !CROP_MODES.includes(card.crop.mode))
    fail(
      cardFile,
      `"crop.mode" must be one of ${CROP_MODES.join(', ')} (or be left out: reflect), got ${JSON.stringify(card.crop.mode)}`,
    );
  if (card.crop.views !== undefined) validateViews(card.crop.views, card.crop.scale, cardFile);
  validateThreshold(card.threshold, cardFile);
  return { version: '0', ...card } as ModelCard;
}

function validateThreshold(threshold: unknown, cardFile: string): void {
  const t = threshold as Partial<ModelCard['threshold']> | undefined;
  if (!t || !isFiniteNumber(t.live) || t.live < 0 || t.live > 1)
    fail(cardFile, '"threshold.live" must be a number in [0, 1]');
  if (t.stream !== undefined) validateStreamThreshold(t.stream, cardFile);
}

const MAX_VIEWS = 8;

function validateViews(views: unknown, scale: number, cardFile: string): void {
  if (!Array.isArray(views) || views.length < 1 || views.length > MAX_VIEWS)
    fail(cardFile, `"crop.views" must be an array of 1 to ${MAX_VIEWS} scale factors (or be left out: one view)`);
  for (const factor of views)
    if (!isFiniteNumber(factor) || factor * scale < 1 || factor * scale > 4 || factor < 0.5 || factor > 2)
      fail(cardFile, `"crop.views" factors must be numbers in [0.5, 2] with crop.scale x factor in [1, 4]`);
}

/** The crop scale of each view the card asks for (one, crop.scale, without views). */
export function viewScales(card: ModelCard): number[] {
  return (card.crop.views ?? [1]).map((factor) => card.crop.scale * factor);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function validateStreamThreshold(stream: unknown, cardFile: string): void {
  if (!isPlainObject(stream))
    fail(
      cardFile,
      '"threshold.stream" must be an object { live, measured } (or be left out: streams then use "threshold.live")',
    );
  if (!isFiniteNumber(stream.live) || stream.live < 0 || stream.live > 1)
    fail(cardFile, '"threshold.stream.live" must be a number in [0, 1]');
  if (stream.measured !== undefined && !isPlainObject(stream.measured))
    fail(cardFile, '"threshold.stream.measured" must be an object');
}

/**
 * The threshold a stream's fused score is compared with: an explicit `streamThreshold`, else an explicit
 * `threshold` (a user's one number then governs frames and streams alike), else the card's `threshold.stream.live`,
 * else its single-frame `threshold.live`.
 */
export function streamThresholdFor(
  card: ClassifierCard,
  options: { threshold?: number; streamThreshold?: number } = {},
): number {
  const threshold = options.streamThreshold ?? options.threshold ?? card.threshold.stream?.live ?? card.threshold.live;
  if (!(threshold >= 0 && threshold <= 1))
    throw new AntispoofError('INVALID_INPUT', `stream threshold must be in [0, 1], got ${String(threshold)}`);
  return threshold;
}

/** The card of a model lives next to it: models/x.onnx -> models/x.json; an INT8 file shares its FP32 card name. */
export function cardPathFor(modelFile: string): string {
  return modelFile.replace(/\.onnx$/i, '') + '.json';
}
