import type { FileReport } from '../index.js';

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
