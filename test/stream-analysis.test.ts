import { describe, expect, it } from 'vitest';
import {
  analyseStreams,
  chooseThreshold,
  frameRows,
  leaveOneOut,
  perGroupCalibration,
  sequenceRows,
  splitHalves,
  thresholdRuleText,
  type SequenceScores,
} from '../bench/stream-analysis.js';
import { validateModelCard } from '../src/classify/card.js';
import { thresholdForApcer } from '../src/evaluate/metrics.js';
import { fitStreamThreshold, streamThresholdEntry } from '../src/evaluate/index.js';
import type { ScoredSample } from '../src/evaluate/types.js';

const seq = (
  source: string,
  label: 'live' | 'spoof',
  frameScores: number[],
  fused: number | null,
  frameRetries = 0,
): SequenceScores => ({
  source,
  subject: `${source}-${label}`,
  label,
  attack: label === 'live' ? 'none' : 'replay',
  frameScores,
  frameRetries,
  fused,
});

// Three sources, one live and one spoof sequence each, plus a live sequence of A that never got enough good frames.
const SEQUENCES: SequenceScores[] = [
  seq('A', 'live', [0.9, 0.6], 0.8),
  seq('A', 'spoof', [0.7, 0.1], 0.3),
  seq('A', 'live', [], null, 3),
  seq('B', 'live', [0.95, 0.85], 0.9),
  seq('B', 'spoof', [0.2, 0.3], 0.25),
  seq('C', 'live', [0.5, 0.65], 0.58),
  seq('C', 'spoof', [0.62, 0.4], 0.5),
];

