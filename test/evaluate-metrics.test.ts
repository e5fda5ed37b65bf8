import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAntispoofError } from '../src/errors.js';
import {
  bootstrapCi,
  computeMetrics,
  detCurve,
  metricsByGroup,
  mulberry32,
  probit,
  rocCurve,
  thresholdForApcer,
  thresholdForBpcer,
  type PadMetrics,
  type ScoredSample,
} from '../src/evaluate/index.js';

const live = (score: number, extra: Partial<ScoredSample> = {}): ScoredSample => ({
  score,
  label: 'live',
  attack: 'none',
  ...extra,
});
const spoof = (score: number, attack: string, extra: Partial<ScoredSample> = {}): ScoredSample => ({
  score,
  label: 'spoof',
  attack,
  ...extra,
});

// 4 live + 4 spoof, all scores distinct. Sorted: 0.1r 0.2p 0.3L 0.4r 0.6L 0.7p 0.8L 0.9L.
const SMALL: ScoredSample[] = [
  live(0.9, { source: 'a', subject: 'x' }),
  live(0.8, { source: 'a', subject: 'y' }),
  live(0.6, { source: 'b', subject: 'x' }),
  live(0.3, { source: 'b', subject: 'y' }),
  spoof(0.7, 'print', { source: 'a', subject: 'x' }),
  spoof(0.2, 'print', { source: 'b', subject: 'y' }),
  spoof(0.4, 'replay', { source: 'a', subject: 'y' }),
  spoof(0.1, 'replay', { source: 'b', subject: 'x' }),
];

/** Every number in a metrics object (nested) is finite or null: never NaN. */
function expectNoNaN(m: unknown): void {
  for (const v of Object.values(m as Record<string, unknown>)) {
    if (v !== null && typeof v === 'object') expectNoNaN(v);
    else if (typeof v === 'number') expect(Number.isFinite(v), `value ${v}`).toBe(true);
    else expect(v).toBeNull();
  }
}

function readFixture(): ScoredSample[] {
  const [header, ...lines] = readFileSync('test/fixtures/scores.csv', 'utf8').trim().split('\n');
  expect(header).toBe('score,label,attack,source,subject');
  return lines.map((line) => {
    const [score, label, attack, source, subject] = line.split(',');
    return { score: Number(score), label: label as 'live' | 'spoof', attack, source, subject } as ScoredSample;
  });
}

