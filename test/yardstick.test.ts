import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scaleBox } from '../src/crop/geometry.js';
import { readManifest } from '../src/data/manifest.js';
import {
  assignYardstick,
  compareModels,
  crc32,
  lowestEer,
  nuaaValidationSet,
  parseYardstickSplit,
  perSourceMeans,
  sourceMetrics,
  webBucket,
  winsNeeded,
  yardstickSources,
  type SourceMetrics,
  type YardstickRow,
  type YardstickSplitFile,
} from '../src/evaluate/yardstick.js';

const ROOT = join(import.meta.dirname, '..');
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

describe('candidate against baseline', () => {
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

  it('lists the 13 held-out camera sources and NUAA as the yardstick sources', () => {
    const sources = yardstickSources(SPLIT);
    expect(sources).toHaveLength(14);
    expect(sources.at(-1)).toBe('nuaa');
  });

  it('agrees with splits.assign on hand-made rows', () => {
    const rows = [
      ['webcam-apfol', 'u1', 'webcam-apfol/live/a.jpg'],
      ['webcam-neonipun', 'u2', 'webcam-neonipun/live/b.jpg'],
      ['cam-foxriver', 'cam-foxriver', 'cam-foxriver/spoof/c.jpg'],
      ...[4, 1, 7, 2, 6, 3, 5].map((n) => ['nuaa', `nuaa-000${n}`, `n${n}`]),
      ['celeba', 'celeba-0001', 'celeba/live/1.jpg'], // bucket 0.2528
      ['celeba', 'celeba-0046', 'celeba/live/46.jpg'], // bucket 0.0055
      ['celeba', 'celeba-0001', 'utkface/live/img12.jpg'], // celeba goes by subject, not path
      ['utkface', 'utkface', 'utkface/live/img00.jpg'], // zlib.crc32 3169532506: bucket 0.2506
      ['utkface', 'utkface', 'utkface/live/img12.jpg'], // zlib.crc32 225950367: bucket 0.0367
      ['utkface', 'celeba-0046', 'utkface/live/img00.jpg'], // utkface goes by path, not subject
      ['other', 'celeba-0046', 'utkface/live/img12.jpg'],
    ].map(([source, subject, path]) => ({ source: source!, subject: subject!, path: path! }));
    // Expected: the output of training/splits.py assign() on these rows ('val'/'train'), val split by part.
    const python = 'val train val val train val train val val val train val train train val train train'.split(' ');
    const parts = assignYardstick(rows, SPLIT);
    expect(parts.map((part) => (part === 'train' ? 'train' : 'val'))).toEqual(python);
    expect(parts.filter((part) => part === 'web-bpcer')).toHaveLength(2);
    expect([...nuaaValidationSet(rows, SPLIT)].sort()).toEqual([
      'nuaa-0003',
      'nuaa-0004',
      'nuaa-0005',
      'nuaa-0006',
      'nuaa-0007',
    ]);
  });

  it('rejects a split file without the fields the assignment reads', () => {
    const broken: Partial<YardstickSplitFile> = { ...SPLIT, webValidationFraction: 2 };
    expect(() => parseYardstickSplit(broken, 'x.json')).toThrow(/webValidationFraction/);
  });

  const MANIFEST = join(ROOT, '..', 'shared', 'data', 'manifest.csv');
  const hasPython = spawnSync('python3', ['--version'], { stdio: 'ignore' }).status === 0;
  it.skipIf(!existsSync(MANIFEST) || !hasPython)(
    'agrees with splits.py row for row on ../shared/data/manifest.csv (skipped without the corpus or python3)',
    async () => {
      const script =
        'import csv, json, sys; sys.path.insert(0, "training"); import splits; ' +
        'print(json.dumps(splits.assign(list(csv.DictReader(open(sys.argv[1], newline=""))))))';
      const run = spawnSync('python3', ['-c', script, MANIFEST], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26 });
      expect(run.status, run.stderr).toBe(0);
      const python = JSON.parse(run.stdout) as string[];
      const ours = assignYardstick(await readManifest(MANIFEST), SPLIT);
      expect(ours.map((part) => (part === 'train' ? 'train' : 'val'))).toEqual(python);
    },
  );
});
