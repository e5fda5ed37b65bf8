import { resolve } from 'node:path';
import sharp from 'sharp';
import { cropFace } from '../crop/index.js';
import { decodeImage } from '../image/decode.js';
import type { Box } from '../types.js';

/** A small JPEG of the face as the classifier saw it, inlined so the report stays one self-contained file. */
export async function faceThumbnail(root: string, path: string, box: Box | undefined, size = 160): Promise<string> {
  const image = await decodeImage(resolve(root, path));
  const face = box ?? { x: 0, y: 0, width: image.width, height: image.height };
  const crop = cropFace(image, face, { cropScale: 1.5, size });
  const jpeg = await sharp(crop.data, { raw: { width: size, height: size, channels: 3 } })
    .jpeg({ quality: 80 })
    .toBuffer();
  return `data:image/jpeg;base64,${jpeg.toString('base64')}`;
}
