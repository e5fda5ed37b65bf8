/** Source taps of one output sample: indices into the region (0..regionLength-1) and their weights. */
export interface Taps {
  indices: Int32Array;
  weights: Float32Array;
}

/**
 * Area averaging (OpenCV INTER_AREA) when shrinking: every output pixel is the mean of the source pixels it covers,
 * fractional ones weighted by coverage — no aliasing of the screen grids and halftone the model looks for.
 * When enlarging, bilinear with pixel centres at +0.5 (what INTER_AREA itself falls back to).
 */
export function resampleTaps(regionLength: number, outputLength: number): Taps[] {
  const taps: Taps[] = [];
  if (regionLength >= outputLength) {
    const ratio = regionLength / outputLength;
    for (let o = 0; o < outputLength; o++) {
      const start = o * ratio;
      const end = start + ratio;
      const first = Math.floor(start);
      const last = Math.min(regionLength - 1, Math.ceil(end) - 1);
      const indices: number[] = [];
      const weights: number[] = [];
      for (let j = first; j <= last; j++) {
        const covered = Math.min(end, j + 1) - Math.max(start, j);
        if (covered <= 1e-9) continue;
        indices.push(j);
        weights.push(covered / ratio);
      }
      taps.push({ indices: Int32Array.from(indices), weights: Float32Array.from(weights) });
    }
    return taps;
  }
  const ratio = regionLength / outputLength;
  for (let o = 0; o < outputLength; o++) {
    const position = Math.min(Math.max((o + 0.5) * ratio - 0.5, 0), regionLength - 1);
    const left = Math.floor(position);
    const right = Math.min(left + 1, regionLength - 1);
    const fraction = position - left;
    taps.push(
      right === left || fraction === 0
        ? { indices: Int32Array.of(left), weights: Float32Array.of(1) }
        : { indices: Int32Array.of(left, right), weights: Float32Array.of(1 - fraction, fraction) },
    );
  }
  return taps;
}

/** Taps flattened for the hot loops: `stride` slots per output, each tap an offset (a source index mapped by the
 * caller, e.g. to a byte offset) and a weight. */
export interface PackedTaps {
  /** Taps of output i at [i * stride, i * stride + counts[i]). */
  offsets: Int32Array;
  weights: Float32Array;
  counts: Int32Array;
  stride: number;
}

export function packTaps(taps: Taps[], offsetOf: (regionIndex: number) => number): PackedTaps {
  const stride = Math.max(...taps.map((t) => t.indices.length));
  const offsets = new Int32Array(taps.length * stride);
  const weights = new Float32Array(taps.length * stride);
  const counts = new Int32Array(taps.length);
  taps.forEach((t, i) => {
    counts[i] = t.indices.length;
    t.indices.forEach((j, k) => (offsets[i * stride + k] = offsetOf(j)));
    weights.set(t.weights, i * stride);
  });
  return { offsets, weights, counts, stride };
}
