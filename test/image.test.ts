import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { decodeImage } from '../src/image/decode.js';
import { AntispoofError } from '../src/errors.js';
import { samplePhoto } from './helpers/images.js';

async function errorCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AntispoofError);
    return (error as AntispoofError).code;
  }
  throw new Error('expected decodeImage to fail');
}

const solid = (background: string, channels: 3 | 4 = 3) =>
  sharp({ create: { width: 32, height: 24, channels, background } });

describe('decodeImage', () => {
  it('decodes a real JPEG to 8-bit RGB', async () => {
    const image = await decodeImage(samplePhoto(1));
    expect(image.data.length).toBe(image.width * image.height * 3);
    expect(image.width).toBeGreaterThan(100);
  });

  it('applies EXIF orientation', async () => {
    const rotated = await solid('#f00').jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const image = await decodeImage(rotated);
    expect([image.width, image.height]).toEqual([24, 32]);
  });

  it('converts CMYK, grey, 16-bit and alpha to sRGB RGB', async () => {
    const cmyk = await decodeImage(await solid('#00ff00').toColourspace('cmyk').jpeg().toBuffer());
    expect(cmyk.data.length).toBe(32 * 24 * 3);
    expect(cmyk.data[1]!).toBeGreaterThan(cmyk.data[0]!); // still green after the round trip through CMYK

    const grey = await decodeImage(await solid('#808080').greyscale().png().toBuffer());
    expect(Array.from(grey.data.subarray(0, 3))).toEqual([128, 128, 128]);

    const deep = await decodeImage(await solid('#0000ff').toColourspace('rgb16').png().toBuffer());
    expect(Array.from(deep.data.subarray(0, 3))).toEqual([0, 0, 255]);

    const alpha = await decodeImage(await solid('rgba(255,0,0,0)', 4).png().toBuffer());
    expect(Array.from(alpha.data.subarray(0, 3))).toEqual([255, 255, 255]); // fully transparent -> white
  });

  it('decodes WebP', async () => {
    const image = await decodeImage(await solid('#123456').webp({ lossless: true }).toBuffer());
    expect(Array.from(image.data.subarray(0, 3))).toEqual([0x12, 0x34, 0x56]);
  });

  it('accepts raw RGBA pixels', async () => {
    const image = await decodeImage({
      data: new Uint8Array([1, 2, 3, 255, 4, 5, 6, 255]),
      width: 2,
      height: 1,
      channels: 4,
    });
    expect(Array.from(image.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('refuses bad input with a clear error code', async () => {
    expect(await errorCode(decodeImage(Buffer.alloc(0)))).toBe('DECODE_FAILED');
    expect(await errorCode(decodeImage(Buffer.from('this is a text file, not a picture')))).toBe('UNSUPPORTED_FORMAT');
    expect(await errorCode(decodeImage('/definitely/not/here.jpg'))).toBe('INVALID_INPUT');
    const jpeg = await sharp(samplePhoto(2)).jpeg().toBuffer();
    expect(await errorCode(decodeImage(jpeg.subarray(0, jpeg.length >> 1)))).toBe('DECODE_FAILED');
    expect(await errorCode(decodeImage({ data: new Uint8Array(5), width: 2, height: 1, channels: 3 }))).toBe(
      'INVALID_INPUT',
    );
  });

  it('refuses a decompression bomb from its header, without decoding it', async () => {
    const png = Buffer.from(await solid('#000').png().toBuffer());
    png.writeUInt32BE(50_000, 16); // IHDR width
    png.writeUInt32BE(50_000, 20); // IHDR height
    expect(await errorCode(decodeImage(png))).toBe('IMAGE_TOO_LARGE');
    expect(await errorCode(decodeImage(await solid('#000').png().toBuffer(), { maxPixels: 100 }))).toBe(
      'IMAGE_TOO_LARGE',
    );
  });
});
