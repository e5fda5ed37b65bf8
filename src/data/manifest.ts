import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { AntispoofError } from '../errors.js';

export type Label = 'live' | 'spoof';
/** `tight`: the image is the face crop; `context2x` / `aligned`: the detector finds the face. */
export type Framing = 'tight' | 'context2x' | 'aligned' | string;

/** One row of a dataset manifest (the format of ../shared/data/manifest.csv). */
export interface ManifestEntry {
  path: string;
  label: Label;
  attack: string;
  subject: string;
  source: string;
  framing: Framing;
  /** Every column of the row, including ones this type does not name. */
  columns: Record<string, string>;
}

export async function readManifest(manifestFile: string): Promise<ManifestEntry[]> {
  let text: string;
  try {
    text = await readFile(manifestFile, 'utf8');
  } catch (cause) {
    throw new AntispoofError('INVALID_INPUT', `cannot read manifest ${manifestFile}: ${(cause as Error).message}`);
  }
  return parseManifest(text, manifestFile);
}

export function parseManifest(text: string, manifestFile: string): ManifestEntry[] {
  let records: Record<string, string>[];
  try {
    records = parse(text, { columns: true, skip_empty_lines: true, trim: true, bom: true });
  } catch (cause) {
    throw new AntispoofError('INVALID_INPUT', `manifest ${manifestFile}: ${(cause as Error).message}`);
  }
  return records.map((columns, index) => {
    const line = index + 2;
    const path = columns.path;
    const label = columns.label?.toLowerCase();
    if (!path) throw new AntispoofError('INVALID_INPUT', `manifest ${manifestFile} line ${line}: "path" is empty`);
    if (label !== 'live' && label !== 'spoof')
      throw new AntispoofError(
        'INVALID_INPUT',
        `manifest ${manifestFile} line ${line}: label must be live or spoof, got "${columns.label ?? ''}"`,
      );
    const source = columns.source || 'unknown';
    return {
      path,
      label,
      attack: columns.attack || (label === 'live' ? 'none' : 'unknown'),
      subject: columns.subject || source,
      source,
      framing: columns.framing || 'context2x',
      columns,
    };
  });
}
