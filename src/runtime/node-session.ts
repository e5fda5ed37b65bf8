import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { AntispoofError } from '../errors.js';

export { ort };

export interface SessionOptions {
  /** Intra-op threads; 1 keeps latency predictable on small CPUs and leaves cores to other requests. */
  threads?: number;
}

/** Loads an ONNX model with onnxruntime-node, turning every failure into an error that names the file. */
export async function loadSession(modelFile: string, options: SessionOptions = {}): Promise<ort.InferenceSession> {
  let bytes: Buffer;
  try {
    bytes = await readFile(modelFile);
  } catch (cause) {
    throw new AntispoofError('MODEL_NOT_FOUND', `cannot read model file ${modelFile}: ${(cause as Error).message}`, {
      cause,
    });
  }
  try {
    return await ort.InferenceSession.create(bytes, {
      intraOpNumThreads: options.threads ?? 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
  } catch (cause) {
    throw new AntispoofError('MODEL_LOAD_FAILED', `cannot load ONNX model ${modelFile}: ${(cause as Error).message}`, {
      cause,
    });
  }
}