describe('stream analysis', () => {
  it('rows: one per good frame, one per decided sequence', () => {
    expect(frameRows(SEQUENCES)).toHaveLength(12);
    expect(sequenceRows(SEQUENCES).map((r) => r.score)).toEqual([0.8, 0.3, 0.9, 0.25, 0.58, 0.5]);
  });

  it('leave one source out: thresholds from the other sources, decisions pooled over the folds', () => {
    // Target APCER 0: the threshold is the lowest observed score above every spoof of the other sources.
    const loo = leaveOneOut(SEQUENCES, 0, 'source');
    expect(loo.skipped).toEqual([]);
    expect(loo.folds.map((f) => [f.heldOut, f.frameThreshold, f.streamThreshold])).toEqual([
      ['A', 0.65, 0.58], // B+C frames: spoofs up to 0.62, next score 0.65; fused: spoofs up to 0.5, next 0.58
      ['B', 0.9, 0.58], // A+C frames: spoofs up to 0.7, next 0.9; fused: spoofs 0.3, 0.5 -> 0.58
      ['C', 0.85, 0.8], // A+B frames: spoofs up to 0.7, next 0.85; fused: spoofs up to 0.3, next 0.8
    ]);
    const [a, b, c] = loo.folds;
    // A at 0.65: live 0.9 kept, 0.6 rejected; spoof 0.7 accepted, 0.1 rejected. Fused at 0.58: both right.
    expect(a!.frame).toMatchObject({ n: 4, apcer: 0.5, bpcer: 0.5, error: 0.5, retry: 3 });
    expect(a!.fused).toMatchObject({ n: 2, apcer: 0, bpcer: 0, error: 0, retry: 1 });
    expect(b!.frame).toMatchObject({ apcer: 0, bpcer: 0.5 });
    expect(c!.frame).toMatchObject({ apcer: 0, bpcer: 1 });
    expect(c!.fused).toMatchObject({ apcer: 0, bpcer: 1 });
    // Pooled frames: live rejected 0.6 (A), 0.85 (B), 0.5 and 0.65 (C) = 4/6; spoofs accepted 0.7 (A) = 1/6.
    expect(loo.pooled.frame.n).toBe(12);
    expect(loo.pooled.frame.bpcer).toBeCloseTo(4 / 6, 12);
    expect(loo.pooled.frame.apcer).toBeCloseTo(1 / 6, 12);
    expect(loo.pooled.frame.error).toBeCloseTo(5 / 12, 12);
    expect(loo.pooled.frame.acer).toBeCloseTo((1 / 6 + 4 / 6) / 2, 12);
    expect(loo.pooled.frame.retry).toBe(3);
    // Pooled fused: only C's live sequence (0.58 < 0.8) is wrong.
    expect(loo.pooled.fused).toMatchObject({ n: 6, nLive: 3, nSpoof: 3, apcer: 0, retry: 1 });
    expect(loo.pooled.fused.bpcer).toBeCloseTo(1 / 3, 12);
    expect(loo.pooled.fused.error).toBeCloseTo(1 / 6, 12);
  });

  it('skips a held-out group whose others have no spoof to choose a threshold on', () => {
    const loo = leaveOneOut([seq('A', 'live', [0.9], 0.9), seq('B', 'spoof', [0.1], 0.1)], 0.05);
    expect(loo.folds).toEqual([]);
    expect(loo.skipped).toEqual(['A', 'B']);
    expect(loo.pooled.frame.n).toBe(0);
  });

  it('holds out subjects when asked', () => {
    const loo = leaveOneOut(SEQUENCES, 0, 'subject');
    expect(loo.by).toBe('subject');
    expect(loo.folds.map((f) => f.heldOut)).toEqual(['A-live', 'A-spoof', 'B-live', 'B-spoof', 'C-live', 'C-spoof']);
    // Without A's spoof (0.7, 0.1) the highest spoof frame is C's 0.62, so the frame threshold drops to 0.65
    // and A's spoof frame 0.7 is accepted.
    const heldOutSpoofA = loo.folds[1]!;
    expect(heldOutSpoofA.frameThreshold).toBe(0.65);
    expect(heldOutSpoofA.frame).toMatchObject({ n: 2, nSpoof: 2, apcer: 0.5, bpcer: null });
  });

  it('(a), (b), (d): rates at given thresholds, threshold-free EER / AUC, and the stream threshold on everything', () => {
    const analysis = analyseStreams(SEQUENCES, { frameThreshold: 0.6, streamThreshold: 0.85, targetApcer: 0 });
    const pooled = analysis.atThreshold.pooled;
    // Frames at 0.6: live 0.5 rejected (1/6); spoofs 0.7 and 0.62 accepted (2/6).
    expect(pooled.frame.bpcer).toBeCloseTo(1 / 6, 12);
    expect(pooled.frame.apcer).toBeCloseTo(2 / 6, 12);
    // Fused at the frame threshold 0.6: live 0.58 rejected; at the stream threshold 0.85 also 0.8.
    expect(pooled.fused.bpcer).toBeCloseTo(1 / 3, 12);
    expect(pooled.fused.apcer).toBe(0);
    expect(pooled.fusedAtStream!.bpcer).toBeCloseTo(2 / 3, 12);
    expect(Object.keys(analysis.atThreshold.bySource)).toEqual(['A', 'B', 'C']);
    // Every fused live score is above every fused spoof score; single frames overlap.
    expect(analysis.thresholdFree.pooled.fused).toEqual({ n: 6, eer: 0, auc: 1 });
    expect(analysis.thresholdFree.pooled.frame.auc!).toBeLessThan(1);
    expect(analysis.streamThreshold!.threshold).toBe(0.58);
    expect(analysis.streamThreshold!.metrics).toMatchObject({ apcer: 0, bpcer: 0, n: 6 });
    expect(Object.keys(analysis.streamThreshold!.bySource)).toEqual(['A', 'B', 'C']);
    expect(analysis.sequences).toBe(7);
    expect(analysis.frames).toBe(15);
  });

  it('"safest" keeps the lowest BPCER but accepts the fewest attacks at it', () => {
    const rows: ScoredSample[] = [0.1, 0.2, 0.3, 0.4].map((score) => ({ score, label: 'spoof' }));
    rows.push({ score: 0.8, label: 'live' }, { score: 0.9, label: 'live' });
    expect(chooseThreshold(rows, 0.5, 'lowest')).toMatchObject({ threshold: 0.3, apcer: 0.5, bpcer: 0 });
    expect(chooseThreshold(rows, 0.5, 'safest')).toMatchObject({ threshold: 0.8, apcer: 0, bpcer: 0 });
    expect(chooseThreshold(rows.slice(0, 4), 0.5)).toBeNull();
  });

  it('threshold.stream for the card: valid for validateModelCard, with the leave-one-out rates', () => {
    const analysis = analyseStreams(SEQUENCES, { frameThreshold: 0.6, targetApcer: 0 });
    const loo = analysis.leaveOneOut;
    const measuredAt = new Date('2026-01-02T03:04:05Z');
    const setup = {
      rule: thresholdRuleText('lowest', 0),
      sequenceLength: 2,
      fusion: { minFrames: 2, window: 15 },
      tracking: 'one track per sequence',
      model: 'x.onnx',
      measuredAt,
    };
    const entry = fitStreamThreshold(SEQUENCES, (rows) => chooseThreshold(rows, 0), {
      ...setup,
      heldOut: { by: loo.by, frame: loo.pooled.frame, fused: loo.pooled.fused, skipped: loo.skipped },
    })!;
    expect(entry.live).toBe(analysis.streamThreshold!.threshold);
    expect(entry.live).toBe(0.58);
    expect(entry.measured).toMatchObject({
      rule: 'lowest threshold with pooled APCER <= 0 on fused sequence scores',
      sources: ['A', 'B', 'C'],
      sequenceLength: 2,
      fusion: { minFrames: 2, window: 15, tracking: 'one track per sequence' },
      n: 6,
      retry: 1,
      apcer: 0,
      apcerWorst: 0,
      bpcer: 0,
      auc: 1,
      leaveOneSourceOut: { fused: { n: 6, apcer: 0 }, skipped: [] },
      model: 'x.onnx',
      measuredAt: '2026-01-02T03:04:05.000Z',
    });
    expect(Object.keys(entry.measured.leaveOneSourceOut!.fused)).toEqual([
      'n',
      'retry',
      'apcer',
      'bpcer',
      'error',
      'acer',
    ]);
    expect(Object.keys(entry.measured.perSource)).toEqual(['A', 'B', 'C']);
    const card = {
      name: 'x',
      file: 'x.onnx',
      input: { name: 'i', size: 16, layout: 'NCHW', channelOrder: 'RGB', scale: 1, mean: [0, 0, 0], std: [1, 1, 1] },
      output: { name: 'o', labels: ['live', 'spoof'] },
      crop: { scale: 1.5 },
      threshold: { live: 0.5, stream: entry },
    };
    expect(validateModelCard(card, 'x.json').threshold.stream!.live).toBe(0.58);

    // `antispoof calibrate --sequence-length` writes the same shape, without the held-out validation it cannot run.
    const calibrated = fitStreamThreshold(SEQUENCES, (rows) => thresholdForApcer(rows, 0), {
      ...setup,
      rule: 'target APCER 0',
    })!;
    expect(calibrated).toEqual(streamThresholdEntry(SEQUENCES, 0.58, { ...setup, rule: 'target APCER 0' }));
    const { leaveOneSourceOut, ...rest } = entry.measured;
    expect(leaveOneSourceOut).toBeDefined();
    expect(Object.keys(calibrated.measured)).toEqual(Object.keys(rest));
    expect(
      fitStreamThreshold(
        SEQUENCES.filter((s) => s.label === 'live'),
        (rows) => thresholdForApcer(rows, 0),
        setup,
      ),
    ).toBeNull();
  });

  describe('(e) per-source calibration, split half', () => {
    // A: sequences alternate into halves per (label, attack): a0, a1, a4 -> half 0; a2, a3 -> half 1.
    // B: b0, b1 -> half 0; b2 -> half 1, which has no spoof to calibrate on.
    const CALIBRATION: SequenceScores[] = [
      seq('A', 'live', [0.9, 0.7], 0.8), // a0
      seq('A', 'spoof', [0.3, 0.6], 0.45), // a1
      seq('A', 'live', [0.65, 0.5], 0.58), // a2
      seq('A', 'spoof', [0.2, 0.55], 0.35), // a3
      seq('A', 'live', [], null, 2), // a4
      seq('B', 'live', [0.4, 0.5], 0.45), // b0
      seq('B', 'spoof', [0.1, 0.35], 0.2), // b1
      seq('B', 'live', [0.3, 0.45], 0.4), // b2
    ];

    it('splits alternate sequences of each (label, attack)', () => {
      expect(splitHalves(CALIBRATION.slice(0, 5))).toEqual([0, 0, 1, 1, 0]);
      expect(splitHalves(CALIBRATION.slice(5))).toEqual([0, 0, 1]);
    });

    it('calibrates on one half of each source, tests the other, swaps, and pools the test decisions', () => {
      const cal = perGroupCalibration(CALIBRATION, 0, 'source');
      expect(cal.by).toBe('source');
      expect(cal.skipped).toEqual([{ group: 'B', calibrationHalf: 1 }]);
      expect(cal.groups.map((g) => g.group)).toEqual(['A', 'B']);
      const [a, b] = cal.groups;
      // A, half 0 calibrates: frame spoofs up to 0.6 -> 0.7; fused spoof 0.45 -> 0.8.
      // A, half 1 calibrates: frame spoofs up to 0.55 -> 0.65; fused spoof 0.35 -> 0.58.
      expect(a!.folds.map((f) => [f.calibrationHalf, f.frameThreshold, f.streamThreshold])).toEqual([
        [0, 0.7, 0.8],
        [1, 0.65, 0.58],
      ]);
      // Half 1 tested at 0.7 / 0.8: live frames 0.65, 0.5 and live sequence 0.58 rejected; spoofs rejected.
      expect(a!.folds[0]!.frame).toMatchObject({ n: 4, apcer: 0, bpcer: 1, error: 0.5, retry: 0 });
      expect(a!.folds[0]!.fused).toMatchObject({ n: 2, apcer: 0, bpcer: 1, error: 0.5, retry: 0 });
      // Half 0 tested at 0.65 / 0.58: all right; a4 is 2 frame retries and 1 sequence retry.
      expect(a!.folds[1]!.frame).toMatchObject({ n: 4, apcer: 0, bpcer: 0, error: 0, retry: 2 });
      expect(a!.folds[1]!.fused).toMatchObject({ n: 2, apcer: 0, bpcer: 0, error: 0, retry: 1 });
      // A over both folds: 2 of 4 live frames rejected, 1 of 2 live sequences.
      expect(a!.frame).toMatchObject({ n: 8, nLive: 4, nSpoof: 4, apcer: 0, bpcer: 0.5, error: 0.25, retry: 2 });
      expect(a!.frame.acer).toBe(0.25);
      expect(a!.fused).toMatchObject({ n: 4, apcer: 0, bpcer: 0.5, error: 0.25, acer: 0.25, retry: 1 });
      // B, half 0 calibrates: frame spoofs up to 0.35 -> 0.4; fused 0.2 -> 0.45. Half 1 (b2): frame 0.3 rejected,
      // 0.45 accepted; fused 0.4 rejected.
      expect(b!.folds.map((f) => [f.calibrationHalf, f.frameThreshold, f.streamThreshold])).toEqual([[0, 0.4, 0.45]]);
      expect(b!.frame).toMatchObject({ n: 2, nSpoof: 0, apcer: null, bpcer: 0.5 });
      expect(b!.fused).toMatchObject({ n: 1, apcer: null, bpcer: 1 });
      // Pooled: frames 3 of 6 live rejected, no spoof accepted; sequences 2 of 3 live rejected.
      expect(cal.pooled.frame).toMatchObject({ n: 10, nLive: 6, nSpoof: 4, apcer: 0, bpcer: 0.5, retry: 2 });
      expect(cal.pooled.frame.error).toBeCloseTo(3 / 10, 12);
      expect(cal.pooled.fused).toMatchObject({ n: 5, nLive: 3, nSpoof: 2, apcer: 0, retry: 1 });
      expect(cal.pooled.fused.bpcer).toBeCloseTo(2 / 3, 12);
      expect(cal.pooled.fused.error).toBeCloseTo(2 / 5, 12);
      expect(cal.pooled.fused.acer).toBeCloseTo(1 / 3, 12);
    });

    it('follows the rule', () => {
      // A's half 0 frames at target 0.5: APCER 0.5 at 0.6 (lowest), BPCER 0 up to 0.7 (safest).
      const fold = (rule: 'lowest' | 'safest') => perGroupCalibration(CALIBRATION, 0.5, 'source', rule).groups[0]!;
      expect(fold('lowest').folds[0]!.frameThreshold).toBe(0.6);
      expect(fold('safest').folds[0]!.frameThreshold).toBe(0.7);
    });

    it('within subjects: here each subject has one label, so every fold is skipped', () => {
      const cal = perGroupCalibration(CALIBRATION, 0, 'subject');
      expect(cal.groups).toEqual([]);
      expect(cal.skipped).toHaveLength(8);
      expect(cal.pooled.frame.n).toBe(0);
    });

    it('analyseStreams calibrates within the leave-out group unless told otherwise', () => {
      const bySubject = analyseStreams(CALIBRATION, { frameThreshold: 0.5, targetApcer: 0, leaveOut: 'subject' });
      expect(bySubject.perGroupCalibration.by).toBe('subject');
      const bySource = analyseStreams(CALIBRATION, {
        frameThreshold: 0.5,
        targetApcer: 0,
        leaveOut: 'subject',
        calibrateWithin: 'source',
      });
      expect(bySource.perGroupCalibration.pooled).toEqual(perGroupCalibration(CALIBRATION, 0).pooled);
    });
  });
});
