import { AntispoofError } from '../errors.js';
import type { RgbImage } from '../types.js';
import { checkRgbImage } from './rgb.js';

/** What the browser checker takes: anything a canvas can draw, canvas pixels, or an already decoded RgbImage. */
export type FrameInput =
  | RgbImage
  | ImageData
  | HTMLVideoElement
  | HTMLCanvasElement
  | HTMLImageElement
  | ImageBitmap
  | OffscreenCanvas
  | VideoFrame;

function isRgbImage(input: unknown): input is RgbImage {
  return (
    typeof input === 'object' && input !== null && 'data' in input && (input as RgbImage).data instanceof Uint8Array
  );
}

function isImageData(input: unknown): input is ImageData {
  return (
    typeof input === 'object' &&
    input !== null &&
    'data' in input &&
    (input as ImageData).data instanceof Uint8ClampedArray &&
    'colorSpace' in input
  );
}

/** RGBA pixels (canvas order) -> the pipeline's packed RGB. */
export function rgbaToRgb(rgba: Uint8ClampedArray | Uint8Array, width: number, height: number): RgbImage {
  if (rgba.length !== width * height * 4)
    throw new AntispoofError('INVALID_INPUT', `expected ${width}x${height} RGBA pixels, got ${rgba.length} bytes`);
  const data = new Uint8Array(width * height * 3);
  for (let p = 0, q = 0; p < rgba.length; p += 4, q += 3) {
    data[q] = rgba[p]!;
    data[q + 1] = rgba[p + 1]!;
    data[q + 2] = rgba[p + 2]!;
  }
  return { data, width, height };
}

function sourceSize(source: CanvasImageSource | VideoFrame): { width: number; height: number } {
  if (typeof HTMLVideoElement !== 'undefined' && source instanceof HTMLVideoElement)
    return { width: source.videoWidth, height: source.videoHeight };
  if (typeof HTMLImageElement !== 'undefined' && source instanceof HTMLImageElement)
    return { width: source.naturalWidth, height: source.naturalHeight };
  if (typeof VideoFrame !== 'undefined' && source instanceof VideoFrame)
    return { width: source.displayWidth, height: source.displayHeight };
  const { width, height } = source as { width: number; height: number };
  return { width, height };
}

/**
 * Reads the pixels of a frame source once per call, through a reused canvas (OffscreenCanvas where the page or
 * worker has one). A video that has no frame yet (0x0) is INVALID_INPUT, not an empty answer.
 */
export class FrameReader {
  private canvas: OffscreenCanvas | HTMLCanvasElement | undefined;
  private context: OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D | undefined;

  read(input: FrameInput): RgbImage {
    if (isRgbImage(input)) {
      checkRgbImage(input);
      return input;
    }
    if (isImageData(input)) return rgbaToRgb(input.data, input.width, input.height);
    const { width, height } = sourceSize(input);
    if (!(width > 0 && height > 0))
      throw new AntispoofError('INVALID_INPUT', `the frame source has no pixels yet (${width}x${height})`);
    const context = this.contextOf(width, height);
    context.drawImage(input as CanvasImageSource, 0, 0, width, height);
    return rgbaToRgb(context.getImageData(0, 0, width, height).data, width, height);
  }

  private contextOf(width: number, height: number): OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D {
    if (!this.canvas) {
      this.canvas =
        typeof OffscreenCanvas !== 'undefined'
          ? new OffscreenCanvas(width, height)
          : globalThis.document?.createElement('canvas');
      if (!this.canvas) throw new AntispoofError('INVALID_INPUT', 'no canvas here to read frame pixels with');
      this.context =
        (this.canvas.getContext('2d', { willReadFrequently: true, alpha: false }) as
          OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D | null) ?? undefined;
      if (!this.context) throw new AntispoofError('INVALID_INPUT', 'no 2D canvas context to read frame pixels with');
    }
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    return this.context!;
  }
}