describe('computeMetrics: hand-computed 4 live + 4 spoof at threshold 0.5', () => {
  const m = computeMetrics(SMALL, 0.5);
  it('threshold rates', () => {
    // live 0.3 rejected -> BPCER 1/4. print: 0.7 accepted, 0.2 not -> 1/2; replay 0.4, 0.1 both rejected -> 0.
    expect(m).toMatchObject({ n: 8, nLive: 4, nSpoof: 4 });
    expect(m.bpcer).toBe(0.25);
    expect(m.apcerByAttack).toEqual({ print: 0.5, replay: 0 });
    expect(m.apcerWorst).toBe(0.5); // ISO: worst PAI species
    expect(m.apcer).toBe(0.25); // pooled: 1 of 4 attacks accepted
    expect(m.acer).toBe(0.375); // (0.5 + 0.25) / 2, with the worst-species APCER
    expect(m.hter).toBe(0.25); // (0.25 + 0.25) / 2, pooled
    expect(m.accuracy).toBe(0.75); // 3 live accepted + 3 attacks rejected of 8
  });
  it('AUC by pair counting', () => {
    // live>spoof pairs: 0.9 -> 4, 0.8 -> 4, 0.6 -> 3 (all but 0.7), 0.3 -> 2 (0.2, 0.1): 13 / 16.
    expect(m.auc).toBe(13 / 16);
  });
  it('EER, BPCER100/20 from the sweep', () => {
    // t:     0.1  0.2  0.3  0.4  0.6  0.7  0.8  0.9  next(0.9)
    // APCER: 1    .75  .5   .5   .25  .25  0    0    0
    // BPCER: 0    0    0    .25  .25  .5   .5   .75  1
    // |APCER-BPCER| is 0 at 0.6 -> EER .25 there. First APCER <= 1% (and <= 5%) is at 0.8 -> BPCER .5.
    expect(m.eer).toBe(0.25);
    expect(m.eerThreshold).toBe(0.6);
    expect(m.bpcer100).toBe(0.5);
    expect(m.bpcer20).toBe(0.5);
  });
  it('ROC points: every distinct score plus a reject-all threshold, sorted', () => {
    const roc = rocCurve(SMALL);
    expect(roc.map((p) => p.threshold).slice(0, 8)).toEqual([0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9]);
    expect(roc[8]!.threshold).toBeGreaterThan(0.9);
    expect(roc.map((p) => p.apcer)).toEqual([1, 0.75, 0.5, 0.5, 0.25, 0.25, 0, 0, 0]);
    expect(roc.map((p) => p.bpcer)).toEqual([0, 0, 0, 0.25, 0.25, 0.5, 0.5, 0.75, 1]);
  });
  it('thresholdForApcer is conservative and picks the lowest qualifying threshold', () => {
    // APCER <= .25 first at 0.6; at 0.4 it is .5.
    expect(thresholdForApcer(SMALL, 0.25)).toEqual({ threshold: 0.6, apcer: 0.25, apcerWorst: 0.5, bpcer: 0.25 });
    expect(thresholdForApcer(SMALL, 0.3)!.threshold).toBe(0.6);
    expect(thresholdForApcer(SMALL, 0)).toMatchObject({ threshold: 0.8, apcer: 0, bpcer: 0.5 });
    // Worst species: print 0.7 keeps print APCER at .5 until 0.8.
    expect(thresholdForApcer(SMALL, 0.25, { apcer: 'worst' })).toMatchObject({ threshold: 0.8, apcerWorst: 0 });
  });
  it('thresholdForBpcer picks the highest threshold whose BPCER <= target', () => {
    expect(thresholdForBpcer(SMALL, 0.25)).toMatchObject({ threshold: 0.6, apcer: 0.25, bpcer: 0.25 });
    expect(thresholdForBpcer(SMALL, 0)).toMatchObject({ threshold: 0.3, apcer: 0.5, bpcer: 0 });
  });
});

describe('ties and tie-breaks', () => {
  it('score == threshold is accepted; tied live/spoof count 1/2 in AUC', () => {
    const rows = [live(0.5), live(0.5), spoof(0.5, 'print'), spoof(0.2, 'print')];
    const m = computeMetrics(rows, 0.5);
    expect(m.bpcer).toBe(0); // both live at 0.5 accepted
    expect(m.apcer).toBe(0.5); // spoof 0.5 accepted
    // each live: tie with 0.5 -> 1/2, beats 0.2 -> 1; (1.5 + 1.5) / 4
    expect(m.auc).toBe(0.75);
    // 0.2: A1 B0 | 0.5: A.5 B0 | next(0.5): A0 B1 -> min gap at 0.5, EER (.5 + 0) / 2
    expect(m.eer).toBe(0.25);
    expect(m.eerThreshold).toBe(0.5);
    // APCER <= 1% only at the reject-all threshold -> BPCER 1
    expect(m.bpcer100).toBe(1);
  });
  it('EER tie in |APCER-BPCER| goes to the lowest threshold', () => {
    // 0.3: A1 B0 | 0.5: A1 B.5 (gap .5) | 0.8: A0 B.5 (gap .5) | next: A0 B1 -> 0.5 wins, EER (1 + .5) / 2
    const m = computeMetrics([live(0.3), live(0.8), spoof(0.5, 'print')], 0.5);
    expect(m.eer).toBe(0.75);
    expect(m.eerThreshold).toBe(0.5);
  });
  it('all scores identical: EER .5, AUC .5', () => {
    const m = computeMetrics([live(0.4), spoof(0.4, 'print')], 0.5);
    expect(m).toMatchObject({ eer: 0.5, eerThreshold: 0.4, auc: 0.5, apcer: 0, bpcer: 1, acer: 0.5 });
  });
});

