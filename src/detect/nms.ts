import type { RawDetection } from './decode.js';

/** A box by its corners: what detections carry, and what tracking converts its boxes to. */
export type Corners = Pick<RawDetection, 'xMin' | 'yMin' | 'xMax' | 'yMax'>;

export function intersectionOverUnion(a: Corners, b: Corners): number {
  const ix = Math.min(a.xMax, b.xMax) - Math.max(a.xMin, b.xMin);
  const iy = Math.min(a.yMax, b.yMax) - Math.max(a.yMin, b.yMin);
  if (ix <= 0 || iy <= 0) return 0;
  const intersection = ix * iy;
  const union = (a.xMax - a.xMin) * (a.yMax - a.yMin) + (b.xMax - b.xMin) * (b.yMax - b.yMin) - intersection;
  return union > 0 ? intersection / union : 0;
}

/**
 * MediaPipe's WEIGHTED non-maximum suppression: take the best remaining detection, gather every remaining
 * detection (itself included) whose IoU with it exceeds minSuppressionThreshold, and replace the cluster by the
 * score-weighted average of their boxes and keypoints. The result keeps the best detection's score.
 * Output is sorted by score, descending.
 */
export function weightedNonMaxSuppression(
  detections: readonly RawDetection[],
  minSuppressionThreshold = 0.3,
): RawDetection[] {
  // Stable sort: equal scores keep decode (anchor) order, as std::stable_sort would in MediaPipe.
  let remaining = [...detections].sort((a, b) => b.score - a.score);
  const output: RawDetection[] = [];
  while (remaining.length > 0) {
    const best = remaining[0]!;
    const cluster: RawDetection[] = [];
    const rest: RawDetection[] = [];
    for (const candidate of remaining) {
      if (intersectionOverUnion(candidate, best) > minSuppressionThreshold) cluster.push(candidate);
      else rest.push(candidate);
    }
    if (cluster.length === 0) {
      // A degenerate (zero-area) box overlaps nothing, not even itself: emit it as is so the loop progresses.
      output.push(best);
      remaining = rest.slice(1);
      continue;
    }
    output.push(weightedAverage(cluster, best.score));
    remaining = rest;
  }
  return output;
}

function weightedAverage(cluster: readonly RawDetection[], score: number): RawDetection {
  let total = 0;
  let xMin = 0;
  let yMin = 0;
  let xMax = 0;
  let yMax = 0;
  const keypoints = new Array<number>(cluster[0]!.keypoints.length).fill(0);
  for (const d of cluster) {
    total += d.score;
    xMin += d.xMin * d.score;
    yMin += d.yMin * d.score;
    xMax += d.xMax * d.score;
    yMax += d.yMax * d.score;
    for (let k = 0; k < keypoints.length; k++) keypoints[k] = keypoints[k]! + (d.keypoints[k] ?? 0) * d.score;
  }
  return {
    xMin: xMin / total,
    yMin: yMin / total,
    xMax: xMax / total,
    yMax: yMax / total,
    keypoints: keypoints.map((v) => v / total),
    score,
  };
}
