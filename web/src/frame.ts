import type { RgbImage } from '../../src/types.js';

/** Reads the current video frame as the pipeline's RgbImage (RGBA canvas pixels, alpha dropped). */
export class FrameGrabber {
  private readonly canvas = document.createElement('canvas');
  private readonly context: CanvasRenderingContext2D;

  constructor() {
    const context = this.canvas.getContext('2d', { willReadFrequently: true, alpha: false });
    if (!context) throw new Error('no 2D canvas context');
    this.context = context;
  }

  grab(video: HTMLVideoElement): RgbImage {
    const width = video.videoWidth;
    const height = video.videoHeight;
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    this.context.drawImage(video, 0, 0, width, height);
    const rgba = this.context.getImageData(0, 0, width, height).data;
    const data = new Uint8Array(width * height * 3);
    for (let p = 0, q = 0; p < rgba.length; p += 4, q += 3) {
      data[q] = rgba[p]!;
      data[q + 1] = rgba[p + 1]!;
      data[q + 2] = rgba[p + 2]!;
    }
    return { data, width, height };
  }
}

/** Resolves at the next decoded video frame (requestVideoFrameCallback), or the next animation frame with a new time. */
export function nextVideoFrame(video: HTMLVideoElement, lastTime: number): Promise<number> {
  if (typeof video.requestVideoFrameCallback === 'function')
    return new Promise((resolve) => video.requestVideoFrameCallback((_now, meta) => resolve(meta.mediaTime)));
  return new Promise((resolve) => {
    const poll = () => (video.currentTime !== lastTime ? resolve(video.currentTime) : requestAnimationFrame(poll));
    requestAnimationFrame(poll);
  });
}