describe('undefined metrics are null, never NaN', () => {
  it('all live', () => {
    const m = computeMetrics([live(0.9), live(0.2)], 0.5);
    expect(m).toMatchObject({ n: 2, nSpoof: 0, apcer: null, apcerWorst: null, bpcer: 0.5, acer: null, hter: null });
    expect(m).toMatchObject({ accuracy: 0.5, eer: null, eerThreshold: null, auc: null, bpcer100: null, bpcer20: null });
    expect(m.apcerByAttack).toEqual({});
    expectNoNaN(m);
    expect(thresholdForApcer([live(0.9)], 0.01)).toBeNull();
    expect(rocCurve([live(0.9)])).toEqual([]);
  });
  it('all spoof; a spoof without attack counts as "unknown"', () => {
    const m = computeMetrics([spoof(0.9, 'print'), { score: 0.1, label: 'spoof' }], 0.5);
    expect(m).toMatchObject({ nLive: 0, apcer: 0.5, apcerWorst: 1, bpcer: null, acer: null, auc: null, eer: null });
    expect(m.apcerByAttack).toEqual({ print: 1, unknown: 0 });
    expectNoNaN(m);
    expect(thresholdForBpcer([spoof(0.9, 'print')], 0.01)).toBeNull();
  });
  it('empty input', () => {
    const m = computeMetrics([], 0.5);
    expect(m).toMatchObject({ n: 0, nLive: 0, nSpoof: 0, apcer: null, bpcer: null, accuracy: null, auc: null });
    expectNoNaN(m);
    expect(metricsByGroup([], 0.5, 'source')).toEqual({});
    expect(bootstrapCi([], 0.5, { iterations: 10 }).apcer).toBeNull();
  });
  it('empty groups', () => {
    const rows = [live(0.9, { source: 'a' }), live(0.1, { source: 'b' }), spoof(0.7, 'print', { source: 'b' })];
    const bySource = metricsByGroup(rows, 0.5, 'source');
    expect(bySource['a']).toMatchObject({ nSpoof: 0, apcer: null, acer: null, eer: null, auc: null });
    expectNoNaN(bySource);
    expect(metricsByGroup([live(0.9)], 0.5, 'attack')).toEqual({});
  });
  it('rejects invalid samples and thresholds', () => {
    const bad = (rows: unknown, t = 0.5): unknown => {
      try {
        computeMetrics(rows as ScoredSample[], t);
      } catch (e) {
        return isAntispoofError(e) && e.code;
      }
      return 'no error';
    };
    expect(bad([live(NaN)])).toBe('INVALID_INPUT');
    expect(bad([{ score: 0.5, label: 'bonafide' }])).toBe('INVALID_INPUT');
    expect(bad([live(0.5)], NaN)).toBe('INVALID_INPUT');
  });
});

describe('BPCER100 / BPCER20', () => {
  it('lowest BPCER with pooled APCER <= 1% / 5% (inclusive)', () => {
    // 100 attacks: 98 at 0.1, one at 0.8, one at 0.85; live 0.3 0.7 0.9 0.95.
    // t=0.3: APCER 2% (<= 5%), BPCER 0 -> BPCER20 = 0. APCER reaches 1% first at t=0.85, where live 0.3 and
    // 0.7 are rejected -> BPCER100 = 50%.
    const rows = [
      ...Array.from({ length: 98 }, () => spoof(0.1, 'print')),
      spoof(0.8, 'replay'),
      spoof(0.85, 'replay'),
      ...[0.3, 0.7, 0.9, 0.95].map((s) => live(s)),
    ];
    const m = computeMetrics(rows, 0.5);
    expect(m.bpcer20).toBe(0);
    expect(m.bpcer100).toBe(0.5);
    // Exactly 1% meets the target: 99 attacks at 0.1, one at 0.85 -> at t=0.3 APCER = 1/100.
    const exact = [...Array.from({ length: 99 }, () => spoof(0.1, 'print')), spoof(0.85, 'replay'), live(0.3)];
    expect(computeMetrics(exact, 0.5).bpcer100).toBe(0);
  });
});

