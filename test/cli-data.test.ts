import { execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLivenessChecker } from '../src/check.js';
import { createFaceDetector } from '../src/index.js';
import { decodeImage } from '../src/image/decode.js';
import { samplePhoto } from './helpers/images.js';
import { makeMiniDataset, type MiniDataset } from './helpers/mini-dataset.js';
import { writeTinyModel } from './helpers/tiny-model.js';

const run = promisify(execFile);
const CLI = join(import.meta.dirname, '..', 'bin', 'antispoof.js');
let dataset: MiniDataset;

beforeAll(async () => {
  const detector = await createFaceDetector();
  const faces = [];
  for (const photo of [1, 3, 4, 6] as const) {
    const found = await detector.detect(await decodeImage(samplePhoto(photo)));
    for (const face of found.slice(0, 2)) faces.push({ photo, box: face.box });
  }
  await detector.close();
  dataset = await makeMiniDataset(faces);
}, 60_000); // the default 10 s hook timeout is too short on a loaded 2-core machine

describe('antispoof prepare', () => {
  it('crops every image with the product crop, lists faceless images, and resumes after kill -9', async () => {
    const out = join(dataset.root, 'prepared');
    const args = [
      CLI,
      'prepare',
      dataset.manifest,
      '--out',
      out,
      '--size',
      '32',
      '--crop-scale',
      '1.5',
      '--concurrency',
      '1',
    ];
    // Kill the first run once it has journaled a few images, then finish with a second run.
    await new Promise<void>((resolve) => {
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      const timer = setInterval(() => {
        const journal = join(out, 'progress.jsonl');
        if (existsSync(journal) && readFileSync(journal, 'utf8').split('\n').length > 5) child.kill('SIGKILL');
      }, 5);
      child.on('exit', () => {
        clearInterval(timer);
        resolve();
      });
    });
    expect(existsSync(join(out, 'DONE'))).toBe(false);
    const { stdout } = await run(process.execPath, args);
    expect(stdout).toMatch(/\((\d+) from an earlier run\)/);
    expect(Number(/\((\d+) from an earlier run\)/.exec(stdout)![1])).toBeGreaterThan(0);

    const rows = parse(readFileSync(join(out, 'prepared.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(dataset.rows);
    expect(rows.find((row) => row.path === 'empty/wall.png')!.status).toBe('no-face');
    const ok = rows.filter((row) => row.status === 'ok');
    expect(ok.length).toBeGreaterThanOrEqual(dataset.rows - 3);
    for (const row of ok) {
      const crop = await sharp(join(out, row.crop!)).metadata();
      const context = await sharp(join(out, row.context!)).metadata();
      expect([crop.width, crop.height]).toEqual([32, 32]);
      expect([context.width, context.height]).toEqual([40, 40]);
      if (row.framing === 'tight') expect(row.box_w).toBe('192.00');
    }
    expect(JSON.parse(readFileSync(join(out, 'prepare.json'), 'utf8'))).toMatchObject({ size: 32, cropScale: 1.5 });
  });
});

describe('antispoof eval and calibrate', () => {
  it('writes the JSON contract and a self-contained HTML report, counting faceless images as failures', async () => {
    const { modelFile } = writeTinyModel();
    const json = join(dataset.root, 'eval.json');
    const report = join(dataset.root, 'eval.html');
    await run(process.execPath, [
      CLI,
      'eval',
      dataset.manifest,
      '--model',
      modelFile,
      '--model',
      modelFile,
      '--json',
      json,
      '--report',
      report,
      '--bootstrap',
      '50',
    ]);
    const result = JSON.parse(readFileSync(json, 'utf8'));
    expect(result.models).toHaveLength(2);
    const [model] = result.models;
    expect(Object.keys(model)).toEqual(
      expect.arrayContaining(['name', 'file', 'threshold', 'overall', 'bySource', 'byAttack', 'failures']),
    );
    for (const field of [
      'n',
      'apcer',
      'apcerWorst',
      'bpcer',
      'acer',
      'hter',
      'accuracy',
      'eer',
      'eerThreshold',
      'auc',
      'bpcer100',
      'bpcer20',
    ])
      expect(model.overall).toHaveProperty(field);
    expect(model.failures).toBeGreaterThanOrEqual(1);
    expect(model.failedImages.map((f: { path: string }) => f.path)).toContain('empty/wall.png');
    expect(model.overall.auc).toBeGreaterThan(0.9); // the tint separates the classes for the tiny model
    expect(Object.keys(model.bySource)).toContain('source-1');
    const html = readFileSync(report, 'utf8');
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
  });

  it('calibrate writes a card whose threshold meets the APCER target on the same data', async () => {
    const { modelFile } = writeTinyModel({ cardOverrides: { threshold: { live: 0.5, stream: { live: 0.4 } } } });
    const out = join(dataset.root, 'calibrated.json');
    const { stdout } = await run(process.execPath, [
      CLI,
      'calibrate',
      dataset.manifest,
      '--model',
      modelFile,
      '--target-apcer',
      '0.05',
      '--out',
      out,
    ]);
    expect(stdout).toMatch(/threshold/);
    const card = JSON.parse(readFileSync(out, 'utf8'));
    expect(card.threshold.measured.apcer).toBeLessThanOrEqual(0.05);
    // A stream threshold fitted on other cameras would no longer match the recalibrated frame threshold.
    expect(card.threshold.stream).toBeUndefined();
    const check = await run(process.execPath, [CLI, 'check', '--json', '--model', out, samplePhoto(2)]);
    expect(JSON.parse(check.stdout)[0].faces.length).toBeGreaterThan(0);
  });

  it('calibrate --sequence-length also fits the stream threshold on fused sequences of the same captures', async () => {
    const { modelFile } = writeTinyModel();
    // A "video" per label: the tight frames of each label (faces big enough for the quality gate), repeated, as one
    // subject.
    const rows = (parse(readFileSync(dataset.manifest, 'utf8'), { columns: true }) as Record<string, string>[]).filter(
      (row) => row.framing === 'tight',
    );
    const lines = ['path,label,attack,subject,source,framing'];
    for (const label of ['live', 'spoof']) {
      const frames = rows.filter((row) => row.label === label);
      for (let i = 0; i < 20; i++)
        lines.push(
          `${frames[i % frames.length]!.path},${label},${label === 'live' ? 'none' : 'replay'},me,my-camera,tight`,
        );
    }
    const manifest = join(dataset.root, 'sequences.csv');
    writeFileSync(manifest, lines.join('\n') + '\n');
    const out = join(dataset.root, 'calibrated-stream.json');
    const args = ['calibrate', manifest, '--root', dataset.root, '--model', modelFile, '--target-apcer', '0.05'];
    const { stdout } = await run(process.execPath, [CLI, ...args, '--sequence-length', '5', '--out', out]);
    expect(stdout).toMatch(/stream threshold [\d.]+: APCER/);
    const card = JSON.parse(readFileSync(out, 'utf8'));
    const stream = card.threshold.stream;
    expect(stream.live).toBeGreaterThanOrEqual(0);
    expect(stream.live).toBeLessThanOrEqual(1);
    // 20 frames per label -> 4 sequences of 5 each; the tiny model separates the tints, so the target holds.
    expect(stream.measured).toMatchObject({ sequenceLength: 5, nLive: 4, nSpoof: 4, retry: 0 });
    expect(stream.measured.rule).toBe('target APCER 0.05 on fused sequence scores');
    // The shape bench/stream-fusion.ts --write-card gives the shipped card (one library function writes both).
    expect(Object.keys(stream.measured)).toEqual([
      'rule',
      'sources',
      'sequenceLength',
      'fusion',
      'n',
      'nLive',
      'nSpoof',
      'retry',
      'apcer',
      'apcerWorst',
      'bpcer',
      'eer',
      'auc',
      'perSource',
      'model',
      'measuredAt',
    ]);
    expect(stream.measured).toMatchObject({ sources: ['my-camera'], model: 'tiny.onnx' });
    expect(stream.measured.measuredAt).toBe(card.threshold.measured.calibratedAt);
    // Written by rename: nothing half-written is left beside the card.
    expect(readdirSync(dataset.root).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    expect(stream.measured.apcer).toBeLessThanOrEqual(0.05);
    // Sessions (check --frames, LivenessSession) of a checker on the calibrated card decide with it.
    const checker = await createLivenessChecker({ model: out });
    expect(checker.streamThreshold).toBe(stream.live);
    expect(checker.threshold).toBe(card.threshold.live);
    await checker.close();

    const tooShort = await run(process.execPath, [CLI, ...args, '--sequence-length', '50', '--out', out]).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(tooShort?.code).toBe(1);
    expect(tooShort?.stderr).toMatch(/no live and spoof sequences to fit the stream threshold on/);
    const belowMinFrames = await run(process.execPath, [CLI, ...args, '--sequence-length', '3', '--out', out]).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(belowMinFrames?.code).toBe(2);
    expect(belowMinFrames?.stderr).toMatch(/--sequence-length must be at least 5/);
  });
});
