import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import type { RgbImage } from '../../src/types.js';

const require = createRequire(import.meta.url);

/** Real group photos shipped by @vladmandic/face-api (MIT), a devDependency: demo/sample1.jpg ... sample6.jpg. */
export function samplePhoto(n: 1 | 2 | 3 | 4 | 5 | 6): string {
  return join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo', `sample${n}.jpg`);
}

export function solidImage(width: number, height: number, rgb: [number, number, number]): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) data.set(rgb, p * 3);
  return { data, width, height };
}

/** Pixel value = a function of its coordinates, so every crop can be checked against a hand computation. */
export function patternImage(
  width: number,
  height: number,
  value: (x: number, y: number, c: number) => number,
): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = value(x, y, c);
  return { data, width, height };
}

export async function encode(image: RgbImage, format: 'png' | 'jpeg' = 'png'): Promise<Buffer> {
  const pipeline = sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } });
  return format === 'png' ? pipeline.png().toBuffer() : pipeline.jpeg({ quality: 95 }).toBuffer();
}