describe('fixture-based properties', () => {
  const rows = readFixture();
  it('fixture has 300 rows, 2 attack types and cross-class ties', () => {
    expect(rows).toHaveLength(300);
    expect(new Set(rows.filter((r) => r.label === 'spoof').map((r) => r.attack))).toEqual(new Set(['print', 'replay']));
    const liveScores = new Set(rows.filter((r) => r.label === 'live').map((r) => r.score));
    expect(rows.some((r) => r.label === 'spoof' && liveScores.has(r.score))).toBe(true);
  });
  it('thresholdForApcer: achieved APCER <= target, and the next lower candidate would exceed it', () => {
    const roc = rocCurve(rows);
    for (const target of [0, 0.01, 0.05, 0.1, 0.2, 0.5]) {
      const op = thresholdForApcer(rows, target)!;
      expect(op.apcer).toBeLessThanOrEqual(target);
      const at = computeMetrics(rows, op.threshold);
      expect(at.apcer).toBe(op.apcer);
      expect(at.bpcer).toBe(op.bpcer);
      const k = roc.findIndex((p) => p.threshold === op.threshold);
      if (k > 0) expect(roc[k - 1]!.apcer).toBeGreaterThan(target);
      const worst = thresholdForApcer(rows, target, { apcer: 'worst' })!;
      expect(computeMetrics(rows, worst.threshold).apcerWorst).toBeLessThanOrEqual(target);
    }
    const m = computeMetrics(rows, 0.5);
    expect(thresholdForApcer(rows, 0.01)!.bpcer).toBe(m.bpcer100);
    expect(thresholdForApcer(rows, 0.05)!.bpcer).toBe(m.bpcer20);
  });
  it('thresholdForBpcer: achieved BPCER <= target', () => {
    for (const target of [0, 0.01, 0.05, 0.1]) {
      const op = thresholdForBpcer(rows, target)!;
      expect(computeMetrics(rows, op.threshold).bpcer).toBeLessThanOrEqual(target);
    }
  });
  it('metricsByGroup attack: each species with all bona fide', () => {
    const byAttack = metricsByGroup(rows, 0.5, 'attack');
    const all = computeMetrics(rows, 0.5);
    expect(Object.keys(byAttack)).toEqual(['print', 'replay']);
    for (const [name, g] of Object.entries(byAttack)) {
      expect(g.nLive).toBe(all.nLive);
      expect(g.bpcer).toBe(all.bpcer);
      expect(g.apcer).toBe(all.apcerByAttack[name]);
    }
    const bySource = metricsByGroup(rows, 0.5, 'source');
    expect(Object.keys(bySource)).toEqual(['camA', 'camB']);
    expect(bySource['camA']!.n + bySource['camB']!.n).toBe(300);
  });
  it('small by-attack group EER by hand', () => {
    const g = metricsByGroup(SMALL, 0.5, 'attack');
    // print (0.7, 0.2) vs live (0.9 0.8 0.6 0.3): at 0.7 APCER .5 = BPCER .5 -> EER .5
    expect(g['print']).toMatchObject({ nLive: 4, nSpoof: 2, apcer: 0.5, bpcer: 0.25, eer: 0.5, eerThreshold: 0.7 });
    // replay (0.4, 0.1): 0.4 A.5 B.25 and 0.6 A0 B.25 tie at gap .25 -> lowest (0.4), EER .375
    expect(g['replay']).toMatchObject({ apcer: 0, eer: 0.375, eerThreshold: 0.4 });
    expect(Object.keys(metricsByGroup(SMALL, 0.5, 'subject'))).toEqual(['x', 'y']);
  });
});

