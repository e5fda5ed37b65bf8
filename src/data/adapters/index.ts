import { stat } from 'node:fs/promises';
import { AntispoofError } from '../../errors.js';
import { celebaSpoofAdapter } from './celeba-spoof.js';
import type { AdapterOptions, AdapterResult, DatasetAdapter } from './common.js';
import { foldersAdapter } from './folders.js';
import { nuaaAdapter } from './nuaa.js';
import { videosAdapter } from './videos.js';

export type * from './common.js';
export { formatManifest, manifestColumns, writeManifest } from './write-manifest.js';
export { parseVideoName, VIDEO_NAMINGS, type VideoLabel } from './video-naming.js';

/** Every dataset layout `antispoof manifest` knows, by name. */
export const ADAPTERS: ReadonlyMap<string, DatasetAdapter> = new Map(
  [celebaSpoofAdapter, foldersAdapter, nuaaAdapter, videosAdapter].map((adapter) => [adapter.name, adapter]),
);

export function getAdapter(layout: string): DatasetAdapter {
  const adapter = ADAPTERS.get(layout);
  if (!adapter)
    throw new AntispoofError(
      'INVALID_INPUT',
      `unknown layout "${layout}": expected ${[...ADAPTERS.keys()].join(', ')}`,
    );
  return adapter;
}

/** Reads a dataset laid out as `layout` into manifest rows (not yet written). */
export async function buildManifest(layout: string, options: AdapterOptions): Promise<AdapterResult> {
  const adapter = getAdapter(layout);
  const info = await stat(options.root).catch((cause: Error) => {
    throw new AntispoofError('INVALID_INPUT', `cannot read dataset folder ${options.root}: ${cause.message}`);
  });
  if (!info.isDirectory()) throw new AntispoofError('INVALID_INPUT', `${options.root} is not a folder`);
  return adapter.build(options);
}
