import { basename, join, resolve } from 'node:path';
import { forEachLimited } from '../pool.js';
import {
  adapterResult,
  type AdapterOptions,
  type AdapterResult,
  type AdapterRow,
  type DatasetAdapter,
  compareStrings,
  imageSize,
  invalid,
  isImageFile,
  listed,
  listFiles,
  listFolders,
} from './common.js';

export const LIVE_FOLDERS = ['live', 'real', 'bonafide'];
export const SPOOF_FOLDERS = ['spoof', 'fake', 'attack'];
export const FRAMINGS = ['context2x', 'tight', 'aligned', 'full'];

/**
 * Label, attack and subject of a file from its path relative to the root, or undefined when it is in neither a
 * live nor a spoof folder. live/<subject>/...; spoof/<attack type>/<subject>/...; files directly in a spoof folder
 * have attack `unknown`; without a subject folder the subject is `fallbackSubject`.
 */
export function classifyFolderPath(
  relPath: string,
  fallbackSubject: string,
): Pick<AdapterRow, 'label' | 'attack' | 'subject'> | undefined {
  const [top, ...rest] = relPath.split('/');
  const folders = rest.slice(0, -1);
  const kind = top!.toLowerCase();
  if (LIVE_FOLDERS.includes(kind)) return { label: 'live', attack: 'none', subject: folders[0] ?? fallbackSubject };
  if (SPOOF_FOLDERS.includes(kind))
    return {
      label: 'spoof',
      attack: folders[0]?.toLowerCase() ?? 'unknown',
      subject: folders[1] ?? fallbackSubject,
    };
  return undefined;
}

async function build(options: AdapterOptions): Promise<AdapterResult> {
  const root = options.root;
  const source = options.source ?? basename(resolve(root));
  const framing = options.framing ?? 'context2x';
  if (!FRAMINGS.includes(framing)) throw invalid(`framing must be one of ${FRAMINGS.join(', ')}, got "${framing}"`);
  const top = await listFolders(root);
  const live = top.filter((name) => LIVE_FOLDERS.includes(name.toLowerCase()));
  const spoof = top.filter((name) => SPOOF_FOLDERS.includes(name.toLowerCase()));
  if (live.length + spoof.length === 0)
    throw invalid(
      `${root}: no ${LIVE_FOLDERS.join('/')} or ${SPOOF_FOLDERS.join('/')} folder (expected <root>/live/... and ` +
        `<root>/spoof/<attack type>/...)`,
    );
  const notes: string[] = [];
  const ignored = top.filter((name) => !live.includes(name) && !spoof.includes(name));
  if (ignored.length) notes.push(listed(ignored.length, 'other folders ignored', ignored));
  if (live.length === 0) notes.push('no live folder: every row is spoof');
  if (spoof.length === 0) notes.push('no spoof folder: every row is live');

  const images: string[] = [];
  const skipped: string[] = [];
  for (const folder of [...live, ...spoof])
    for (const file of await listFiles(join(root, folder)))
      (isImageFile(file) ? images : skipped).push(`${folder}/${file}`);
  images.sort(compareStrings);
  for (const path of images) {
    const { label, attack } = classifyFolderPath(path, source)!;
    if (label === 'spoof' && (attack === 'none' || attack === 'live'))
      throw invalid(
        `${join(root, path)}: an attack type folder cannot be called "${attack}" (it is in a spoof folder)`,
      );
  }
  if (skipped.length) notes.push(listed(skipped.length, 'files that are not images skipped', skipped));

  const rows: (AdapterRow | undefined)[] = new Array(images.length);
  const unreadable: string[] = [];
  let done = 0;
  options.onProgress?.(0, images.length);
  await forEachLimited(
    images.map((path, index) => ({ path, index })),
    options.concurrency ?? 4,
    async ({ path, index }) => {
      try {
        const size = await imageSize(join(root, path));
        rows[index] = { path, ...classifyFolderPath(path, source)!, source, framing, ...size };
      } catch (error) {
        unreadable.push((error as Error).message);
      }
      options.onProgress?.(++done, images.length);
    },
  );
  return adapterResult(rows, root, notes, unreadable);
}

export const foldersAdapter: DatasetAdapter = {
  name: 'folders',
  summary: 'your own photos: live|real|bonafide/[<subject>/]*, spoof|fake|attack/<attack type>/[<subject>/]*',
  build,
};