describe('bootstrapCi', () => {
  const rows = readFixture();
  it('is deterministic for a seed and the interval contains the point estimate', () => {
    const a = bootstrapCi(rows, 0.5, { iterations: 400, seed: 7 });
    const b = bootstrapCi(rows, 0.5, { iterations: 400, seed: 7 });
    const c = bootstrapCi(rows, 0.5, { iterations: 400, seed: 8 });
    expect(a).toEqual(b);
    expect(c.apcer).not.toEqual(a.apcer);
    const m = computeMetrics(rows, 0.5);
    for (const key of ['apcer', 'apcerWorst', 'bpcer', 'acer', 'eer', 'auc'] as const) {
      const ci = a[key]!;
      expect(ci.estimate).toBe(m[key]);
      expect(ci.lo).toBeLessThanOrEqual(m[key]!);
      expect(ci.hi).toBeGreaterThanOrEqual(m[key]!);
      expect(ci.hi).toBeGreaterThan(ci.lo);
    }
  });
  it('cluster resampling by subject gives intervals at least as wide on correlated data', () => {
    // Per-subject offsets make samples of one subject correlated.
    const random = mulberry32(3);
    const clustered: ScoredSample[] = [];
    for (let s = 0; s < 30; s++) {
      const offset = (random() - 0.5) * 0.5;
      for (let i = 0; i < 10; i++) {
        const isLive = i % 2 === 0;
        const base = isLive ? 0.65 : 0.35;
        const score = Math.min(1, Math.max(0, base + offset + (random() - 0.5) * 0.2));
        clustered.push(isLive ? live(score, { subject: `s${s}` }) : spoof(score, 'print', { subject: `s${s}` }));
      }
    }
    const plain = bootstrapCi(clustered, 0.5, { iterations: 300, seed: 1 });
    const bySubject = bootstrapCi(clustered, 0.5, { iterations: 300, seed: 1, cluster: 'subject' });
    expect(bySubject.cluster).toBe('subject');
    const width = (ci: typeof plain): number => ci.acer!.hi - ci.acer!.lo;
    expect(width(bySubject)).toBeGreaterThan(width(plain));
  });
});

describe('curves', () => {
  it('probit (Acklam) matches known normal quantiles', () => {
    expect(probit(0.5)).toBeCloseTo(0, 12);
    expect(probit(0.975)).toBeCloseTo(1.959963984540054, 8);
    expect(probit(0.001)).toBeCloseTo(-3.090232306167813, 8);
    expect(probit(0.3)).toBeCloseTo(-probit(0.7), 12);
    expect(probit(0)).toBe(-Infinity);
    expect(probit(1)).toBe(Infinity);
    expect(probit(1.5)).toBeNaN();
  });
  it('DET points are finite probit coordinates', () => {
    const det = detCurve(SMALL);
    expect(det).toHaveLength(9);
    for (const p of det) expect(Number.isFinite(p.x) && Number.isFinite(p.y)).toBe(true);
    expect(det[4]!.x).toBeCloseTo(probit(0.25), 12);
  });
});

