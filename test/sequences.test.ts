import { describe, expect, it } from 'vitest';
import { logit, sigmoid } from '../src/decide/fusion.js';
import type { CheckResult } from '../src/check.js';
import {
  cutIntoSequences,
  frameRows,
  fuseSequence,
  sequenceKey,
  sequenceRows,
  sessionFrameScore,
} from '../src/evaluate/sequences.js';

const frame = (source: string, label: 'live' | 'spoof', index: number, subject = 's') => ({
  source,
  subject,
  label,
  attack: label === 'live' ? 'none' : 'replay',
  index,
});

describe('cutIntoSequences', () => {
  it('keeps each (source, label, attack, subject) in input order, in consecutive runs, and drops a short tail', () => {
    const frames = [
      frame('a', 'live', 0),
      frame('a', 'spoof', 1),
      frame('a', 'live', 2),
      frame('b', 'live', 3),
      frame('a', 'live', 4),
      frame('a', 'live', 5),
      frame('a', 'spoof', 6),
      frame('a', 'live', 7, 'other'),
    ];
    const sequences = cutIntoSequences(frames, 2).map((s) => s.map((f) => f.index));
    // a/live/s: 0,2,4,5 -> [0,2],[4,5]; a/spoof: 1,6 -> [1,6]; b/live: 3 (too short); a/live/other: 7 (too short).
    expect(sequences).toEqual([
      [0, 2],
      [4, 5],
      [1, 6],
    ]);
    expect(cutIntoSequences(frames, 3).map((s) => s.map((f) => f.index))).toEqual([[0, 2, 4]]);
    expect(() => cutIntoSequences(frames, 0)).toThrow(RangeError);
  });
});

describe('fuseSequence', () => {
  const key = frame('a', 'live', 0);

  it('fuses the good frames as the mean of their log-odds and counts the others as retries', () => {
    const fused = fuseSequence(key, [0.9, null, 0.6, 0.3, null], { minFrames: 3, window: 15 });
    expect(fused.frameScores).toEqual([0.9, 0.6, 0.3]);
    expect(fused.frameRetries).toBe(2);
    expect(fused.fused).toBeCloseTo(sigmoid((logit(0.9) + logit(0.6) + logit(0.3)) / 3), 12);
    expect(fused).toMatchObject({ source: 'a', subject: 's', label: 'live', attack: 'none' });
  });

  it('is a retry (null) with fewer good frames than minFrames, and averages only the last `window` frames', () => {
    expect(fuseSequence(key, [0.9, null, 0.9, null], { minFrames: 3, window: 15 }).fused).toBeNull();
    const windowed = fuseSequence(key, [0.01, 0.8, 0.7], { minFrames: 2, window: 2 });
    expect(windowed.fused).toBeCloseTo(sigmoid((logit(0.8) + logit(0.7)) / 2), 12);
  });

  it('gives one row per good frame and one per decided sequence', () => {
    const a = fuseSequence(key, [0.9, 0.8, null], { minFrames: 2, window: 15 });
    const b = fuseSequence(frame('a', 'spoof', 1), [0.2, null, null], { minFrames: 2, window: 15 });
    expect(frameRows([a, b]).map((r) => [r.label, r.score])).toEqual([
      ['live', 0.9],
      ['live', 0.8],
      ['spoof', 0.2],
    ]);
    expect(sequenceRows([a, b]).map((r) => r.label)).toEqual(['live']);
  });
});

describe('sessionFrameScore and sequenceKey', () => {
  const result = (faces: Array<{ score: number; reasons: string[] }>) => ({ faces }) as unknown as CheckResult;

  it("takes the largest (first) face's score only when it passed the quality gate", () => {
    expect(sessionFrameScore(null)).toBeNull();
    expect(sessionFrameScore(result([]))).toBeNull();
    expect(
      sessionFrameScore(
        result([
          { score: 0.9, reasons: ['blurred'] },
          { score: 0.8, reasons: [] },
        ]),
      ),
    ).toBeNull();
    expect(
      sessionFrameScore(
        result([
          { score: 0.7, reasons: [] },
          { score: 0.2, reasons: [] },
        ]),
      ),
    ).toBe(0.7);
  });

  it('names one (source, label, attack, subject)', () => {
    expect(sequenceKey(frame('a', 'spoof', 0, 'x'))).toBe('a|spoof|replay|x');
    expect(sequenceKey(frame('a', 'spoof', 0, 'x'))).not.toBe(sequenceKey(frame('a', 'live', 0, 'x')));
  });
});
