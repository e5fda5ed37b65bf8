import { bootstrapCi } from './bootstrap.js';
import { metricsByGroup } from './groups.js';
import { computeMetrics } from './metrics.js';
import type { CelebaSpoofReport } from './protocols.js';
import type { ScoredImage } from './score-manifest.js';
import type { ModelMetrics, ScoredSample } from './types.js';

export type ScoredRow = ScoredSample & { path: string };

/** One model's evaluation: the `--json` contract of `antispoof eval`, plus the rows the HTML report plots. */
export interface ModelEvaluation extends ModelMetrics {
  /** Images that could not be scored (unreadable, or no face found): counted, never dropped silently. */
  failures: number;
  failedImages: Array<{ path: string; error: string }>;
  /** Numbers a published protocol reports (eval --protocol). */
  protocol?: { name: string } & CelebaSpoofReport;
}

export interface EvaluationOptions {
  groups: ReadonlyArray<'source' | 'attack'>;
  /** Bootstrap resamples for 95% CIs, clustered by subject; 0 = none. */
  bootstrap: number;
}

export function rowsOfModel(scored: readonly ScoredImage[], modelIndex: number): ScoredRow[] {
  return scored
    .filter((image) => image.error === undefined)
    .map((image) => ({
      path: image.path,
      score: image.scores[modelIndex]!,
      label: image.label,
      attack: image.attack,
      source: image.source,
      subject: image.subject,
    }));
}

export function evaluateModel(
  model: { name: string; file: string; threshold: number },
  rows: readonly ScoredRow[],
  scored: readonly ScoredImage[],
  options: EvaluationOptions,
): ModelEvaluation {
  const failedImages = scored
    .filter((image) => image.error !== undefined)
    .map((image) => ({ path: image.path, error: image.error! }));
  return {
    ...model,
    overall: computeMetrics(rows, model.threshold),
    ...(options.bootstrap > 0
      ? { ci: bootstrapCi(rows, model.threshold, { iterations: options.bootstrap, cluster: 'subject', seed: 1 }) }
      : {}),
    bySource: options.groups.includes('source') ? metricsByGroup(rows, model.threshold, 'source') : {},
    byAttack: options.groups.includes('attack') ? metricsByGroup(rows, model.threshold, 'attack') : {},
    failures: failedImages.length,
    failedImages,
  };
}

/** The most confident mistakes: live scored lowest and attacks scored highest. */
export function worstErrors(rows: readonly ScoredRow[], threshold: number, count: number): ScoredRow[] {
  const wrong = rows.filter((row) => (row.label === 'live' ? row.score < threshold : row.score >= threshold));
  const badness = (row: ScoredRow) => (row.label === 'live' ? 1 - row.score : row.score);
  return wrong.sort((a, b) => badness(b) - badness(a)).slice(0, count);
}
