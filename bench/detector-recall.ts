/**
 * Face detector recall on the corpus images that must contain exactly one face (framing context2x or aligned),
 * and false detections on images made here that contain none (flat/gradient/noise images and background
 * corners of context2x crops).
 *
 * Build with `npm run build`, then: node dist/bench/detector-recall.js [--data ../shared/data] [--per-source N]
 *   [--negatives 500] [--min-score 0.5] [--seed 1]   (--per-source: sample N images per source; 0, the default, = all)
 */
import { mulberry32 } from '../src/evaluate/index.js';
import { createFaceDetector, type FaceDetector, type RgbImage } from '../src/index.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';

interface Args {
  data: string;
  perSource: number;
  negatives: number;
  minScore: number;
  seed: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { data: '../shared/data', perSource: 0, negatives: 500, minScore: 0.5, seed: 1 };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`missing value for ${flag}`);
    if (flag === '--data') args.data = value;
    else if (flag === '--per-source') args.perSource = Number(value);
    else if (flag === '--negatives') args.negatives = Number(value);
    else if (flag === '--min-score') args.minScore = Number(value);
    else if (flag === '--seed') args.seed = Number(value);
    else throw new Error(`unknown option ${flag}`);
  }
  return args;
}

interface Row {
  path: string;
  source: string;
  framing: string;
}

function readManifest(file: string): Row[] {
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  const header = lines[0]!.split(',');
  const col = (name: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`${file}: no column ${name}`);
    return i;
  };
  const [p, s, f] = [col('path'), col('source'), col('framing')];
  return lines.slice(1).map((line) => {
    const cells = line.split(',');
    return { path: cells[p]!, source: cells[s]!, framing: cells[f]! };
  });
}

function sample<T>(items: T[], n: number, random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return n > 0 ? copy.slice(0, n) : copy;
}

async function decode(file: string): Promise<RgbImage> {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

function crop(image: RgbImage, x0: number, y0: number, w: number, h: number): RgbImage {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    const from = ((y0 + y) * image.width + x0) * 3;
    data.set(image.data.subarray(from, from + w * 3), y * w * 3);
  }
  return { data, width: w, height: h };
}

/** The four corner squares outside the central face box (context2x = 2x the face box, centred). */
function backgroundCorners(image: RgbImage): RgbImage[] {
  const s = Math.floor(Math.min(image.width, image.height) / 4);
  return [
    crop(image, 0, 0, s, s),
    crop(image, image.width - s, 0, s, s),
    crop(image, 0, image.height - s, s, s),
    crop(image, image.width - s, image.height - s, s, s),
  ];
}

function synthetic(random: () => number): { kind: string; image: RgbImage }[] {
  const out: { kind: string; image: RgbImage }[] = [];
  const make = (w: number, h: number, pixel: (x: number, y: number, c: number) => number): RgbImage => {
    const data = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let c = 0; c < 3; c++) {
          data[(y * w + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(pixel(x, y, c))));
        }
    return { data, width: w, height: h };
  };
  for (let i = 0; i < 20; i++) {
    const rgb = [random() * 255, random() * 255, random() * 255];
    out.push({ kind: 'uniform', image: make(320, 240, (_x, _y, c) => rgb[c]!) });
  }
  for (let i = 0; i < 20; i++) {
    const [a, b] = [random() * 255, random() * 255];
    const angle = random() * Math.PI;
    out.push({
      kind: 'gradient',
      image: make(320, 240, (x, y, c) => {
        const t = ((x - 160) * Math.cos(angle) + (y - 120) * Math.sin(angle)) / 400 + 0.5;
        return (a + (b - a) * t) * (0.8 + 0.1 * c);
      }),
    });
  }
  for (let i = 0; i < 20; i++) {
    out.push({ kind: 'noise', image: make(320, 240, () => random() * 255) });
  }
  for (let i = 0; i < 20; i++) {
    // Blocky noise: blobs at face-like scales rather than per-pixel grain.
    const cell = 8 + Math.floor(random() * 40);
    const grid = new Map<string, number>();
    out.push({
      kind: 'blocky noise',
      image: make(320, 240, (x, y, c) => {
        const key = `${Math.floor(x / cell)},${Math.floor(y / cell)},${c}`;
        if (!grid.has(key)) grid.set(key, random() * 255);
        return grid.get(key)!;
      }),
    });
  }
  return out;
}

