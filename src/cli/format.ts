import type { CheckResult } from '../check.js';
import { isAntispoofError } from '../errors.js';
import type { Box } from '../types.js';

/** One line of `check --json`; the HTTP service answers with the same shape. */
export interface FileReport {
  file: string;
  width?: number;
  height?: number;
  faces?: Array<{
    box: Box;
    detectionScore: number | null;
    score: number;
    verdict: string;
    reasons: string[];
  }>;
  error?: string;
  errorCode?: string;
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));

export function reportFromResult(file: string, result: CheckResult): FileReport {
  return {
    file,
    width: result.width,
    height: result.height,
    faces: result.faces.map((face) => ({
      box: {
        x: round(face.box.x, 1),
        y: round(face.box.y, 1),
        width: round(face.box.width, 1),
        height: round(face.box.height, 1),
      },
      detectionScore: face.detectionScore === null ? null : round(face.detectionScore, 4),
      score: round(face.score, 6),
      verdict: face.verdict,
      reasons: face.reasons,
    })),
  };
}

export function reportFromError(file: string, error: unknown): FileReport {
  if (isAntispoofError(error)) return { file, error: error.message, errorCode: error.code };
  return { file, error: error instanceof Error ? error.message : String(error), errorCode: 'INTERNAL' };
}

export function formatTable(reports: readonly FileReport[]): string {
  const rows: string[][] = [['file', 'face', 'verdict', 'P(live)', 'box (x,y,w,h)', 'reasons']];
  for (const report of reports) {
    if (report.error !== undefined) {
      rows.push([report.file, '-', 'error', '-', '-', `${report.errorCode}: ${report.error}`]);
      continue;
    }
    if (!report.faces || report.faces.length === 0) {
      rows.push([report.file, '-', 'no face', '-', '-', '']);
      continue;
    }
    report.faces.forEach((face, i) => {
      const { x, y, width, height } = face.box;
      rows.push([
        report.file,
        String(i + 1),
        face.verdict,
        face.score.toFixed(3),
        `${Math.round(x)},${Math.round(y)},${Math.round(width)},${Math.round(height)}`,
        face.reasons.join(', '),
      ]);
    });
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
