// Frames of labelled captures -> sequences -> fused scores, offline and without running a model: shared by
// `antispoof calibrate --sequence-length` (fits a card's stream threshold) and bench/stream-fusion.ts (measures
// whether fusion beats single frames). Fusion is the product's ScoreFusion, so a sequence's fused score is the one a
// LivenessSession holding one track would reach.
import type { CheckResult } from '../check.js';
import { ScoreFusion, type FusionOptions } from '../decide/fusion.js';
import { AntispoofError } from '../errors.js';
import type { ScoredSample } from './types.js';

export interface SequenceKey {
  source: string;
  subject: string;
  label: 'live' | 'spoof';
  /** PAI species; 'none' for live. */
  attack: string;
}

export interface SequenceScores extends SequenceKey {
  /** P(live) of the decided face on each frame that passed the quality gate: the frames the session fuses. */
  frameScores: number[];
  /** Frames with no usable face (none found, failed quality gate, unreadable): frame-level retries. */
  frameRetries: number;
  /** Fused P(live) after the last frame, once minFrames good frames were seen; null: it ended in retry. */
  fused: number | null;
}

/** The group a frame's sequence is cut from: one (source, label, attack, subject). */
export function sequenceKey(key: SequenceKey): string {
  return `${key.source}|${key.label}|${key.attack}|${key.subject}`;
}

/**
 * What a frame gives a session's fusion: the P(live) of its largest face (listed first, the one a session decides
 * on) when that face passed the quality gate; null for no face, a failed gate, or an unreadable frame.
 */
export function sessionFrameScore(result: CheckResult | null): number | null {
  const face = result?.faces[0];
  return face !== undefined && face.reasons.length === 0 ? face.score : null;
}

/**
 * Cuts frames into sequences of `length`: frames of one (source, label, attack, subject) in the order given, in
 * consecutive runs; a group's last run shorter than `length` is left out.
 */
export function cutIntoSequences<T extends SequenceKey>(frames: readonly T[], length: number): T[][] {
  if (!Number.isInteger(length) || length < 1)
    throw new AntispoofError('INVALID_INPUT', `sequence length must be >= 1, got ${length}`);
  const groups = new Map<string, T[]>();
  for (const frame of frames) {
    const key = sequenceKey(frame);
    const group = groups.get(key);
    if (group) group.push(frame);
    else groups.set(key, [frame]);
  }
  const sequences: T[][] = [];
  for (const group of groups.values())
    for (let start = 0; start + length <= group.length; start += length)
      sequences.push(group.slice(start, start + length));
  return sequences;
}

/** Fuses one sequence: `scores` holds each frame's P(live), or null for a frame without a usable face. */
export function fuseSequence(
  key: SequenceKey,
  scores: ReadonlyArray<number | null>,
  options: FusionOptions,
): SequenceScores {
  const fusion = new ScoreFusion(options);
  const frameScores: number[] = [];
  for (const score of scores) {
    if (score === null) continue;
    frameScores.push(score);
    fusion.add(score);
  }
  return {
    source: key.source,
    subject: key.subject,
    label: key.label,
    attack: key.attack,
    frameScores,
    frameRetries: scores.length - frameScores.length,
    fused: fusion.ready ? fusion.score : null,
  };
}

const sample = (s: SequenceScores, score: number): ScoredSample => ({
  score,
  label: s.label,
  attack: s.attack,
  source: s.source,
  subject: s.subject,
});

/** One scored sample per good frame. */
export function frameRows(sequences: readonly SequenceScores[]): ScoredSample[] {
  return sequences.flatMap((s) => s.frameScores.map((score) => sample(s, score)));
}

/** One scored sample per decided sequence (its fused score). */
export function sequenceRows(sequences: readonly SequenceScores[]): ScoredSample[] {
  return sequences.flatMap((s) => (s.fused === null ? [] : [sample(s, s.fused)]));
}