const pct = (k: number, n: number): string => (n === 0 ? '-' : ((100 * k) / n).toFixed(1).padStart(5) + '%');

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const random = mulberry32(args.seed);
  const rows = readManifest(path.join(args.data, 'manifest.csv')).filter(
    (r) => r.framing === 'context2x' || r.framing === 'aligned',
  );
  // Thresholds below the default are reported too: counts at score >= t are exact for every t >= the run's minScore.
  const thresholds = [...new Set([0.3, 0.4, args.minScore, 0.6, 0.7])].sort((a, b) => a - b);
  const detector: FaceDetector = await createFaceDetector({ minScore: Math.min(...thresholds), threads: 1 });
  const bySource = new Map<string, Row[]>();
  for (const r of rows) bySource.set(r.source, [...(bySource.get(r.source) ?? []), r]);

  console.log(`detector recall, minScore ${args.minScore}; one face expected per image`);
  console.log(
    `${'source'.padEnd(10)} ${'n'.padStart(6)} ${'total'.padStart(6)} ${'>=1 face'.padStart(8)} ${'exactly1'.padStart(8)}  ` +
      `>=1 face at ${thresholds.map((t) => t.toFixed(1)).join(' / ')}   median top score, box/img width`,
  );
  const contextImages: string[] = [];
  for (const [source, all] of [...bySource.entries()].sort()) {
    const chosen = sample(all, args.perSource, random);
    let detected = 0;
    let exactlyOne = 0;
    const atThreshold = thresholds.map(() => 0);
    const topScores: number[] = [];
    const widths: number[] = [];
    const misses: string[] = [];
    for (const row of chosen) {
      const image = await decode(path.join(args.data, row.path));
      if (row.framing === 'context2x') contextImages.push(row.path);
      const faces = await detector.detect(image);
      thresholds.forEach((t, i) => {
        if (faces.some((f) => f.score >= t)) atThreshold[i]!++;
      });
      const kept = faces.filter((f) => f.score >= args.minScore);
      if (kept.length >= 1) {
        detected++;
        widths.push(kept[0]!.box.width / image.width);
      } else misses.push(row.path);
      if (kept.length === 1) exactlyOne++;
      topScores.push(faces[0]?.score ?? 0);
    }
    const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? NaN;
    const n = chosen.length;
    console.log(
      `${source.padEnd(10)} ${String(n).padStart(6)} ${String(all.length).padStart(6)} ${pct(detected, n).padStart(8)} ` +
        `${pct(exactlyOne, n).padStart(8)}  ${atThreshold.map((k) => pct(k, n)).join(' / ')}   ` +
        `${median(topScores).toFixed(2)}, ${median(widths).toFixed(2)}`,
    );
    if (misses.length > 0) console.log(`  missed e.g.: ${misses.slice(0, 5).join(' ')}`);
  }
  console.log(
    '(exactly1 below >=1 face: a second face was found; in nuaa it is usually a real person in the background)',
  );

  const negatives: { kind: string; image: RgbImage }[] = synthetic(random);
  for (const file of sample(contextImages, args.negatives, random)) {
    for (const image of backgroundCorners(await decode(path.join(args.data, file)))) {
      negatives.push({ kind: 'context2x corner', image });
    }
  }
  const byKind = new Map<string, { n: number; hits: number[] }>();
  for (const { kind, image } of negatives) {
    const faces = await detector.detect(image);
    const entry = byKind.get(kind) ?? { n: 0, hits: thresholds.map(() => 0) };
    entry.n++;
    thresholds.forEach((t, i) => {
      if (faces.some((f) => f.score >= t)) entry.hits[i]!++;
    });
    byKind.set(kind, entry);
  }
  console.log(`\nfalse detections: images with >=1 face at ${thresholds.map((t) => t.toFixed(1)).join(' / ')}`);
  const all = { n: 0, hits: thresholds.map(() => 0) };
  for (const [kind, e] of [...byKind.entries(), ['all', all] as const]) {
    if (kind !== 'all') {
      all.n += e.n;
      e.hits.forEach((h, i) => (all.hits[i]! += h));
    }
    console.log(
      `  ${kind.padEnd(18)} ${String(e.n).padStart(5)} images  ${e.hits.map((h) => pct(h, e.n)).join(' / ')}`,
    );
  }
  console.log(
    '  (context2x corners are 1/4-side squares upscaled ~2x: blurry, and sometimes part of a background person)',
  );
  const sampled = args.perSource > 0 ? `sampled up to ${args.perSource} per source (seed ${args.seed})` : 'all images';
  console.log(`\n${sampled}; ${((Date.now() - started) / 1000).toFixed(0)} s`);
  await detector.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
