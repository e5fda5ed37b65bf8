/** One SSD anchor in normalized input coordinates (0..1). */
export interface Anchor {
  xCenter: number;
  yCenter: number;
  width: number;
  height: number;
}

/** The subset of MediaPipe's SsdAnchorsCalculatorOptions that BlazeFace uses. */
export interface SsdAnchorOptions {
  inputWidth: number;
  inputHeight: number;
  minScale: number;
  maxScale: number;
  anchorOffsetX: number;
  anchorOffsetY: number;
  strides: number[];
  aspectRatios: number[];
  /** Adds one anchor per layer with scale sqrt(scale * nextScale) at this aspect ratio; 0 disables it. */
  interpolatedScaleAspectRatio: number;
  fixedAnchorSize: boolean;
}

export const SHORT_RANGE_ANCHOR_OPTIONS: Readonly<SsdAnchorOptions> = Object.freeze({
  inputWidth: 128,
  inputHeight: 128,
  minScale: 0.1484375,
  maxScale: 0.75,
  anchorOffsetX: 0.5,
  anchorOffsetY: 0.5,
  strides: [8, 16, 16, 16],
  aspectRatios: [1.0],
  interpolatedScaleAspectRatio: 1.0,
  fixedAnchorSize: true,
});

function layerScale(minScale: number, maxScale: number, layer: number, numLayers: number): number {
  return numLayers === 1 ? (minScale + maxScale) / 2 : minScale + ((maxScale - minScale) * layer) / (numLayers - 1);
}

/**
 * Anchors in the order the model emits its predictions: consecutive layers that share a stride are merged
 * into one feature map with all their anchors per cell, cells row-major, anchors innermost.
 */
export function generateSsdAnchors(options: Readonly<SsdAnchorOptions>): Anchor[] {
  const { strides } = options;
  const anchors: Anchor[] = [];
  let layer = 0;
  while (layer < strides.length) {
    const stride = strides[layer]!;
    const sizes: { width: number; height: number }[] = [];
    let last = layer;
    while (last < strides.length && strides[last] === stride) {
      const scale = layerScale(options.minScale, options.maxScale, last, strides.length);
      for (const ratio of options.aspectRatios) {
        sizes.push({ width: scale * Math.sqrt(ratio), height: scale / Math.sqrt(ratio) });
      }
      if (options.interpolatedScaleAspectRatio > 0) {
        const next =
          last === strides.length - 1 ? 1 : layerScale(options.minScale, options.maxScale, last + 1, strides.length);
        const scaleNext = Math.sqrt(scale * next);
        const ratio = Math.sqrt(options.interpolatedScaleAspectRatio);
        sizes.push({ width: scaleNext * ratio, height: scaleNext / ratio });
      }
      last++;
    }
    const rows = Math.ceil(options.inputHeight / stride);
    const cols = Math.ceil(options.inputWidth / stride);
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < cols; x++) {
        for (const size of sizes) {
          anchors.push({
            xCenter: (x + options.anchorOffsetX) / cols,
            yCenter: (y + options.anchorOffsetY) / rows,
            width: options.fixedAnchorSize ? 1 : size.width,
            height: options.fixedAnchorSize ? 1 : size.height,
          });
        }
      }
    }
    layer = last;
  }
  return anchors;
}

/** The 896 anchors of BlazeFace short-range (16x16x2 at stride 8, then 8x8x6 at stride 16). */
export const SHORT_RANGE_ANCHORS: readonly Anchor[] = Object.freeze(generateSsdAnchors(SHORT_RANGE_ANCHOR_OPTIONS));
