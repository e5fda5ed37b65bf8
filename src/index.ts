// The Node entry, `antispoof`: the checker over files and Buffers (sharp) and onnxruntime-node, and every
// runtime-free stage (detect, crop, classify, decide) it is built from. `antispoof/web` is the browser's;
// `antispoof/evaluate` and `antispoof/data` hold the evaluation and dataset tools the CLI is a shell over.
export * from './core.js';
export {
  createLivenessChecker,
  type AbortableCheckOptions,
  type LivenessChecker,
  type LivenessCheckerOptions,
  type WorkerPoolState,
} from './check.js';
export { decodeImage, DEFAULT_MAX_PIXELS, type ImageInput, type RawPixels } from './image/decode.js';
export {
  createClassifier,
  createFaceDetector,
  type ClassifierOptions,
  type FaceDetectorOptions,
} from './runtime/node-loaders.js';
export {
  DEFAULT_DETECTOR_MODEL,
  defaultModelFile,
  packageModelsDir,
  readModelCard,
  resolveModel,
  type ResolvedModel,
} from './runtime/node-model-files.js';
export { loadSession, type SessionOptions } from './runtime/node-session.js';
export { presetCardFile, resolveClassifier, type ResolvedClassifier } from './runtime/node-cards.js';
