import { basename } from 'node:path';
import type { Classifier } from '../classify/index.js';
import type { ScoredImage } from './score-manifest.js';

/**
 * The column name of each score `antispoof eval --scores` writes: `p_live[<model file>]` per classifier, then
 * `p_live[<ensemble>/<member file>]` for each of an ensemble's members; a name that would repeat gets `#2`, `#3`.
 */
export function scoreColumns(classifiers: readonly Classifier[]): string[][] {
  const seen = new Map<string, number>();
  const unique = (name: string) => {
    const n = (seen.get(name) ?? 0) + 1;
    seen.set(name, n);
    return n === 1 ? name : `${name}#${n}`;
  };
  return classifiers.map((classifier) => {
    const own = basename(classifier.modelFile);
    return [
      unique(`p_live[${own}]`),
      ...(classifier.members ?? []).map((member) => unique(`p_live[${own}/${basename(member.modelFile)}]`)),
    ];
  });
}

const quote = (value: string | number | undefined): string => {
  if (value === undefined) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

/**
 * One CSV row per image: path, source, label, attack, subject, P(live) per model (an ensemble's members after it),
 * the face box the scores are of (box_x, box_y, box_width, box_height), and the error when the image could not be
 * scored (its scores and box then empty). The per-image scores a user analyses, and training reads as soft labels.
 */
export function scoresCsv(scored: readonly ScoredImage[], classifiers: readonly Classifier[]): string {
  const columns = scoreColumns(classifiers);
  const header = ['path', 'source', 'label', 'attack', 'subject', ...columns.flat()];
  header.push('box_x', 'box_y', 'box_width', 'box_height', 'error');
  const lines = [header.map(quote).join(',')];
  for (const image of scored) {
    const ok = image.scores.length > 0;
    const scores = columns.flatMap((names, m) =>
      ok
        ? [image.scores[m]!, ...names.slice(1).map((_, k) => image.memberScores?.[m]?.[k])]
        : names.map(() => undefined),
    );
    const box = image.box
      ? [image.box.x, image.box.y, image.box.width, image.box.height]
      : [undefined, undefined, undefined, undefined];
    const row = [image.path, image.source, image.label, image.attack, image.subject, ...scores, ...box, image.error];
    lines.push(row.map(quote).join(','));
  }
  return lines.join('\n') + '\n';
}
