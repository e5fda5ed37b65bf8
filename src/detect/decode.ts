import type { Anchor } from './anchors.js';

/** A detection before NMS, in normalized model-input coordinates (0..1 of the 128x128 letterboxed input). */
export interface RawDetection {
  xMin: number;
  yMin: number;
  xMax: number;
  yMax: number;
  /** Interleaved x, y pairs. */
  keypoints: number[];
  score: number;
}

/** The subset of MediaPipe's TensorsToDetectionsCalculatorOptions that BlazeFace uses. */
export interface DecodeOptions {
  numCoords: number;
  boxCoordOffset: number;
  keypointCoordOffset: number;
  numKeypoints: number;
  numValuesPerKeypoint: number;
  xScale: number;
  yScale: number;
  wScale: number;
  hScale: number;
  scoreClippingThresh: number;
  minScoreThresh: number;
}

export const SHORT_RANGE_DECODE_OPTIONS: Readonly<DecodeOptions> = Object.freeze({
  numCoords: 16,
  boxCoordOffset: 0,
  keypointCoordOffset: 4,
  numKeypoints: 6,
  numValuesPerKeypoint: 2,
  xScale: 128,
  yScale: 128,
  wScale: 128,
  hScale: 128,
  scoreClippingThresh: 100,
  minScoreThresh: 0.5,
});

export function sigmoidScore(logit: number, clip: number): number {
  const clipped = Math.min(Math.max(logit, -clip), clip);
  return 1 / (1 + Math.exp(-clipped));
}

/**
 * Turns the raw model outputs (regressors [N, numCoords], classificators [N, 1]) into detections scoring at least
 * minScoreThresh. Offsets are in x, y, w, h order (MediaPipe's reverse_output_order) relative to each anchor.
 */
export function decodeDetections(
  regressors: Float32Array,
  classificators: Float32Array,
  anchors: readonly Anchor[],
  options: Readonly<DecodeOptions>,
): RawDetection[] {
  if (classificators.length !== anchors.length || regressors.length !== anchors.length * options.numCoords) {
    throw new Error(
      `model output size mismatch: ${regressors.length} regressors, ${classificators.length} scores, ${anchors.length} anchors`,
    );
  }
  const detections: RawDetection[] = [];
  for (let i = 0; i < anchors.length; i++) {
    const score = sigmoidScore(classificators[i]!, options.scoreClippingThresh);
    if (score < options.minScoreThresh) continue;
    const anchor = anchors[i]!;
    const base = i * options.numCoords;
    const box = base + options.boxCoordOffset;
    const xCenter = (regressors[box]! / options.xScale) * anchor.width + anchor.xCenter;
    const yCenter = (regressors[box + 1]! / options.yScale) * anchor.height + anchor.yCenter;
    const w = (regressors[box + 2]! / options.wScale) * anchor.width;
    const h = (regressors[box + 3]! / options.hScale) * anchor.height;
    const keypoints: number[] = [];
    for (let k = 0; k < options.numKeypoints; k++) {
      const offset = base + options.keypointCoordOffset + k * options.numValuesPerKeypoint;
      keypoints.push(
        (regressors[offset]! / options.xScale) * anchor.width + anchor.xCenter,
        (regressors[offset + 1]! / options.yScale) * anchor.height + anchor.yCenter,
      );
    }
    detections.push({
      xMin: xCenter - w / 2,
      yMin: yCenter - h / 2,
      xMax: xCenter + w / 2,
      yMax: yCenter + h / 2,
      keypoints,
      score,
    });
  }
  return detections;
}
