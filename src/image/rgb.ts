import { AntispoofError } from '../errors.js';
import type { RgbImage } from '../types.js';

/**
 * Refuses an RgbImage whose size and data disagree, before any pixel is read: a short buffer would otherwise be read
 * as zeros (undefined -> NaN -> 0) and give a plausible-looking crop or detection. No sharp here: the browser uses it.
 */
export function checkRgbImage(image: RgbImage): void {
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new AntispoofError('INVALID_INPUT', `image size must be positive integers, got ${width}x${height}`);
  }
  if (!(data instanceof Uint8Array) || data.length !== width * height * 3) {
    throw new AntispoofError(
      'INVALID_INPUT',
      `image data must be a Uint8Array of width*height*3 = ${width * height * 3} bytes, got ${data?.length}`,
    );
  }
}
