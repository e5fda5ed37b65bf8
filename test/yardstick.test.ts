import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scaleBox } from '../src/crop/geometry.js';
import { readManifest } from '../src/data/manifest.js';
import {
  assignYardstick,
  compareModels,
  crc32,
  lowestEer,
  parseYardstickSplit,
  perSourceMeans,
  presetPasses,
  sourceDescription,
  sourceMetrics,
  webBucket,
  winsNeeded,
  yardstickSources,
  yardstickSplit,
  type SourceMetrics,
  type YardstickPart,
  type YardstickRow,
} from '../src/evaluate/yardstick.js';
import { AntispoofError } from '../src/errors.js';
import { skipWithoutShared } from './helpers/shared.js';

const ROOT = join(import.meta.dirname, '..');
const hasPython = spawnSync('python3', ['--version'], { stdio: 'ignore' }).status === 0;
const SPLIT_FILE = join(ROOT, 'training', 'splits.json');
const SPLIT = parseYardstickSplit(JSON.parse(readFileSync(SPLIT_FILE, 'utf8')), SPLIT_FILE);
const MODELS = [
  { name: 'candidate', file: 'c.onnx', threshold: 0.5 },
  { name: 'baseline', file: 'b.onnx', threshold: 0.5 },
];

/** Rows of one source: live and spoof scores given per model ([candidate, baseline] per image). */
function source(name: string, live: Array<[number, number]>, spoof: Array<[number, number]>): YardstickRow[] {
  return [
    ...live.map((scores) => ({ source: name, label: 'live' as const, attack: 'none', subject: name, scores })),
    ...spoof.map((scores) => ({ source: name, label: 'spoof' as const, attack: 'replay', subject: name, scores })),
  ];
}

// Two live + two spoof per model. "perfect": lives above spoofs (EER 0, AUC 1). "half": live 0.9, 0.4 and spoof
// 0.6, 0.1: 3 of 4 live/spoof pairs ordered (AUC 0.75); at threshold 0.6 one attack passes and one live is
// rejected (APCER = BPCER = 0.5, EER 0.5). "inverted": every spoof above every live (AUC 0); APCER and BPCER first
// meet at 1 (threshold 0.8), EER 1.
const PERFECT = { live: [0.9, 0.8], spoof: [0.2, 0.1] };
const HALF = { live: [0.9, 0.4], spoof: [0.6, 0.1] };
const INVERTED = { live: [0.1, 0.2], spoof: [0.8, 0.9] };
type Scores = typeof PERFECT;
const pair = (name: string, candidate: Scores, baseline: Scores) =>
  source(
    name,
    candidate.live.map((s, i) => [s, baseline.live[i]!]),
    candidate.spoof.map((s, i) => [s, baseline.spoof[i]!]),
  );

describe('yardstick metrics per source', () => {
  it('works out EER and AUC by hand: perfect, half-ordered and inverted scores', () => {
    const rows = [...pair('a', PERFECT, HALF), ...pair('b', INVERTED, PERFECT)];
    const [a, b] = sourceMetrics(rows, ['a', 'b'], MODELS);
    expect(a).toMatchObject({ source: 'a', nLive: 2, nSpoof: 2, failures: 0 });
    expect(a!.models[0]).toMatchObject({ eer: 0, auc: 1 });
    expect(a!.models[1]).toMatchObject({ eer: 0.5, auc: 0.75 });
    expect(b!.models[0]).toMatchObject({ eer: 1, auc: 0 });
    expect(b!.models[1]).toMatchObject({ eer: 0, auc: 1 });
  });

  it('counts images without a face as failures of their source, not as scored images', () => {
    const rows = [...pair('a', PERFECT, PERFECT), { ...pair('a', PERFECT, PERFECT)[0]!, scores: [] }];
    const [a] = sourceMetrics(rows, ['a'], MODELS);
    expect(a).toMatchObject({ nLive: 2, nSpoof: 2, failures: 1 });
  });

  it('measures BPCER at each model threshold on a live-only source, with no EER or AUC', () => {
    const rows = source(
      'celeba',
      [
        [0.9, 0.3],
        [0.2, 0.7],
        [0.6, 0.1],
        [0.8, 0.55],
      ],
      [],
    );
    const models = [MODELS[0]!, { ...MODELS[1]!, threshold: 0.6 }];
    const [web] = sourceMetrics(rows, ['celeba'], models);
    // candidate rejects 0.2 at 0.5 (1 of 4); baseline rejects 0.3, 0.1 and 0.55 at 0.6 (3 of 4).
    expect(web!.models.map((m) => m.bpcer)).toEqual([0.25, 0.75]);
    expect(web!.models[0]).toMatchObject({ eer: null, auc: null });
  });

  it('averages per source, each source once however many images it has, skipping sources without attacks', () => {
    const big = source(
      'big',
      Array.from({ length: 50 }, () => [0.9, 0.9] as [number, number]),
      Array.from({ length: 50 }, () => [0.1, 0.1] as [number, number]),
    );
    const rows = [...big, ...pair('small', HALF, HALF), ...source('live-only', [[0.1, 0.1]], [])];
    const results = sourceMetrics(rows, ['big', 'small', 'live-only'], MODELS);
    expect(perSourceMeans(results, 0)).toEqual({ eer: 0.25, auc: 0.875 });
  });
});

