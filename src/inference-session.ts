import type { InferenceSession, Tensor } from 'onnxruntime-common';

/**
 * The parts of an onnxruntime InferenceSession the pipeline uses. onnxruntime-node's and onnxruntime-web's sessions
 * both satisfy it (both implement onnxruntime-common's interface), so detect/ and classify/ never import a runtime.
 */
export type InferenceSessionLike = Pick<InferenceSession, 'inputNames' | 'outputNames' | 'run' | 'release'> &
  Partial<Pick<InferenceSession, 'inputMetadata'>>;

/** The Tensor class of the runtime that created the session (each runtime checks that tensors are its own). */
export type TensorConstructor = typeof Tensor;

export type SessionOutputs = InferenceSession.OnnxValueMapType;
