import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../atomic.js';
import type { AdapterRow, ManifestBox } from './common.js';

/** The columns every manifest has, in the order of ../shared/data/manifest.csv. */
export const BASE_COLUMNS = ['path', 'label', 'attack', 'subject', 'source', 'framing', 'width', 'height'] as const;
export const BOX_COLUMNS = ['box_x', 'box_y', 'box_w', 'box_h'] as const;

/**
 * RFC 4180 quoting: a cell with a comma, quote, line break, or leading/trailing white space (which the reader
 * trims from unquoted cells) is quoted, quotes doubled.
 */
export function csvCell(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function boxNumber(value: number): string {
  return String(Math.round(value * 100) / 100);
}

function boxCells(box: ManifestBox | undefined): string[] {
  return box ? [box.x, box.y, box.w, box.h].map(boxNumber) : ['', '', '', ''];
}

/**
 * The columns of a manifest of these rows: the base columns, then `split` when any row has one, then the extra
 * columns in the order they first appear, then the box columns when any row has a box.
 */
export function manifestColumns(rows: AdapterRow[]): string[] {
  const extra: string[] = [];
  const seen = new Set<string>([...BASE_COLUMNS, 'split', ...BOX_COLUMNS]);
  for (const row of rows)
    for (const key of Object.keys(row.extra ?? {}))
      if (!seen.has(key)) {
        seen.add(key);
        extra.push(key);
      }
  return [
    ...BASE_COLUMNS,
    ...(rows.some((row) => row.split !== undefined) ? ['split'] : []),
    ...extra,
    ...(rows.some((row) => row.box) ? BOX_COLUMNS : []),
  ];
}

export function formatManifest(rows: AdapterRow[]): string {
  const columns = manifestColumns(rows);
  const hasBox = columns.includes('box_x');
  const lines = [columns.map(csvCell).join(',')];
  for (const row of rows) {
    const cells = columns
      .filter((column) => !(BOX_COLUMNS as readonly string[]).includes(column))
      .map((column) => {
        switch (column) {
          case 'path':
          case 'label':
          case 'attack':
          case 'subject':
          case 'source':
          case 'framing':
          case 'split':
            return row[column] ?? '';
          case 'width':
          case 'height':
            return String(row[column]);
          default:
            return row.extra?.[column] ?? '';
        }
      });
    if (hasBox) cells.push(...boxCells(row.box));
    lines.push(cells.map(csvCell).join(','));
  }
  return lines.join('\n') + '\n';
}

/** Writes the manifest atomically (a kill leaves the old file or the new one), creating its folder. */
export async function writeManifest(file: string, rows: AdapterRow[]): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFileAtomic(file, formatManifest(rows));
}
