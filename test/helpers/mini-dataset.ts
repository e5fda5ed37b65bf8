import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { cropFace } from '../../src/crop/index.js';
import { decodeImage } from '../../src/image/decode.js';
import { encode, patternImage, samplePhoto } from './images.js';

export interface MiniDataset {
  root: string;
  manifest: string;
  rows: number;
}

/**
 * A small manifest in the corpus format, made from the face-api sample photos (MIT): context2x crops of real faces
 * (tinted red = "live", blue = "spoof" so the tiny test model separates them), tight crops, and one image without
 * a face. Nothing from the research-only corpus.
 */
export async function makeMiniDataset(
  faces: Array<{ photo: 1 | 2 | 3 | 4 | 5 | 6; box: { x: number; y: number; width: number; height: number } }>,
): Promise<MiniDataset> {
  const root = mkdtempSync(join(tmpdir(), 'antispoof-mini-'));
  const lines = ['path,label,attack,subject,source,framing,width,height'];
  let index = 0;
  for (const { photo, box } of faces) {
    const image = await decodeImage(samplePhoto(photo));
    for (const label of ['live', 'spoof'] as const) {
      for (const framing of ['context2x', 'tight'] as const) {
        const crop = cropFace(image, box, { cropScale: framing === 'tight' ? 1 : 2, size: 192 });
        const tint = label === 'live' ? [1.2, 1, 0.7] : [0.7, 1, 1.2];
        const tinted = await sharp(await encode(crop))
          .linear(tint, [0, 0, 0])
          .jpeg()
          .toBuffer();
        const dir = join(root, `source-${photo}`, label);
        mkdirSync(dir, { recursive: true });
        const name = `${String(index++).padStart(3, '0')}.jpg`;
        writeFileSync(join(dir, name), tinted);
        const attack = label === 'live' ? 'none' : index % 4 === 0 ? 'print' : 'replay';
        lines.push(
          `source-${photo}/${label}/${name},${label},${attack},subject-${photo},source-${photo},${framing},192,192`,
        );
      }
    }
  }
  mkdirSync(join(root, 'empty'), { recursive: true });
  writeFileSync(join(root, 'empty', 'wall.png'), await encode(patternImage(192, 192, () => 128)));
  lines.push('empty/wall.png,live,none,nobody,empty,context2x,192,192');
  const manifest = join(root, 'manifest.csv');
  writeFileSync(manifest, lines.join('\n') + '\n');
  return { root, manifest, rows: lines.length - 1 };
}
