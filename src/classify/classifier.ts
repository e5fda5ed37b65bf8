import { AntispoofError } from '../errors.js';
import type { InferenceSessionLike, TensorConstructor } from '../inference-session.js';
import type { RgbImage } from '../types.js';
import type { ClassifierCard, ModelCard } from './card.js';
import { cropsToTensorData, liveProbability } from './tensor.js';

export interface Classifier {
  /** A single network's card, or an ensemble's (then `members` holds a classifier per member card). */
  readonly card: ClassifierCard;
  /** The .onnx it runs; for an ensemble, its card (an ensemble has no model file of its own). */
  readonly modelFile: string;
  /** An ensemble's member classifiers, in card order (scoreFaces crops and fuses); absent for one network. */
  readonly members?: readonly Classifier[];
  /**
   * P(live) per crop, all crops in one run when the model takes batches (else one run each). Crops must be
   * card.input.size square (INVALID_INPUT otherwise); a runtime failure, or a call after close(), is INFERENCE_FAILED.
   */
  classify(crops: readonly RgbImage[]): Promise<number[]>;
  /** Releases the session; later calls do nothing. */
  close(): Promise<void>;
}

/**
 * The classifier around an already created session and its validated card: pack crops as the card says, run,
 * softmax, read P(live). Needs no file system and no particular runtime, so the browser demo runs this very code
 * over onnxruntime-web. `modelFile` and `cardFile` name the two in errors (paths, or URLs in the browser).
 * Throws MODEL_CARD_INVALID, without releasing the session, when the card does not match the model.
 */
export function classifierFromSession(
  session: InferenceSessionLike,
  Tensor: TensorConstructor,
  card: ModelCard,
  names: { modelFile: string; cardFile: string },
): Classifier {
  const { modelFile, cardFile } = names;
  if (!session.inputNames.includes(card.input.name) || !session.outputNames.includes(card.output.name)) {
    throw new AntispoofError(
      'MODEL_CARD_INVALID',
      `model card ${cardFile} does not match ${modelFile}: card names input "${card.input.name}" / output ` +
        `"${card.output.name}", model has inputs [${session.inputNames.join(', ')}] / outputs [${session.outputNames.join(', ')}]`,
    );
  }
  const liveIndex = card.output.labels.indexOf('live');
  checkLiveIndex(session, card, liveIndex, names);
  const { size, layout } = card.input;
  const shape = (n: number) => (layout === 'NCHW' ? [n, 3, size, size] : [n, size, size, 3]);
  const batchable = acceptsBatches(session, card.input.name);
  let closed = false;

  async function runBatch(batch: readonly RgbImage[]): Promise<number[]> {
    const data = cropsToTensorData(batch, card.input); // INVALID_INPUT for a crop of the wrong size
    let values: Float32Array;
    try {
      const result = await session.run({ [card.input.name]: new Tensor('float32', data, shape(batch.length)) });
      values = result[card.output.name]!.data as Float32Array;
    } catch (cause) {
      throw new AntispoofError(
        'INFERENCE_FAILED',
        `classifier ${modelFile} failed on ${batch.length} crop(s): ${(cause as Error)?.message ?? String(cause)}`,
        { cause },
      );
    }
    const classes = card.output.labels.length;
    if (values.length !== batch.length * classes)
      throw new AntispoofError(
        'MODEL_CARD_INVALID',
        `model ${modelFile} returned ${values.length} values for ${batch.length} crops; card ${cardFile} lists ` +
          `${classes} labels ("output.labels", live at index ${liveIndex})`,
      );
    return batch.map((_, i) => liveProbability(values.subarray(i * classes, (i + 1) * classes), liveIndex));
  }

  return {
    card,
    modelFile,
    async classify(crops) {
      if (closed) throw new AntispoofError('INFERENCE_FAILED', `classifier ${modelFile} is closed`);
      if (crops.length === 0) return [];
      if (batchable) return runBatch(crops);
      const scores: number[] = [];
      for (const crop of crops) scores.push(...(await runBatch([crop])));
      return scores;
    },
    async close() {
      if (closed) return;
      closed = true;
      await session.release();
    },
  };
}

/**
 * The model's output must have a logit for every label, so that the live index points at one: checked against the
 * ONNX output's class dimension when the model declares it (a run checks the count again in any case).
 */
function checkLiveIndex(
  session: InferenceSessionLike,
  card: ModelCard,
  liveIndex: number,
  names: { modelFile: string; cardFile: string },
): void {
  const metadata = (session as { outputMetadata?: readonly unknown[] }).outputMetadata;
  const output = metadata?.find((m) => (m as { name?: unknown }).name === card.output.name) as
    { isTensor?: boolean; shape?: readonly unknown[] } | undefined;
  const classes = output?.isTensor ? output.shape?.at(-1) : undefined;
  if (typeof classes === 'number' && classes !== card.output.labels.length)
    throw new AntispoofError(
      'MODEL_CARD_INVALID',
      `model card ${names.cardFile}: "output.labels" lists ${card.output.labels.length} labels (live at index ` +
        `${liveIndex}), but ${names.modelFile} outputs ${classes} logits per face` +
        (liveIndex >= classes ? ': the live index is out of range' : ''),
    );
}

/**
 * Whether one run may carry several crops: the model input's batch dimension is symbolic ("batch") or unknown. A model
 * exported with a fixed batch of 1 gets one run per crop. Decided once from the model's own metadata, so a failing
 * run is reported as INFERENCE_FAILED instead of silently switching batching off for the session's lifetime.
 */
export function acceptsBatches(session: InferenceSessionLike, inputName: string): boolean {
  const input = session.inputMetadata?.find((metadata) => metadata.name === inputName);
  if (!input?.isTensor || input.shape.length === 0) return true;
  const batch = input.shape[0];
  return !(typeof batch === 'number' && batch >= 1);
}
