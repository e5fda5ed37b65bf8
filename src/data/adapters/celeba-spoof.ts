import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { forEachLimited } from '../pool.js';
import {
  adapterResult,
  type AdapterOptions,
  type AdapterResult,
  type AdapterRow,
  type DatasetAdapter,
  type ManifestBox,
  findEntry,
  imageSize,
  invalid,
  isImageFile,
  listed,
  listFiles,
  listFolders,
} from './common.js';

/** CelebA-Spoof spoof types (label vector element 40): [attack, attack_type]. */
export const CELEBA_SPOOF_TYPES: ReadonlyArray<readonly [string, string]> = [
  ['none', 'live'],
  ['print', 'photo'],
  ['print', 'poster'],
  ['print', 'a4'],
  ['mask', 'face-mask'],
  ['mask', 'upper-body-mask'],
  ['mask', 'region-mask'],
  ['replay', 'pc'],
  ['replay', 'pad'],
  ['replay', 'phone'],
  ['mask3d', '3d-mask'],
];

const VECTOR_LENGTH = 44;
/** The boxes in *_BB.txt are in coordinates of the image scaled to 224 x 224. */
const BOX_SCALE = 224;

export interface CelebaSpoofLabel {
  spoofType: number;
  illumination: number;
  environment: number;
  /** Element 43: 0 live, 1 spoof. */
  spoof: number;
}

