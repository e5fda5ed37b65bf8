export type {
  ModelMetrics,
  BootstrapCi,
  ClusterKey,
  CurvePoint,
  DetPoint,
  Interval,
  OperatingPoint,
  PadMetrics,
  ScoredSample,
} from './types.js';
export { computeMetrics, thresholdForApcer, thresholdForBpcer, type ApcerTargetOptions } from './metrics.js';
export { detCurve, probit, rocCurve } from './curves.js';
export { metricsByGroup, type GroupKey } from './groups.js';
export { bootstrapCi, mulberry32, type BootstrapOptions } from './bootstrap.js';
export { renderReport, type ReportInput, type ReportModel } from './report-html.js';
export { rowsOfModel, evaluateModel, worstErrors, type ModelEvaluation, type ScoredRow } from './evaluation.js';
export { scoreManifest, describeEntry, type ScoredImage, type ScoreOptions } from './score-manifest.js';
export {
  checkFrames,
  checkManifest,
  scoredFromChecks,
  fuseCheckedSequences,
  type CheckedImage,
} from './score-sequences.js';
export {
  cutIntoSequences,
  fuseSequence,
  frameRows,
  sequenceKey,
  sequenceRows,
  sessionFrameScore,
  type SequenceKey,
  type SequenceScores,
} from './sequences.js';
export {
  fitStreamThreshold,
  streamThresholdEntry,
  type FittedStreamThreshold,
  type HeldOutRates,
  type HeldOutValidation,
  type StreamThresholdMeasured,
  type StreamThresholdSetup,
} from './stream-threshold.js';
export { celebaSpoofReport, PROTOCOLS, protocolEntries, type Protocol } from './protocols.js';
export { faceThumbnail } from './thumbnails.js';
export { scoreColumns, scoresCsv } from './scores-csv.js';
export * from './yardstick.js';
