import { AntispoofError } from '../errors.js';

/** The two held-out parts: `selection` judges every choice; `test` is frozen and scores each final candidate once. */
export type HeldOutPart = 'selection' | 'test';

export const HELD_OUT_PARTS: readonly HeldOutPart[] = ['selection', 'test'];

/** People of a subject-split source held out of training, all in one part; the group counts as one source. */
export interface HeldOutSubjects {
  source: string;
  part: HeldOutPart;
  /** What its attacks are, printed beside its row. */
  attack: string;
  subjects: string[];
}

/**
 * training/splits.json: the held-out part of the corpus, shared by training (training/splits.py) and the yardstick
 * (bench/yardstick.ts) so the two never disagree on which image is held out, and in which part.
 */
export interface YardstickSplitFile {
  /** Whole camera sources of the selection part, each with a description of its attacks. */
  selectionSources: Record<string, string>;
  /** Whole camera sources of the test part. */
  testSources: Record<string, string>;
  /** Sources split by person (nuaa, casia, oulu): the held-out subject ids, each group in one part. */
  heldOutSubjects: HeldOutSubjects[];
  /** celeba (by subject) and utkface (by image) rows whose crc32 bucket is below this are held out (BPCER only). */
  webValidationFraction: number;
  webSources: string[];
}

/**
 * Where one row goes: an attack-judging part ('selection' | 'test'), 'web-bpcer' (held-out live-only web photos,
 * part of splits.py's 'val' but never of model selection), or 'train'.
 */
export type YardstickPart = HeldOutPart | 'web-bpcer' | 'train';

export interface SplitRow {
  source: string;
  subject: string;
  path: string;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks training/splits.json field by field, naming the first bad field. */
export function parseYardstickSplit(raw: unknown, file: string): YardstickSplitFile {
  const bad = (what: string) => new AntispoofError('INVALID_INPUT', `split file ${file}: ${what}`);
  if (!isPlainObject(raw)) throw bad('not a JSON object');
  for (const old of ['validationSources', 'nuaaValidationSubjects'])
    if (old in raw) throw bad(`"${old}" is the old format; list "selectionSources", "testSources", "heldOutSubjects"`);
  const partOf = new Map<string, string>();
  for (const field of ['selectionSources', 'testSources'] as const) {
    const sources = raw[field];
    if (!isPlainObject(sources) || Object.values(sources).some((d) => typeof d !== 'string'))
      throw bad(`"${field}" must map source names to descriptions`);
    for (const source of Object.keys(sources)) {
      if (partOf.has(source)) throw bad(`source "${source}" is in both "${partOf.get(source)}" and "${field}"`);
      partOf.set(source, field);
    }
  }
  const groups = raw.heldOutSubjects;
  if (!Array.isArray(groups)) throw bad('"heldOutSubjects" must be a list of { source, part, attack, subjects }');
  const seen = new Set<string>();
  groups.forEach((group: unknown, g) => {
    const at = `"heldOutSubjects[${g}]`;
    if (!isPlainObject(group)) throw bad(`${at}" must be an object { source, part, attack, subjects }`);
    if (typeof group.source !== 'string' || group.source === '') throw bad(`${at}.source" must be a source name`);
    if (partOf.has(group.source))
      throw bad(`${at}.source" "${group.source}" is also a whole held-out source in "${partOf.get(group.source)}"`);
    if (!HELD_OUT_PARTS.includes(group.part as HeldOutPart))
      throw bad(`${at}.part" must be ${HELD_OUT_PARTS.join(' or ')}, got ${JSON.stringify(group.part)}`);
    if (typeof group.attack !== 'string') throw bad(`${at}.attack" must describe the attacks`);
    if (
      !Array.isArray(group.subjects) ||
      group.subjects.length === 0 ||
      group.subjects.some((s) => typeof s !== 'string')
    )
      throw bad(`${at}.subjects" must be a non-empty list of subject ids`);
    for (const subject of group.subjects as string[]) {
      const key = `${group.source}\u0000${subject}`;
      if (seen.has(key)) throw bad(`${at}.subjects" lists ${group.source} subject "${subject}" twice`);
      seen.add(key);
    }
  });
  const fraction = raw.webValidationFraction;
  if (typeof fraction !== 'number' || !(fraction >= 0 && fraction <= 1))
    throw bad('"webValidationFraction" must be in [0, 1]');
  if (!Array.isArray(raw.webSources) || raw.webSources.some((s) => typeof s !== 'string'))
    throw bad('"webSources" must be a list of source names');
  return raw as unknown as YardstickSplitFile;
}

/**
 * The attack-bearing sources of one part, as the per-source tables name them: its whole camera sources in the order
 * of the file, then its subject-split sources (each group one source, named by its source), sorted as splits.py does.
 */
export function yardstickSources(split: YardstickSplitFile, part: HeldOutPart): string[] {
  const whole = Object.keys(part === 'selection' ? split.selectionSources : split.testSources);
  const bySubject = [...new Set(split.heldOutSubjects.filter((g) => g.part === part).map((g) => g.source))].sort();
  return [...whole, ...bySubject];
}

/** What a yardstick source's attacks are (the split file's description). */
export function sourceDescription(split: YardstickSplitFile, source: string): string | undefined {
  return (
    split.selectionSources[source] ??
    split.testSources[source] ??
    split.heldOutSubjects.find((group) => group.source === source)?.attack
  );
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

/**
 * training/splits.py `part_of`, as a function of one row: whole selection/test sources first, then held-out subjects,
 * then the held-out celeba subjects and utkface images (every utkface image is a different person) as 'web-bpcer'.
 * splits.py's 'val' is 'selection' or 'web-bpcer' here; its 'test' is 'test'.
 */
export function yardstickAssigner(split: YardstickSplitFile): (row: SplitRow) => YardstickPart {
  const subjectPart = new Map<string, HeldOutPart>();
  for (const group of split.heldOutSubjects)
    for (const subject of group.subjects) subjectPart.set(`${group.source}\u0000${subject}`, group.part);
  return (row) => {
    if (Object.hasOwn(split.selectionSources, row.source)) return 'selection';
    if (Object.hasOwn(split.testSources, row.source)) return 'test';
    const held = subjectPart.get(`${row.source}\u0000${row.subject}`);
    if (held) return held;
    if (row.source === 'celeba') return webBucket(row.subject) < split.webValidationFraction ? 'web-bpcer' : 'train';
    if (row.source === 'utkface') return webBucket(row.path) < split.webValidationFraction ? 'web-bpcer' : 'train';
    return 'train';
  };
}

/** One row's part (see yardstickAssigner). */
export function yardstickSplit(row: SplitRow, split: YardstickSplitFile): YardstickPart {
  return yardstickAssigner(split)(row);
}

/** Every row's part, in order: training/splits.py `assign`, row for row. */
export function assignYardstick(rows: readonly SplitRow[], split: YardstickSplitFile): YardstickPart[] {
  const assign = yardstickAssigner(split);
  return rows.map(assign);
}