describe('candidate against the shipped model (SHIP_RULE)', () => {
  it('needs ceil(2/3 x sources) wins', () => {
    expect([0, 1, 2, 3, 12, 13, 14, 15].map(winsNeeded)).toEqual([0, 1, 2, 2, 8, 9, 10, 10]);
  });

  it('counts wins (strictly lower EER), ties and losses; an equal mean EER fails the rule', () => {
    const rows = [
      ...pair('win', PERFECT, HALF),
      ...pair('tie', PERFECT, PERFECT),
      ...pair('loss', HALF, PERFECT),
      ...source('live-only', [[0.5, 0.5]], []),
    ];
    const results = sourceMetrics(rows, ['win', 'tie', 'loss', 'live-only'], MODELS);
    const c = compareModels(results, 0, 1);
    expect(c).toMatchObject({ sources: 3, wins: 1, ties: 1, losses: 1, winsNeeded: 2, pass: false });
    expect(c.candidateMeanEer).toBeCloseTo(1 / 6);
    expect(c.baselineMeanEer).toBeCloseTo(1 / 6);
  });

  it('passes with enough wins and a strictly lower mean EER', () => {
    const rows = [...pair('a', PERFECT, HALF), ...pair('b', PERFECT, HALF), ...pair('c', PERFECT, PERFECT)];
    const c = compareModels(sourceMetrics(rows, ['a', 'b', 'c'], MODELS), 0, 1);
    expect(c).toMatchObject({ sources: 3, wins: 2, ties: 1, losses: 0, winsNeeded: 2, pass: true });
  });

  it('fails with enough wins when one big loss leaves the mean EER no lower', () => {
    // candidate EERs 0, 0, 1 (mean 1/3); baseline 0.5, 0.5, 0 (mean 1/3).
    const rows = [...pair('a', PERFECT, HALF), ...pair('b', PERFECT, HALF), ...pair('c', INVERTED, PERFECT)];
    const c = compareModels(sourceMetrics(rows, ['a', 'b', 'c'], MODELS), 0, 1);
    expect(c).toMatchObject({ wins: 2, losses: 1, pass: false });
  });

  it('ships an ensemble as the accurate preset only 3 points of mean EER below the shipped model', () => {
    const base = compareModels(sourceMetrics(pair('a', PERFECT, PERFECT), ['a'], MODELS), 0, 1);
    const at = (candidateMeanEer: number, baselineMeanEer: number) =>
      presetPasses({ ...base, candidateMeanEer, baselineMeanEer });
    expect([at(0.17, 0.2), at(0.171, 0.2), at(0.1, 0.5), at(0.2, 0.2)]).toEqual([true, false, true, false]);
    expect(presetPasses({ ...base, candidateMeanEer: null })).toBe(false);
  });

  it('names the lowest-EER model of a source, every one of them on a tie', () => {
    const results = sourceMetrics([...pair('a', HALF, PERFECT), ...pair('b', PERFECT, PERFECT)], ['a', 'b'], MODELS);
    expect(results.map((r: SourceMetrics) => lowestEer(r))).toEqual([[1], [0, 1]]);
  });
});

