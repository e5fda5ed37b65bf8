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
  if (!session.inputNames.includes(card.input.name) || !session.outputNames.includes(card.output.name)) {
    await session.release();
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
      [card.input.name]: new ort.Tensor('float32', cropsToTensorData(batch, card.input), shape(batch.length)),
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