/** 1-based line of the first occurrence of `"key"` in a JSON text, for error messages. */
function lineOfKey(text: string, key: string): number | undefined {
  const at = text.indexOf(JSON.stringify(key));
  return at < 0 ? undefined : lineAt(text, at);
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

function where(file: string, line: number | undefined): string {
  return line === undefined ? file : `${file} line ${line}`;
}

/** `Data/train/1/live/1.jpg` for `./Data\train\1\live\1.jpg`. */
function normalizeKey(key: string): string {
  return key.replace(/\\/g, '/').replace(/^\.\//, '');
}

/**
 * Parses a CelebA-Spoof label file (metas/intra_test/{train,test}_label.json): an object mapping an image path to
 * its 44-element label vector. Throws INVALID_INPUT naming the file and line of the first bad entry.
 */
export function parseCelebaSpoofLabels(text: string, file: string): Map<string, CelebaSpoofLabel> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    const message = (cause as Error).message;
    const position = /position (\d+)/.exec(message);
    const line = /line (\d+)/.exec(message);
    const at = line ? Number(line[1]) : position ? lineAt(text, Number(position[1])) : undefined;
    throw invalid(`${where(file, at)}: not valid JSON (${message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw invalid(`${file}: expected a JSON object mapping image paths to label vectors`);
  const labels = new Map<string, CelebaSpoofLabel>();
  for (const [key, vector] of Object.entries(json as Record<string, unknown>)) {
    const fail = (problem: string) => invalid(`${where(file, lineOfKey(text, key))}: "${key}": ${problem}`);
    if (!Array.isArray(vector) || vector.length !== VECTOR_LENGTH)
      throw fail(
        `expected a label vector of ${VECTOR_LENGTH} numbers, got ${Array.isArray(vector) ? `${vector.length} elements` : JSON.stringify(vector)}`,
      );
    const bad = vector.findIndex((value) => !Number.isInteger(value));
    if (bad >= 0) throw fail(`element ${bad} is ${JSON.stringify(vector[bad])}, expected an integer`);
    const [spoofType, illumination, environment, spoof] = vector.slice(40) as number[];
    if (spoofType! < 0 || spoofType! >= CELEBA_SPOOF_TYPES.length)
      throw fail(`spoof type (element 40) must be 0-${CELEBA_SPOOF_TYPES.length - 1}, got ${spoofType}`);
    if (spoof !== 0 && spoof !== 1) throw fail(`live/spoof label (element 43) must be 0 or 1, got ${spoof}`);
    if ((spoofType === 0) !== (spoof === 0))
      throw fail(`spoof type ${spoofType} (element 40) contradicts live/spoof label ${spoof} (element 43)`);
    labels.set(normalizeKey(key), {
      spoofType: spoofType!,
      illumination: illumination!,
      environment: environment!,
      spoof,
    });
  }
  return labels;
}

/** Parses a *_BB.txt: `x y w h score` in 224-scale coordinates; undefined when the file is empty. */
export function parseCelebaSpoofBox(text: string, file: string): [number, number, number, number] | undefined {
  const lines = text.split(/\r?\n/);
  const index = lines.findIndex((line) => line.trim() !== '');
  if (index < 0) return undefined;
  const values = lines[index]!.trim()
    .split(/[\s,]+/)
    .map(Number);
  if (values.length < 4 || !values.slice(0, 4).every(Number.isFinite))
    throw invalid(`${file} line ${index + 1}: expected "x y w h score", got "${lines[index]!.trim()}"`);
  return values.slice(0, 4) as [number, number, number, number];
}

/** A 224-scale box in pixels of a width x height image, clipped to it; undefined when nothing is left. */
export function scaleCelebaSpoofBox(
  [x, y, w, h]: [number, number, number, number],
  width: number,
  height: number,
): ManifestBox | undefined {
  const left = Math.max(0, (x * width) / BOX_SCALE);
  const top = Math.max(0, (y * height) / BOX_SCALE);
  const right = Math.min(width, ((x + w) * width) / BOX_SCALE);
  const bottom = Math.min(height, ((y + h) * height) / BOX_SCALE);
  return right > left && bottom > top ? { x: left, y: top, w: right - left, h: bottom - top } : undefined;
}

async function readLabels(file: string): Promise<Map<string, CelebaSpoofLabel>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw invalid(`cannot read the CelebA-Spoof label file ${file}: ${(cause as Error).message}`);
  }
  return parseCelebaSpoofLabels(text, file);
}

async function readBox(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw invalid(`cannot read ${file}: ${(cause as Error).message}`);
  }
}

interface Task {
  key: string;
  split: string;
  subject: string;
  kind: 'live' | 'spoof';
  label: CelebaSpoofLabel | undefined;
}

async function build(options: AdapterOptions): Promise<AdapterResult> {
  const { root } = options;
  const dataName = await findEntry(root, ['Data']);
  if (!dataName)
    throw invalid(
      `${root}: no Data folder (expected the CelebA-Spoof layout Data/{train,test}/<subject>/{live,spoof})`,
    );
  const notes: string[] = [];
  const tasks: Task[] = [];
  const unmatched: string[] = [];
  const splitNames = (await listFolders(join(root, dataName))).filter((name) => /^(train|test)$/i.test(name));
  if (splitNames.length === 0) throw invalid(`${join(root, dataName)}: no train or test folder`);

  for (const splitName of splitNames) {
    const split = splitName.toLowerCase();
    const labelFile = join(root, 'metas', 'intra_test', `${split}_label.json`);
    const labels = await readLabels(labelFile);
    const used = new Set<string>();
    for (const subject of await listFolders(join(root, dataName, splitName))) {
      for (const kindName of await listFolders(join(root, dataName, splitName, subject))) {
        const kind = kindName.toLowerCase();
        if (kind !== 'live' && kind !== 'spoof') continue;
        const files = await listFiles(join(root, dataName, splitName, subject, kindName));
        for (const name of files.filter(isImageFile)) {
          const key = `${dataName}/${splitName}/${subject}/${kindName}/${name}`;
          const label = labels.get(key);
          if (label && (label.spoof === 1) !== (kind === 'spoof'))
            throw invalid(
              `${where(labelFile, lineOfKey(await readFile(labelFile, 'utf8'), key))}: "${key}" is labelled ${label.spoof ? `spoof (type ${label.spoofType})` : 'live'} ` +
                `but the image is in a ${kindName} folder`,
            );
          if (label) used.add(key);
          tasks.push({ key, split, subject, kind, label });
        }
      }
    }
    for (const key of labels.keys()) if (!used.has(key)) unmatched.push(key);
  }

  const rows: (AdapterRow | undefined)[] = new Array(tasks.length);
  const missingBox: string[] = [];
  const unusableBox: string[] = [];
  const unlabelled: string[] = [];
  const unreadable: string[] = [];
  let done = 0;
  options.onProgress?.(0, tasks.length);
  await forEachLimited(
    tasks.map((task, index) => ({ task, index })),
    options.concurrency ?? 4,
    async ({ task, index }) => {
      const { key, label, kind } = task;
      if (!label) unlabelled.push(key);
      const file = join(root, key);
      let size;
      try {
        size = await imageSize(file);
      } catch (error) {
        unreadable.push((error as Error).message);
        options.onProgress?.(++done, tasks.length);
        return;
      }
      const boxFile = file.replace(/\.[^./]+$/, '_BB.txt');
      const boxText = await readBox(boxFile);
      const raw = boxText === undefined ? undefined : parseCelebaSpoofBox(boxText, boxFile);
      const box = raw && scaleCelebaSpoofBox(raw, size.width, size.height);
      if (!raw) missingBox.push(key);
      else if (!box) unusableBox.push(key);
      const [attack, attackType] = label
        ? CELEBA_SPOOF_TYPES[label.spoofType]!
        : kind === 'live'
          ? CELEBA_SPOOF_TYPES[0]!
          : ['unknown', 'unknown'];
      rows[index] = {
        path: key,
        label: kind,
        attack,
        subject: `celeba-${task.subject}`,
        source: 'celeba-spoof',
        framing: 'full',
        ...size,
        split: task.split,
        extra: {
          attack_type: attackType,
          illumination: label ? String(label.illumination) : '',
          environment: label ? String(label.environment) : '',
        },
        ...(box ? { box } : {}),
      };
      options.onProgress?.(++done, tasks.length);
    },
  );

  if (missingBox.length)
    notes.push(listed(missingBox.length, 'images have no _BB.txt box: rows without box', missingBox.sort()));
  if (unusableBox.length)
    notes.push(listed(unusableBox.length, 'images have a box outside the image: rows without box', unusableBox.sort()));
  if (unlabelled.length)
    notes.push(listed(unlabelled.length, 'images are not in the label files: attack unknown', unlabelled.sort()));
  if (unmatched.length)
    notes.push(listed(unmatched.length, 'labelled images were not found (incomplete download?)', unmatched.sort()));
  return adapterResult(rows, root, notes, unreadable);
}

export const celebaSpoofAdapter: DatasetAdapter = {
  name: 'celeba-spoof',
  summary: 'CelebA-Spoof: Data/{train,test}/<subject>/{live,spoof}/*.jpg, *_BB.txt boxes, metas/intra_test labels',
  build,
};
