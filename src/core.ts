// The runtime-independent stages both public entries (`antispoof`, `antispoof/web`) export: detect -> crop ->
// classify -> decide over an inference session, the stream session, errors and report shapes. Nothing here imports
// Node or a runtime.
export {
  createFacePipeline,
  type CheckOptions,
  type CheckResult,
  type FaceResult,
  type FacePipeline,
  type PipelineOptions,
  type StageTimings,
} from './pipeline.js';
export { faceDetectorFromSession, type FaceDetector, type FaceDetectorFromSessionOptions } from './detect/index.js';
export { CROP_MODES, cropFace, type CropMode, type CropOptions } from './crop/index.js';
export {
  acceptsBatches,
  classifierFromSession,
  ensembleFromMembers,
  isEnsembleCard,
  memberWeights,
  PRESET_CARD_FILES,
  validateCard,
  validateModelCard,
  singleCard,
  streamThresholdFor,
  cardPathFor,
  scoreFaces,
  scoreFacesWithMembers,
  viewScales,
  type Classifier,
  type ClassifierCard,
  type EnsembleCard,
  type FaceScores,
  type ModelCard,
  type StreamThreshold,
} from './classify/index.js';
export type { InferenceSessionLike, TensorConstructor } from './inference-session.js';
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
