import type { StreamUpdate, Verdict } from 'antispoof/web';

/** What the page exposes as window.antispoofStats (read by test/browser.test.ts). */
export interface AntispoofStats {
  /** Frames run through detect + classify so far. */
  frames: number;
  /** Median per-frame latency of detect + crop + classify + quality gate, ms, over the recent frames; null before one. */
  medianMs: number | null;
  medianDetectMs: number | null;
  medianClassifyMs: number | null;
  /** Decision for the largest face of the last frame (fused over its good frames); null before the first frame. */
  lastDecision: Verdict | null;
  /** Faces of the last frame, as shown on screen. */
  lastFaces: Array<{
    trackId: number;
    verdict: Verdict;
    score: number;
    fusedScore: number | null;
    goodFrames: number;
    decision: Verdict;
    reasons: string[];
  }>;
  /** Frames in which at least one face was classified. */
  classifiedFrames: number;
  runtime: { backend: string; threads: number; crossOriginIsolated: boolean; proxy: boolean } | null;
  model: { name: string; version: string; url: string; threshold: number } | null;
  /**
   * Longest time the page's own thread was blocked while frames were checked (a 10 ms heartbeat's worst lateness):
   * how long the UI can freeze. With onnxruntime's proxy worker only pixel reading, crop and NMS run here.
   */
  longestStallMs: number;
  /** Set when the page could not start (models, camera). */
  error: string | null;
}

export function emptyStats(): AntispoofStats {
  return {
    frames: 0,
    medianMs: null,
    medianDetectMs: null,
    medianClassifyMs: null,
    lastDecision: null,
    lastFaces: [],
    classifiedFrames: 0,
    runtime: null,
    model: null,
    longestStallMs: 0,
    error: null,
  };
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The last `capacity` samples of a latency. */
export class Samples {
  private readonly values: number[] = [];
  constructor(private readonly capacity = 120) {}
  add(value: number): void {
    this.values.push(value);
    if (this.values.length > this.capacity) this.values.shift();
  }
  get median(): number | null {
    return median(this.values);
  }
}

export function summarizeFaces(update: StreamUpdate): AntispoofStats['lastFaces'] {
  return update.faces.map((face) => ({
    trackId: face.trackId,
    verdict: face.verdict,
    score: face.score,
    fusedScore: face.fusedScore,
    goodFrames: face.goodFrames,
    decision: face.decision,
    reasons: [...face.reasons],
  }));
}
