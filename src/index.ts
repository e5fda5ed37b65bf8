// The Node entry, `antispoof`: the checker over files and Buffers (sharp) and onnxruntime-node, and every
// runtime-free stage (detect, crop, classify, decide) it is built from. `antispoof/web` is the browser's;
// `antispoof/evaluate` and `antispoof/data` hold the evaluation and dataset tools the CLI is a shell over.
export {
  createLivenessChecker,
  type LivenessChecker,
  type LivenessCheckerOptions,
  type AbortableCheckOptions,
  type CheckOptions,
  type CheckResult,
  type FaceResult,
} from './check.js';
export { createFacePipeline, type FacePipeline, type PipelineOptions, type StageTimings } from './pipeline.js';
export { decodeImage, DEFAULT_MAX_PIXELS, type ImageInput, type RawPixels } from './image/decode.js';
export { faceDetectorFromSession, type FaceDetector, type FaceDetectorFromSessionOptions } from './detect/index.js';
export { cropFace, type CropOptions } from './crop/index.js';
export {
  acceptsBatches,
  classifierFromSession,
  validateModelCard,
  streamThresholdFor,
  cardPathFor,
  type Classifier,
  type ModelCard,
  type StreamThreshold,
} from './classify/index.js';
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
export type { InferenceSessionLike, TensorConstructor } from './runtime/inference-session.js';
export {
  DEFAULT_FUSION,
  DEFAULT_QUALITY_LIMITS,
  measureQuality,
  retryReasons,
  type FusionOptions,
  type QualityLimits,
  type QualityMeasures,
  type RetryReason,
  type Verdict,
} from './decide/index.js';
export { AntispoofError, isAntispoofError, type AntispoofErrorCode } from './errors.js';
export { parseBox, reportFromError, reportFromResult, type FaceReport, type FileReport } from './report.js';
export type { Box, Point, RgbImage, DetectedFace } from './types.js';
export {
  LivenessSession,
  checkStream,
  type FrameChecker,
  type StreamOptions,
  type StreamUpdate,
  type TrackedFace,
} from './stream.js';