// Speed lives in benchmarks, not in timed unit tests (a loaded CI machine made a 1 s bound flaky): this checks that
// 20k rows, the size of a full corpus evaluation, give consistent answers on every path.
describe('a corpus-sized evaluation', () => {
  it('20k rows: metrics, curves, the APCER operating point and groups agree with each other', () => {
    const random = mulberry32(42);
    const rows: ScoredSample[] = Array.from({ length: 20_000 }, (_, i) =>
      i % 2 === 0
        ? live(Math.round(random() * 1e4) / 1e4, { source: `src${i % 5}` })
        : spoof(Math.round(random() * 0.8 * 1e4) / 1e4, i % 3 === 0 ? 'print' : 'replay', { source: `src${i % 5}` }),
    );
    const metrics = computeMetrics(rows, 0.5);
    expect(metrics.n).toBe(20_000);
    // Live uniform on [0,1], spoof uniform on [0,0.8]: AUC = 1 - 0.8/2 = 0.6 in expectation.
    expect(metrics.auc!).toBeGreaterThan(0.58);
    expect(metrics.auc!).toBeLessThan(0.62);
    const roc = rocCurve(rows);
    expect(roc[0]).toMatchObject({ apcer: 1, bpcer: 0 });
    expect(roc[roc.length - 1]).toMatchObject({ apcer: 0, bpcer: 1 });
    expect(detCurve(rows).every((p) => Number.isFinite(p.x) && Number.isFinite(p.y))).toBe(true);
    const point = thresholdForApcer(rows, 0.01)!;
    expect(point.apcer).toBeLessThanOrEqual(0.01);
    expect(computeMetrics(rows, point.threshold).apcer).toBeCloseTo(point.apcer, 12);
    const groups = metricsByGroup(rows, 0.5, 'attack');
    expect(Object.keys(groups).sort()).toEqual(['print', 'replay']);
    expect(groups.print!.n + groups.replay!.n).toBe(10_000 + 2 * groups.print!.nLive);
  });
});

const hasPython = spawnSync('python3', ['--version']).status === 0;

function expectSameMetrics(ts: PadMetrics, py: Record<string, unknown>, context: string): void {
  for (const [key, pyValue] of Object.entries(py)) {
    const tsValue = (ts as unknown as Record<string, unknown>)[key];
    if (key === 'apcerByAttack') {
      const a = tsValue as Record<string, number>;
      const b = pyValue as Record<string, number>;
      expect(Object.keys(a).sort(), `${context} ${key}`).toEqual(Object.keys(b).sort());
      for (const name of Object.keys(b))
        expect(Math.abs(a[name]! - b[name]!), `${context} ${key}.${name}`).toBeLessThan(1e-9);
    } else if (pyValue === null) {
      expect(tsValue, `${context} ${key}`).toBeNull();
    } else {
      expect(typeof tsValue, `${context} ${key}`).toBe('number');
      expect(Math.abs((tsValue as number) - (pyValue as number)), `${context} ${key}`).toBeLessThan(1e-9);
    }
  }
}

const runPython = (csv: string, threshold: number): Record<string, unknown> =>
  JSON.parse(
    execFileSync('python3', ['training/metrics.py', csv, '--threshold', String(threshold)], { encoding: 'utf8' }),
  );

describe('cross-check against the independent Python implementation (training/metrics.py)', () => {
  it.skipIf(!hasPython)(
    `fixture at threshold 0.5 (and others): every field within 1e-9${hasPython ? '' : ' [SKIPPED: python3 not on PATH]'}`,
    () => {
      const rows = readFixture();
      for (const threshold of [0.5, 0, 0.3, 0.613, 1]) {
        const py = runPython('test/fixtures/scores.csv', threshold);
        expect(Object.keys(py).length).toBeGreaterThanOrEqual(15);
        expectSameMetrics(computeMetrics(rows, threshold), py, `t=${threshold}`);
      }
    },
  );
  it.skipIf(!hasPython)('hand-made edge cases agree too (ties, tie-breaks, one class, empty)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pad-metrics-'));
    try {
      const cases: ScoredSample[][] = [
        SMALL,
        [live(0.5), live(0.5), spoof(0.5, 'print'), spoof(0.2, 'print')],
        [live(0.3), live(0.8), spoof(0.5, 'print')],
        [live(0.4), spoof(0.4, 'print')],
        [live(0.9), live(0.2)],
        [spoof(0.9, 'print'), spoof(0.1, 'replay')],
        [],
      ];
      cases.forEach((rows, i) => {
        const file = join(dir, `case${i}.csv`);
        writeFileSync(file, ['score,label,attack', ...rows.map((r) => `${r.score},${r.label},${r.attack}`)].join('\n'));
        expectSameMetrics(computeMetrics(rows, 0.5), runPython(file, 0.5), `case ${i}`);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
