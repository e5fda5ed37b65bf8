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
