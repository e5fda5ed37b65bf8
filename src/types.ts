/** An 8-bit sRGB image, 3 interleaved channels (RGBRGB...), row-major. */
export interface RgbImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/** Axis-aligned box in image pixels; x, y is the top-left corner. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Point {
  x: number;
  y: number;
}

/** A face found by the detector: box, 6 keypoints (eyes, nose, mouth, ear tragions) and detector confidence. */
export interface DetectedFace {
  box: Box;
  keypoints: Point[];
  score: number;
}