describe('box scaling', () => {
  it('scales width and height about the box centre', () => {
    const box = { x: 10, y: 20, width: 100, height: 50 };
    for (const [factor, expected] of [
      [0.8, { x: 20, y: 25, width: 80, height: 40 }],
      [1.2, { x: 0, y: 15, width: 120, height: 60 }],
    ] as const) {
      const scaled = scaleBox(box, factor);
      for (const key of ['x', 'y', 'width', 'height'] as const) expect(scaled[key]).toBeCloseTo(expected[key], 9);
    }
  });
});

describe('split assignment (training/splits.py)', () => {
  it('is the standard CRC-32', () => {
    // Values from Python: zlib.crc32(b'celeba-0001'), zlib.crc32('visage-é'.encode()); 0xcbf43926 is the CRC-32
    // check value of "123456789".
    expect(crc32('celeba-0001')).toBe(187372528);
    expect(crc32('visage-é')).toBe(3969836342);
    expect(crc32('123456789')).toBe(0xcbf43926);
    expect(crc32('')).toBe(0);
    expect(webBucket('celeba-0001')).toBe(0.2528); // 187372528 % 10000 / 10000
    expect(webBucket('celeba-0046')).toBe(0.0055); // zlib.crc32(b'celeba-0046') = 4045620055
  });

  it('lists each part: its whole camera sources, then one source per held-out subject group', () => {
    const selection = yardstickSources(SPLIT, 'selection');
    const test = yardstickSources(SPLIT, 'test');
    expect(selection).toEqual([...Object.keys(SPLIT.selectionSources), 'casia']);
    expect(test).toEqual([...Object.keys(SPLIT.testSources), 'nuaa', 'oulu']);
    expect(selection.filter((source) => test.includes(source))).toEqual([]);
    // splits.py SELECTION_YARDSTICK, the per-source metrics training reports during selection.
    expect(selection).toEqual([
      'webcam-apfol',
      'webcam-krzysiek354',
      'webcam-trickyf0x',
      'cam-eyashita',
      'cam-rounakdeepsingh',
      'cam-codersworld',
      'cam-sudipto0315',
      'casia',
    ]);
    expect(sourceDescription(SPLIT, 'oulu')).toMatch(/OULU/);
    expect(sourceDescription(SPLIT, 'cam-foxriver')).toBe(SPLIT.testSources['cam-foxriver']);
  });

  // [source, subject, path, what training/splits.py part_of() says]
  const HAND_MADE: Array<[string, string, string, string]> = [
    ['webcam-apfol', 'u1', 'webcam-apfol/live/a.jpg', 'val'],
    ['webcam-lestari15', 'u1', 'x', 'test'],
    ['webcam-neonipun', 'u2', 'webcam-neonipun/live/b.jpg', 'train'],
    ['cam-foxriver', 'cam-foxriver', 'cam-foxriver/spoof/c.jpg', 'test'],
    ['nuaa', 'nuaa-0011', 'n11', 'train'],
    ['nuaa', 'nuaa-0012', 'n12', 'test'],
    ['nuaa', 'nuaa-0016', 'n16', 'test'],
    ['casia', 'casia-val-21', 'c21', 'val'],
    ['casia', 'casia-val-20', 'c20', 'train'],
    ['casia', 'casia-train-01', 'ct1', 'train'],
    ['oulu', 'oulu-51', 'o51', 'test'],
    ['oulu', 'oulu-50', 'o50', 'train'],
    ['nuaa', 'casia-val-21', 'x', 'train'], // held out by (source, subject), not by subject alone
    ['celeba', 'celeba-0001', 'celeba/live/1.jpg', 'train'], // bucket 0.2528
    ['celeba', 'celeba-0046', 'celeba/live/46.jpg', 'val'], // bucket 0.0055
    ['celeba', 'celeba-0001', 'utkface/live/img12.jpg', 'train'], // celeba goes by subject, not path
    ['utkface', 'utkface', 'utkface/live/img00.jpg', 'train'], // zlib.crc32 3169532506: bucket 0.2506
    ['utkface', 'utkface', 'utkface/live/img12.jpg', 'val'], // zlib.crc32 225950367: bucket 0.0367
    ['utkface', 'celeba-0046', 'utkface/live/img00.jpg', 'train'], // utkface goes by path, not subject
    ['other', 'celeba-0046', 'utkface/live/img12.jpg', 'train'],
  ];
  /** splits.py's three parts from ours: 'selection' and 'web-bpcer' are both its 'val'. */
  const asPython = (part: YardstickPart) => (part === 'selection' || part === 'web-bpcer' ? 'val' : part);

  it('agrees with splits.part_of on hand-made rows: selection, test, web-bpcer and train', () => {
    const rows = HAND_MADE.map(([source, subject, path]) => ({ source, subject, path }));
    const parts = assignYardstick(rows, SPLIT);
    expect(parts.map(asPython)).toEqual(HAND_MADE.map((row) => row[3]));
    expect(parts.filter((part) => part === 'web-bpcer')).toHaveLength(2);
    expect(parts.filter((part) => part === 'selection')).toHaveLength(2);
    expect(rows.map((row) => yardstickSplit(row, SPLIT))).toEqual(parts);
  });

  it.skipIf(!hasPython)('agrees with training/splits.py itself on the hand-made rows (skipped without python3)', () => {
    const script =
      'import json, sys; sys.path.insert(0, "training"); import splits; ' +
      'print(json.dumps(splits.assign([dict(source=s, subject=u, path=p) for s, u, p, _ in json.load(sys.stdin)])))';
    const run = spawnSync('python3', ['-c', script], { cwd: ROOT, encoding: 'utf8', input: JSON.stringify(HAND_MADE) });
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(HAND_MADE.map((row) => row[3]));
  });

  it('rejects a split file with a bad field, naming it', () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ ...SPLIT, webValidationFraction: 2 }, /"webValidationFraction"/],
      [{ ...SPLIT, testSources: ['a'] }, /"testSources" must map/],
      [{ ...SPLIT, selectionSources: undefined }, /"selectionSources" must map/],
      [{ ...SPLIT, testSources: { ...SPLIT.testSources, 'webcam-apfol': 'x' } }, /"webcam-apfol" is in both/],
      [{ ...SPLIT, heldOutSubjects: {} }, /"heldOutSubjects" must be a list/],
      [
        { ...SPLIT, heldOutSubjects: [{ ...SPLIT.heldOutSubjects[0], part: 'val' }] },
        /heldOutSubjects\[0\]\.part" must be/,
      ],
      [
        { ...SPLIT, heldOutSubjects: [{ ...SPLIT.heldOutSubjects[0], subjects: [] }] },
        /heldOutSubjects\[0\]\.subjects"/,
      ],
      [
        { ...SPLIT, heldOutSubjects: [{ ...SPLIT.heldOutSubjects[0], source: 'cam-foxriver' }] },
        /also a whole held-out/,
      ],
      [
        { ...SPLIT, heldOutSubjects: [SPLIT.heldOutSubjects[0], { ...SPLIT.heldOutSubjects[0], part: 'test' }] },
        /lists casia subject "casia-val-21" twice/,
      ],
      [{ ...SPLIT, nuaaValidationSubjects: 5 }, /"nuaaValidationSubjects" is the old format/],
    ];
    for (const [broken, message] of cases) {
      expect(() => parseYardstickSplit(broken, 'x.json')).toThrow(AntispoofError);
      expect(() => parseYardstickSplit(broken, 'x.json')).toThrow(message);
    }
  });

  const MANIFEST = join(ROOT, '..', 'shared', 'data', 'manifest.csv');
  it.skipIf(skipWithoutShared(MANIFEST) || !hasPython)(
    'agrees with splits.py row for row on ../shared/data/manifest.csv (skipped without the corpus or python3)',
    async () => {
      const script =
        'import csv, json, sys; sys.path.insert(0, "training"); import splits; ' +
        'print(json.dumps(splits.assign(list(csv.DictReader(open(sys.argv[1], newline=""))))))';
      const run = spawnSync('python3', ['-c', script, MANIFEST], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26 });
      expect(run.status, run.stderr).toBe(0);
      const python = JSON.parse(run.stdout) as string[];
      const ours = assignYardstick(await readManifest(MANIFEST), SPLIT);
      expect(ours.map(asPython)).toEqual(python);
      // Every part is populated: the corpus holds every source and subject group the split names.
      for (const part of ['selection', 'test', 'web-bpcer', 'train'] as const) expect(ours).toContain(part);
    },
  );
});
