import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { AntispoofError } from '../../errors.js';
import type { Label } from '../manifest.js';

/** A face box in pixels of the image as decoded (EXIF orientation applied). */
export interface ManifestBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** One manifest row as an adapter produces it; `path` is POSIX, relative to {@link AdapterResult.base}. */
export interface AdapterRow {
  path: string;
  label: Label;
  attack: string;
  subject: string;
  source: string;
  framing: string;
  width: number;
  height: number;
  /** Written as the `split` column when any row of the manifest has one. */
  split?: string;
  /** Written as `box_x,box_y,box_w,box_h` when any row of the manifest has one; empty cells otherwise. */
  box?: ManifestBox;
  /** Layout-specific columns (attack_type, illumination, video, ...), written after `split`. */
  extra?: Record<string, string>;
}

export type VideoNaming = 'casia' | 'replay-attack' | 'msu' | 'oulu';

export interface AdapterOptions {
  /** The dataset's folder. */
  root: string;
  /** The manifest file to be written; the videos layout extracts frames beside it. */
  manifestFile: string;
  /** videos: frames per second to sample. */
  fps?: number;
  /** videos: the dataset's file naming convention. */
  naming?: VideoNaming;
  /** folders: the source column (default: the root folder's name). */
  source?: string;
  /** folders: the framing column (default context2x). */
  framing?: string;
  /** Images read (or videos decoded) at once. */
  concurrency?: number;
  /** videos: the ffmpeg executable (default `ffmpeg` on PATH). */
  ffmpeg?: string;
  onProgress?: (done: number, total: number) => void;
}

export interface AdapterResult {
  rows: AdapterRow[];
  /** Absolute folder the row paths are relative to. */
  base: string;
  /** Things the user should know that are not errors: files skipped, rows without a box, ... */
  notes: string[];
}

export interface DatasetAdapter {
  name: string;
  /** One line for `--help`. */
  summary: string;
  build(options: AdapterOptions): Promise<AdapterResult>;
}

/** Formats sharp and the classifier's decoder both read. */
export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff', '.avif', '.heic', '.heif']);

export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? '' : name.slice(dot).toLowerCase();
}

export function isImageFile(name: string): boolean {
  return IMAGE_EXTENSIONS.has(extensionOf(name));
}

export function invalid(message: string): AntispoofError {
  return new AntispoofError('INVALID_INPUT', message);
}

/** Every regular file under `dir`, as POSIX paths relative to it, sorted; hidden files and folders are skipped. */
export async function listFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  const visit = async (folder: string, prefix: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch (cause) {
      throw new AntispoofError('INVALID_INPUT', `cannot read folder ${folder}: ${(cause as Error).message}`, {
        cause,
      });
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await visit(join(folder, entry.name), rel);
      else if (entry.isFile()) found.push(rel);
    }
  };
  await visit(dir, '');
  return found.sort(compareStrings);
}

/** Sub-folders of `dir` (not hidden), sorted. */
export async function listFolders(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (cause) {
    throw new AntispoofError('INVALID_INPUT', `cannot read folder ${dir}: ${(cause as Error).message}`, { cause });
  }
  return entries
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .sort(compareStrings);
}

/** The entry of `dir` whose name equals one of `names` ignoring case, or undefined. */
export async function findEntry(dir: string, names: string[]): Promise<string | undefined> {
  const wanted = new Set(names.map((name) => name.toLowerCase()));
  const entries = await readdir(dir).catch(() => [] as string[]);
  return entries.sort(compareStrings).find((name) => wanted.has(name.toLowerCase()));
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Width and height as decoded (EXIF orientation applied), from the header only. */
export async function imageSize(file: string): Promise<{ width: number; height: number }> {
  try {
    const metadata = await sharp(file, { limitInputPixels: false }).metadata();
    const width = metadata.autoOrient?.width ?? metadata.width;
    const height = metadata.autoOrient?.height ?? metadata.height;
    if (!width || !height) throw new Error('no image size in the header');
    return { width, height };
  } catch (cause) {
    throw new AntispoofError('DECODE_FAILED', `${file}: cannot read the image size (${(cause as Error).message})`, {
      cause,
    });
  }
}

/** "N things (a, b, c, ...)" for notes: at most `shown` examples. */
export function listed(count: number, what: string, examples: string[], shown = 5): string {
  const more = examples.length > shown ? `, ... ${examples.length - shown} more` : '';
  return `${count} ${what}${examples.length ? ` (${examples.slice(0, shown).join(', ')}${more})` : ''}`;
}

/**
 * An adapter's result from rows indexed like its images (undefined where an image was skipped), with a note for the
 * unreadable ones last.
 */
export function adapterResult(
  rows: ReadonlyArray<AdapterRow | undefined>,
  base: string,
  notes: string[],
  unreadable: string[],
): AdapterResult {
  if (unreadable.length) notes.push(listed(unreadable.length, 'unreadable images skipped', unreadable.sort()));
  return { rows: rows.filter((row): row is AdapterRow => row !== undefined), base, notes };
}
