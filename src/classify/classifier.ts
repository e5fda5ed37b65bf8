import type { InferenceSessionLike, TensorConstructor } from '../detect/detector.js';
import { AntispoofError } from '../errors.js';
import { loadSession, ort } from '../runtime/session.js';
import type { RgbImage } from '../types.js';
import type { ModelCard } from './card.js';
import { resolveModel } from './model-files.js';
import { cropsToTensorData, liveProbability } from './tensor.js';

export interface Classifier {
  readonly card: ModelCard;
  readonly modelFile: string;
  /** P(live) per crop, all crops in one batch. Crops must be card.input.size square. */
  classify(crops: readonly RgbImage[]): Promise<number[]>;
  close(): Promise<void>;
}

export interface ClassifierOptions {
  /** An .onnx with its card next to it, or a card .json; default: the shipped model. */
  model?: string;
  threads?: number;
}

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
  const { size, layout } = card.input;
  const shape = (n: number) => (layout === 'NCHW' ? [n, 3, size, size] : [n, size, size, 3]);
  let batchable = true;

  async function runBatch(batch: readonly RgbImage[]): Promise<number[]> {
    const feeds = {
      [card.input.name]: new Tensor('float32', cropsToTensorData(batch, card.input), shape(batch.length)),
    };
    const result = await session.run(feeds);
    const logits = result[card.output.name]!;
    const classes = card.output.labels.length;
    const values = logits.data as Float32Array;
    if (values.length !== batch.length * classes)
      throw new AntispoofError(
        'MODEL_CARD_INVALID',
        `model ${modelFile} returned ${values.length} values for ${batch.length} crops; card ${cardFile} lists ${classes} labels`,
      );
    return batch.map((_, i) => liveProbability(values.subarray(i * classes, (i + 1) * classes), liveIndex));
  }

  return {
    card,
    modelFile,
    async classify(crops) {
      if (crops.length === 0) return [];
      if (batchable || crops.length === 1) {
        try {
          return await runBatch(crops);
        } catch (error) {
          if (crops.length === 1 || error instanceof AntispoofError) throw error;
          batchable = false; // a model exported with a fixed batch of 1: fall back to one run per face
        }
      }
      const scores: number[] = [];
      for (const crop of crops) scores.push(...(await runBatch([crop])));
      return scores;
    },
    async close() {
      await session.release();
    },
  };
}
