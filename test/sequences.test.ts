import { describe, expect, it } from 'vitest';
import { logit, sigmoid } from '../src/decide/fusion.js';
import type { CheckResult, LivenessChecker } from '../src/check.js';
import type { ManifestEntry } from '../src/data/manifest.js';
import type { RetryReason } from '../src/decide/index.js';
import { AntispoofError } from '../src/errors.js';
import { checkManifest, fuseCheckedSequences, scoredFromChecks } from '../src/evaluate/score-sequences.js';
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
    expect(() => cutIntoSequences(frames, 0)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
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

describe('checkManifest (calibrate: every image decoded and checked once)', () => {
  const entry = (path: string, label: 'live' | 'spoof', framing: 'tight' | 'context2x' = 'context2x') =>
    ({
      path,
      label,
      attack: label === 'live' ? 'none' : 'print',
      subject: 's',
      source: 'cam',
      framing,
    }) as ManifestEntry;
  const face = (score: number, reasons: RetryReason[] = []) => ({
    box: { x: 0, y: 0, width: 10, height: 10 },
    detectionScore: 0.9,
    keypoints: [],
    score,
    verdict: 'live' as const,
    reasons,
    quality: { faceSize: 10, brightness: 100, sharpness: 10, outsideFraction: 0 },
  });

  it('checks each entry once and serves both the frame scores and the fused sequences from that one pass', async () => {
    const answers: Record<string, CheckResult | Error> = {
      'l0.jpg': { width: 10, height: 10, faces: [face(0.9), face(0.1)], timings: { detectMs: 0, classifyMs: 0 } },
      'l1.jpg': { width: 10, height: 10, faces: [face(0.8, ['blurred'])], timings: { detectMs: 0, classifyMs: 0 } },
      'l2.jpg': { width: 10, height: 10, faces: [face(0.7)], timings: { detectMs: 0, classifyMs: 0 } },
      's0.jpg': { width: 10, height: 10, faces: [], timings: { detectMs: 0, classifyMs: 0 } },
      's1.jpg': new AntispoofError('DECODE_FAILED', 'truncated JPEG'),
    };
    const calls: Array<[string, boolean | undefined]> = [];
    const checker = {
      check: async (path: string, options?: { wholeImage?: boolean }) => {
        const name = path.split('/').pop()!;
        calls.push([name, options?.wholeImage]);
        const answer = answers[name]!;
        if (answer instanceof Error) throw answer;
        return answer;
      },
    } as unknown as LivenessChecker;
    const entries = [
      entry('l0.jpg', 'live'),
      entry('s0.jpg', 'spoof'),
      entry('l1.jpg', 'live', 'tight'),
      entry('s1.jpg', 'spoof'),
      entry('l2.jpg', 'live'),
    ];
    const progress: number[] = [];
    const checked = await checkManifest(entries, checker, { root: '/data', onProgress: (done) => progress.push(done) });
    expect(calls.map(([name]) => name).sort()).toEqual(['l0.jpg', 'l1.jpg', 'l2.jpg', 's0.jpg', 's1.jpg']);
    expect(calls.find(([name]) => name === 'l1.jpg')![1]).toBe(true); // tight framing: the whole image is the face
    expect(progress).toEqual([1, 2, 3, 4, 5]);

    const scored = scoredFromChecks(entries, checked);
    expect(scored.map((s) => [s.path, s.scores, s.error])).toEqual([
      ['l0.jpg', [0.9], undefined],
      ['s0.jpg', [], 'no face detected'],
      ['l1.jpg', [0.8], undefined], // frame scores ignore the quality gate, as eval does
      ['s1.jpg', [], 'truncated JPEG'],
      ['l2.jpg', [0.7], undefined],
    ]);
    const [live, spoof] = fuseCheckedSequences(entries, checked, 2, { minFrames: 1, window: 15 });
    // live: l0, l1 (l2 is a short tail); l1 failed the gate. spoof: no face, unreadable.
    expect(live).toMatchObject({ label: 'live', frameScores: [0.9], frameRetries: 1 });
    expect(live!.fused).toBeCloseTo(0.9, 12);
    expect(spoof).toMatchObject({ label: 'spoof', frameScores: [], frameRetries: 2, fused: null });
  });
});
