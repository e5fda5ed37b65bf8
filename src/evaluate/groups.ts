import { computeMetrics } from './metrics.js';
import { UNKNOWN, attackOf, validateRows } from './sweep.js';
import type { PadMetrics, ScoredSample } from './types.js';

export type GroupKey = 'source' | 'attack' | 'subject';

/**
 * Metrics per group, keys sorted. 'source' and 'subject' split every sample by that field (missing or empty ->
 * 'unknown'). 'attack' is different: a group is one PAI species' attack samples together with ALL bona fide
 * samples, so each group's BPCER (the same for all), EER, AUC and BPCER100 describe live vs that one species;
 * there is no group for live samples.
 */
export function metricsByGroup(
  rows: readonly ScoredSample[],
  threshold: number,
  key: GroupKey,
): Record<string, PadMetrics> {
  validateRows(rows);
  const groups = new Map<string, ScoredSample[]>();
  const add = (name: string, row: ScoredSample): void => {
    const list = groups.get(name);
    if (list) list.push(row);
    else groups.set(name, [row]);
  };
  if (key === 'attack') {
    const live = rows.filter((r) => r.label === 'live');
    for (const row of rows) if (row.label === 'spoof') add(attackOf(row), row);
    for (const list of groups.values()) list.push(...live);
  } else {
    for (const row of rows) {
      const value = row[key];
      add(value === undefined || value === '' ? UNKNOWN : value, row);
    }
  }
  const out: Record<string, PadMetrics> = {};
  for (const name of [...groups.keys()].sort()) out[name] = computeMetrics(groups.get(name)!, threshold);
  return out;
}
