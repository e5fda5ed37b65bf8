import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { forEachLimited } from '../pool.js';
import {
  adapterResult,
  type AdapterOptions,
  type AdapterResult,
  type AdapterRow,
  type DatasetAdapter,
  findEntry,
  imageSize,
  invalid,
  isImageFile,
  listed,
  listFiles,
} from './common.js';

/** The official split files: [file name, image folder, split]. */
export const NUAA_SPLIT_FILES = [
  ['client_train_raw.txt', 'ClientRaw', 'train'],
  ['client_test_raw.txt', 'ClientRaw', 'test'],
  ['imposter_train_raw.txt', 'ImposterRaw', 'train'],
  ['imposter_test_raw.txt', 'ImposterRaw', 'test'],
] as const;

export interface SplitListing {
  /** POSIX path relative to the image folder, e.g. `0001/0001_00_00_01_0.jpg`. */
  path: string;
  line: number;
}

/**
 * Parses a NUAA split file: one path per line relative to ClientRaw or ImposterRaw, with backslashes
 * (`0001\0001_00_00_01_0.jpg`). Throws INVALID_INPUT naming the file and line of an absolute or escaping path.
 */
export function parseNuaaSplitFile(text: string, file: string): SplitListing[] {
  const listings: SplitListing[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const path = raw.trim().replace(/\\/g, '/').replace(/^\.\//, '');
    if (!path) return;
    const parts = path.split('/');
    if (path.startsWith('/') || /^[a-z]:/i.test(path) || parts.some((part) => part === '..' || part === ''))
      throw invalid(`${file} line ${index + 1}: expected a path relative to the image folder, got "${raw.trim()}"`);
    listings.push({ path, line: index + 1 });
  });
  return listings;
}

async function build(options: AdapterOptions): Promise<AdapterResult> {
  const { root } = options;
  const notes: string[] = [];
  const client = await findEntry(root, ['ClientRaw']);
  const imposter = await findEntry(root, ['ImposterRaw']);
  if (!client && !imposter) throw invalid(`${root}: no ClientRaw or ImposterRaw folder (expected the NUAA raw layout)`);
  if (!client) notes.push('no ClientRaw folder: every row is spoof');
  if (!imposter) notes.push('no ImposterRaw folder: every row is live');

  // image path relative to the root, lower-cased (the lists come from Windows) -> split and where it was listed
  const splits = new Map<string, { split: string; at: string; path: string }>();
  const missingLists: string[] = [];
  for (const [name, folder, split] of NUAA_SPLIT_FILES) {
    const found = await findEntry(root, [name]);
    if (!found) {
      missingLists.push(name);
      continue;
    }
    const file = join(root, found);
    const text = await readFile(file, 'utf8').catch((cause: Error) => {
      throw invalid(`cannot read ${file}: ${cause.message}`);
    });
    for (const { path, line } of parseNuaaSplitFile(text, file)) {
      const rel = `${(folder === 'ClientRaw' ? client : imposter) ?? folder}/${path}`;
      const at = `${file} line ${line}`;
      const earlier = splits.get(rel.toLowerCase());
      if (earlier && earlier.split !== split)
        throw invalid(`${at}: ${path} is already in the ${earlier.split} split (${earlier.at})`);
      if (!earlier) splits.set(rel.toLowerCase(), { split, at, path: rel });
    }
  }
  const haveSplits = missingLists.length < NUAA_SPLIT_FILES.length;
  if (!haveSplits) notes.push('no split files (client_train_raw.txt, ...): no split column');
  else if (missingLists.length) notes.push(listed(missingLists.length, 'split files missing', missingLists));

  const images: { path: string; label: 'live' | 'spoof'; subject: string }[] = [];
  const skipped: string[] = [];
  for (const [folder, label] of [
    [client, 'live'],
    [imposter, 'spoof'],
  ] as const) {
    if (!folder) continue;
    for (const file of await listFiles(join(root, folder))) {
      const path = `${folder}/${file}`;
      if (!isImageFile(file)) {
        skipped.push(path);
        continue;
      }
      const parts = file.split('/');
      images.push({ path, label, subject: parts.length > 1 ? `nuaa-${parts[0]}` : 'nuaa' });
    }
  }
  if (skipped.length) notes.push(listed(skipped.length, 'files that are not images skipped', skipped));

  const rows: (AdapterRow | undefined)[] = new Array(images.length);
  const unlisted: string[] = [];
  const unreadable: string[] = [];
  const seen = new Set<string>();
  let done = 0;
  options.onProgress?.(0, images.length);
  await forEachLimited(
    images.map((image, index) => ({ image, index })),
    options.concurrency ?? 4,
    async ({ image, index }) => {
      const listing = splits.get(image.path.toLowerCase());
      seen.add(image.path.toLowerCase());
      if (haveSplits && !listing) unlisted.push(image.path);
      try {
        const size = await imageSize(join(root, image.path));
        rows[index] = {
          path: image.path,
          label: image.label,
          attack: image.label === 'live' ? 'none' : 'print',
          subject: image.subject,
          source: 'nuaa',
          framing: 'full',
          ...size,
          ...(haveSplits ? { split: listing?.split ?? '' } : {}),
        };
      } catch (error) {
        unreadable.push((error as Error).message);
      }
      options.onProgress?.(++done, images.length);
    },
  );
  const missing = [...splits].filter(([key]) => !seen.has(key)).map(([, listing]) => listing.at);
  if (unlisted.length)
    notes.push(listed(unlisted.length, 'images are in no split file: split left empty', unlisted.sort()));
  if (missing.length) notes.push(listed(missing.length, 'listed images were not found', missing));
  return adapterResult(rows, root, notes, unreadable);
}

export const nuaaAdapter: DatasetAdapter = {
  name: 'nuaa',
  summary: 'NUAA Photograph Imposter: ClientRaw/<subject>/*.jpg, ImposterRaw/<subject>/*.jpg, *_raw.txt split files',
  build,
};
