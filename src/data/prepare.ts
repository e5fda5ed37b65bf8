import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import sharp from 'sharp';
import { cropFace, type CropMode } from '../crop/index.js';
import type { FaceDetector } from '../detect/index.js';
import { isAntispoofError } from '../errors.js';
import { decodeImage } from '../image/decode.js';
import type { RgbImage } from '../types.js';
import { writeFileAtomic } from './atomic.js';
import { faceOfEntry } from './entry-face.js';
import type { ManifestEntry } from './manifest.js';
import { forEachLimited } from './pool.js';

/** The context crop is this much larger than the model crop, so training can jitter scale and shift inside it. */
export const CONTEXT_FACTOR = 1.25;

export interface PrepareOptions {
  root: string;
  out: string;
  size: number;
  cropScale: number;
  /** The model card's crop.mode (default reflect). */
  cropMode?: CropMode;
  detector: FaceDetector;
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface PreparedRow {
  path: string;
  label: string;
  attack: string;
  subject: string;
  source: string;
  framing: string;
  status: 'ok' | 'no-face' | 'error';
  crop: string;
  context: string;
  box_x: string;
  box_y: string;
  box_w: string;
  box_h: string;
  det_score: string;
  error: string;
}

const COLUMNS: (keyof PreparedRow)[] = [
  'path',
  'label',
  'attack',
  'subject',
  'source',
  'framing',
  'status',
  'crop',
  'context',
  'box_x',
  'box_y',
  'box_w',
  'box_h',
  'det_score',
  'error',
];

function csvCell(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

async function writePng(file: string, image: RgbImage): Promise<void> {
  const png = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .png({ compressionLevel: 3 })
    .toBuffer();
  await writeFileAtomic(file, png);
}

async function prepareOne(entry: ManifestEntry, options: PrepareOptions): Promise<PreparedRow> {
  const base = {
    path: entry.path,
    label: entry.label,
    attack: entry.attack,
    subject: entry.subject,
    source: entry.source,
    framing: entry.framing,
    crop: '',
    context: '',
    box_x: '',
    box_y: '',
    box_w: '',
    box_h: '',
    det_score: '',
    error: '',
  };
  let image: RgbImage;
  try {
    image = await decodeImage(resolve(options.root, entry.path));
  } catch (error) {
    return { ...base, status: 'error', error: isAntispoofError(error) ? error.message : String(error) };
  }
  const face = await faceOfEntry(image, entry.framing, options.detector);
  if (!face) return { ...base, status: 'no-face' };

  const stem = entry.path.replace(/\.[^./]+$/, '');
  const crop = join('crops', `${stem}.png`);
  const context = join('context', `${stem}.png`);
  const contextSize = Math.round(options.size * CONTEXT_FACTOR);
  await mkdir(dirname(join(options.out, crop)), { recursive: true });
  await mkdir(dirname(join(options.out, context)), { recursive: true });
  await writePng(
    join(options.out, crop),
    cropFace(image, face.box, { cropScale: options.cropScale, size: options.size, mode: options.cropMode }),
  );
  await writePng(
    join(options.out, context),
    cropFace(image, face.box, {
      cropScale: options.cropScale * CONTEXT_FACTOR,
      size: contextSize,
      mode: options.cropMode,
    }),
  );
  return {
    ...base,
    status: 'ok',
    crop,
    context,
    box_x: face.box.x.toFixed(2),
    box_y: face.box.y.toFixed(2),
    box_w: face.box.width.toFixed(2),
    box_h: face.box.height.toFixed(2),
    det_score: Number.isNaN(face.score) ? '' : face.score.toFixed(4),
  };
}

/** Rows finished by an earlier run; a line cut by a kill is ignored and that image is redone. */
async function readJournal(journalFile: string): Promise<Map<string, PreparedRow>> {
  const done = new Map<string, PreparedRow>();
  let text: string;
  try {
    text = await readFile(journalFile, 'utf8');
  } catch {
    return done;
  }
  for (const line of text.split('\n')) {
    try {
      const row = JSON.parse(line) as PreparedRow;
      done.set(row.path, row);
    } catch {
      // incomplete last line from an interrupted run
    }
  }
  return done;
}

export interface PrepareSummary {
  total: number;
  ok: number;
  noFace: PreparedRow[];
  errors: PreparedRow[];
  resumed: number;
}

/**
 * Runs the product's own detector and crop over a manifest, writing model-input crops, context crops and
 * prepared.csv. Resumable: each finished image is journaled after its files are in place.
 */
export async function prepareDataset(entries: ManifestEntry[], options: PrepareOptions): Promise<PrepareSummary> {
  await mkdir(options.out, { recursive: true });
  const journalFile = join(options.out, 'progress.jsonl');
  const done = await readJournal(journalFile);
  const resumed = done.size;
  // A kill can cut the journal's last line short; start the next append on a fresh line.
  if (resumed > 0) await appendFile(journalFile, '\n');
  const todo = entries.filter((entry) => !done.has(entry.path));
  let finished = resumed;
  options.onProgress?.(finished, entries.length);
  await forEachLimited(todo, options.concurrency ?? 2, async (entry) => {
    const row = await prepareOne(entry, options);
    done.set(entry.path, row);
    await appendFile(journalFile, JSON.stringify(row) + '\n');
    options.onProgress?.(++finished, entries.length);
  });

  const rows = entries.map((entry) => done.get(entry.path)!);
  const csv = [COLUMNS.join(','), ...rows.map((row) => COLUMNS.map((c) => csvCell(row[c])).join(','))].join('\n');
  await writeFileAtomic(join(options.out, 'prepared.csv'), csv + '\n');
  await writeFileAtomic(
    join(options.out, 'prepare.json'),
    JSON.stringify(
      {
        size: options.size,
        contextSize: Math.round(options.size * CONTEXT_FACTOR),
        cropScale: options.cropScale,
        cropMode: options.cropMode ?? 'reflect',
        contextScale: options.cropScale * CONTEXT_FACTOR,
        images: rows.length,
      },
      null,
      2,
    ) + '\n',
  );
  await writeFile(join(options.out, 'DONE'), new Date().toISOString() + '\n');
  return {
    total: rows.length,
    ok: rows.filter((row) => row.status === 'ok').length,
    noFace: rows.filter((row) => row.status === 'no-face'),
    errors: rows.filter((row) => row.status === 'error'),
    resumed,
  };
}
