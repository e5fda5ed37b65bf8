export {
  createLivenessChecker,
  type LivenessChecker,
  type LivenessCheckerOptions,
  type CheckOptions,
  type CheckResult,
  type FaceResult,
} from './check.js';
export { decodeImage, DEFAULT_MAX_PIXELS, type ImageInput, type RawPixels } from './image/decode.js';
export { createFaceDetector, type FaceDetector, type FaceDetectorOptions } from './detect/index.js';
export { cropFace, type CropOptions } from './crop/index.js';
export {
  createClassifier,
  readModelCard,
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
export { parseBox, reportFromError, reportFromResult, type FaceReport, type FileReport } from './report.js';
export {
  fitStreamThreshold,
  streamThresholdEntry,
  type FittedStreamThreshold,
  type HeldOutRates,
  type HeldOutValidation,
  type StreamThresholdMeasured,
  type StreamThresholdSetup,
} from './evaluate/stream-threshold.js';
export type { Box, Point, RgbImage, DetectedFace } from './types.js';
export { LivenessSession, checkStream, type StreamOptions, type StreamUpdate, type TrackedFace } from './stream.js';
