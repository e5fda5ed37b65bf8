import { DEFAULT_FUSION, ScoreFusion, type FusionOptions } from './decide/fusion.js';
import { FaceTracker } from './decide/tracking.js';
import type { Verdict } from './decide/verdict.js';
import { AntispoofError } from './errors.js';
import type { CheckOptions, CheckResult, FaceResult } from './pipeline.js';
import type { RgbImage } from './types.js';

/**
 * What a session needs of a checker: the Node checker (files, Buffers, decoded images) and the browser's (video
 * frames, canvases, ImageData) both are one, each with its own `Input`.
 */
export interface FrameChecker<Input = RgbImage> {
  readonly streamThreshold: number;
  check(input: Input, options?: CheckOptions): Promise<CheckResult>;
}

export interface StreamOptions extends Partial<FusionOptions> {
  /** A face unseen for longer than this starts over as a new person. */
  maxGapMs?: number;
  /** Fused P(live) at or above which the decision is live. Default: the checker's `streamThreshold`. */
  threshold?: number;
}

export interface TrackedFace extends FaceResult {
  trackId: number;
  /** Fused P(live) over the track's recent good frames; null before the first one. */
  fusedScore: number | null;
  goodFrames: number;
  /** 'retry' until enough good frames; then live or spoof from the fused score. */
  decision: Verdict;
}

export interface StreamUpdate {
  timestampMs: number;
  width: number;
  height: number;
  faces: TrackedFace[];
  /** The decision for the largest face in the frame; 'retry' when there is none. */
  decision: Verdict;
}

/**
 * Liveness over a sequence of frames: per-frame scores of each tracked face fused in log-odds. Frames that fail
 * the quality gate add no evidence. Feed frames in time order. The fused score is compared with the stream
 * threshold (the card's `threshold.stream`), not the single-frame one: fusion narrows the score distribution, so
 * one threshold would sit at a different operating point on frames and on sequences.
 */
export class LivenessSession<Input = RgbImage> {
  private readonly tracker: FaceTracker<ScoreFusion>;
  private lastTimestamp = -Infinity;
  private readonly fusion: FusionOptions;
  /** Fused P(live) at or above which a face is decided live. */
  readonly threshold: number;

  constructor(
    private readonly checker: FrameChecker<Input>,
    options: StreamOptions = {},
  ) {
    this.threshold = options.threshold ?? checker.streamThreshold;
    if (!(this.threshold >= 0 && this.threshold <= 1))
      throw new AntispoofError('INVALID_INPUT', `stream threshold must be in [0, 1], got ${String(this.threshold)}`);
    this.fusion = {
      minFrames: options.minFrames ?? DEFAULT_FUSION.minFrames,
      window: options.window ?? DEFAULT_FUSION.window,
    };
    this.tracker = new FaceTracker(() => new ScoreFusion(this.fusion), 0.3, options.maxGapMs ?? 1000);
  }

  async push(frame: Input, timestampMs: number, checkOptions?: CheckOptions): Promise<StreamUpdate> {
    if (!Number.isFinite(timestampMs) || timestampMs < this.lastTimestamp)
      throw new AntispoofError('INVALID_INPUT', `frame timestamps must be finite and non-decreasing`);
    this.lastTimestamp = timestampMs;
    const result = await this.checker.check(frame, checkOptions);
    const tracks = this.tracker.update(
      result.faces.map((face) => face.box),
      timestampMs,
    );
    const faces = result.faces.map((face, i): TrackedFace => {
      const track = tracks[i]!;
      if (face.reasons.length === 0) track.state.add(face.score);
      const fusedScore = track.state.score;
      const decision: Verdict =
        !track.state.ready || fusedScore === null ? 'retry' : fusedScore >= this.threshold ? 'live' : 'spoof';
      return { ...face, trackId: track.id, fusedScore, goodFrames: track.state.frames, decision };
    });
    return { timestampMs, width: result.width, height: result.height, faces, decision: faces[0]?.decision ?? 'retry' };
  }
}

/** Runs a whole frame sequence through a session, yielding the running decision after each frame. */
export async function* checkStream<Input>(
  checker: FrameChecker<Input>,
  frames: AsyncIterable<{ image: Input; timestampMs: number }> | Iterable<{ image: Input; timestampMs: number }>,
  options: StreamOptions = {},
): AsyncGenerator<StreamUpdate> {
  const session = new LivenessSession(checker, options);
  for await (const frame of frames) yield await session.push(frame.image, frame.timestampMs);
}
