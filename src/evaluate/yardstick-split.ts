import { AntispoofError } from '../errors.js';

/**
 * training/splits.json: the held-out part of the corpus, shared by training (training/splits.py) and the yardstick
 * (bench/yardstick.ts) so the two never disagree on which image is validation.
 */
export interface YardstickSplitFile {
  /** Whole camera sources never trained on, each with a description of its attacks. */
  validationSources: Record<string, string>;
  /** NUAA is held out by subject: the last this many of its sorted subject ids. */
  nuaaValidationSubjects: number;
  /** celeba (by subject) and utkface (by image) rows whose crc32 bucket is below this are held out. */
  webValidationFraction: number;
  webSources: string[];
}

/** 'yardstick': judges attacks (a held-out camera source or a NUAA validation subject); 'web-bpcer': live-only. */
export type YardstickPart = 'yardstick' | 'web-bpcer' | 'train';

export interface SplitRow {
  source: string;
  subject: string;
  path: string;
}

/** NUAA, held out by subject, counts as one yardstick source under this name. */
export const NUAA_SOURCE = 'nuaa';

export function parseYardstickSplit(raw: unknown, file: string): YardstickSplitFile {
  const split = raw as Partial<YardstickSplitFile> | null;
  const bad = (what: string) => new AntispoofError('INVALID_INPUT', `split file ${file}: ${what}`);
  if (!split || typeof split !== 'object') throw bad('not a JSON object');
  const sources = split.validationSources;
  if (!sources || typeof sources !== 'object' || Object.values(sources).some((d) => typeof d !== 'string'))
    throw bad('"validationSources" must map source names to descriptions');
  if (!Number.isInteger(split.nuaaValidationSubjects) || split.nuaaValidationSubjects! < 0)
    throw bad('"nuaaValidationSubjects" must be a non-negative integer');
  const fraction = split.webValidationFraction;
  if (typeof fraction !== 'number' || !(fraction >= 0 && fraction <= 1))
    throw bad('"webValidationFraction" must be in [0, 1]');
  if (!Array.isArray(split.webSources) || split.webSources.some((s) => typeof s !== 'string'))
    throw bad('"webSources" must be a list of source names');
  return split as YardstickSplitFile;
}

/** The attack-bearing yardstick sources, in the order of the split file, NUAA last. */
export function yardstickSources(split: YardstickSplitFile): string[] {
  return [...Object.keys(split.validationSources), NUAA_SOURCE];
}

let crcTable: Uint32Array | undefined;

/** Standard CRC-32 (zlib, PNG) of the UTF-8 bytes, as Python's zlib.crc32(text.encode()). */
export function crc32(text: string): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const byte of new TextEncoder().encode(text)) crc = crcTable[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** training/splits.py `_bucket`: a stable pseudo-random number in [0, 1) per key. */
export function webBucket(key: string): number {
  return (crc32(key) % 10000) / 10000;
}

/** The held-out NUAA subjects: the last `nuaaValidationSubjects` of the sorted subject ids of `rows` (splits.py). */
export function nuaaValidationSet(rows: readonly SplitRow[], split: YardstickSplitFile): Set<string> {
  // Default sort compares UTF-16 code units; for the ASCII ids of NUAA that is Python's sorted() order.
  const subjects = [...new Set(rows.filter((r) => r.source === NUAA_SOURCE).map((r) => r.subject))].sort();
  // slice(-0) keeps every subject, as Python's nuaa[-0:] does: the two agree even there.
  return new Set(subjects.slice(-split.nuaaValidationSubjects));
}

/**
 * training/splits.py `assign`, row by row: held-out camera sources and NUAA validation subjects are 'yardstick',
 * the held-out celeba subjects and utkface images (every utkface image is a different person) 'web-bpcer'.
 */
export function yardstickSplit(
  row: SplitRow,
  split: YardstickSplitFile,
  nuaaValidation: ReadonlySet<string>,
): YardstickPart {
  if (Object.hasOwn(split.validationSources, row.source)) return 'yardstick';
  if (row.source === NUAA_SOURCE) return nuaaValidation.has(row.subject) ? 'yardstick' : 'train';
  if (row.source === 'celeba') return webBucket(row.subject) < split.webValidationFraction ? 'web-bpcer' : 'train';
  if (row.source === 'utkface') return webBucket(row.path) < split.webValidationFraction ? 'web-bpcer' : 'train';
  return 'train';
}

/** Every row's part; NUAA's validation subjects are taken from these very rows, as splits.py does. */
export function assignYardstick(rows: readonly SplitRow[], split: YardstickSplitFile): YardstickPart[] {
  const nuaaValidation = nuaaValidationSet(rows, split);
  return rows.map((row) => yardstickSplit(row, split, nuaaValidation));
}
