export {
  measureQuality,
  retryReasons,
  DEFAULT_QUALITY_LIMITS,
  QUALITY_SIZE,
  type QualityLimits,
  type QualityMeasures,
  type RetryReason,
} from './quality.js';
export { decideVerdict, type Verdict } from './verdict.js';
export { DEFAULT_FUSION, ScoreFusion, type FusionOptions } from './fusion.js';
