// The browser entry, `antispoof/web`: the checker over video frames, canvases and ImageData, with onnxruntime-web.
// Nothing here imports Node: the same detect -> crop -> classify -> decide code as `antispoof`, other I/O.
export {
  createLivenessChecker,
  livenessCheckerFromParts,
  type WebLivenessChecker,
  type WebLivenessCheckerOptions,
} from './web-check.js';
export type { CheckOptions, CheckResult, FaceResult, PipelineOptions, StageTimings } from './pipeline.js';
export { FrameReader, rgbaToRgb, type FrameInput } from './image/frame.js';
export {
  configureRuntime,
  createWebSession,
  ort,
  type WebRuntimeInfo,
  type WebRuntimeOptions,
} from './runtime/web-session.js';
export {
  DEFAULT_CARD_FILES,
  DETECTOR_FILE,
  fetchModelCard,
  findDefaultCard,
  loadClassifier,
  loadDetector,
} from './runtime/web-models.js';
export { faceDetectorFromSession, type FaceDetector } from './detect/index.js';
export { cropFace, type CropOptions } from './crop/index.js';
export {
  classifierFromSession,
  validateModelCard,
  streamThresholdFor,
  type Classifier,
  type ModelCard,
  type StreamThreshold,
} from './classify/index.js';
export {
  DEFAULT_QUALITY_LIMITS,
  type QualityLimits,
  type QualityMeasures,
  type RetryReason,
  type Verdict,
} from './decide/index.js';
export { AntispoofError, isAntispoofError, type AntispoofErrorCode } from './errors.js';
export type { InferenceSessionLike, TensorConstructor } from './runtime/inference-session.js';
export type { Box, Point, RgbImage, DetectedFace } from './types.js';
export {
  LivenessSession,
  checkStream,
  type FrameChecker,
  type StreamOptions,
  type StreamUpdate,
  type TrackedFace,
} from './stream.js';
