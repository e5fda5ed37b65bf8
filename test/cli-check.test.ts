import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { encode, patternImage, samplePhoto } from './helpers/images.js';
import { antispoof } from './helpers/cli.js';
import { writeTinyModel } from './helpers/tiny-model.js';

describe('antispoof check (CLI)', () => {
  const { modelFile } = writeTinyModel();
  const dir = mkdtempSync(join(tmpdir(), 'antispoof-cli-'));

  it('reports one JSON result per file, errors per file, and exits 1 when any file failed', async () => {
    const empty = join(dir, 'empty.jpg');
    writeFileSync(empty, Buffer.alloc(0));
    const text = join(dir, 'notes.jpg');
    writeFileSync(text, 'just some text');
    const truncated = join(dir, 'truncated.jpg');
    const jpeg = await sharp(samplePhoto(2)).jpeg().toBuffer();
    writeFileSync(truncated, jpeg.subarray(0, 2000));
    const noFace = join(dir, 'wall.png');
    writeFileSync(noFace, await encode(patternImage(160, 120, (x, y) => 100 + ((x ^ y) % 50))));

    const { code, stdout } = await antispoof(
      'check',
      '--json',
      '--model',
      modelFile,
      samplePhoto(4),
      empty,
      text,
      truncated,
      noFace,
    );
    expect(code).toBe(1);
    const reports = JSON.parse(stdout) as Array<Record<string, unknown>>;
    expect(reports.map((r) => r.file)).toEqual([samplePhoto(4), empty, text, truncated, noFace]);
    const [photo, zero, notImage, cut, wall] = reports;
    expect((photo!.faces as unknown[]).length).toBeGreaterThanOrEqual(2);
    expect(photo!.faces).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          box: expect.objectContaining({ width: expect.any(Number) }),
          verdict: expect.any(String),
        }),
      ]),
    );
    expect(zero).toMatchObject({ errorCode: 'DECODE_FAILED' });
    expect(notImage).toMatchObject({ errorCode: 'UNSUPPORTED_FORMAT' });
    expect(cut).toMatchObject({ errorCode: 'DECODE_FAILED' });
    expect(wall).toMatchObject({ faces: [] });
  });

  it('exits 0 when every file was processed and prints a table on request', async () => {
    const { code, stdout } = await antispoof('check', '--model', modelFile, samplePhoto(2));
    expect(code).toBe(0);
    expect(stdout).toMatch(/verdict/);
    expect(stdout).toMatch(/sample2\.jpg\s+1\s+(live|spoof|retry)/);
  });

  it('uses --threshold and --whole-image', async () => {
    const red = join(dir, 'red.png');
    writeFileSync(red, await encode(patternImage(120, 120, (x, y, c) => (c === 0 ? 220 : (x * 13 + y * 7) % 90))));
    const strict = JSON.parse(
      (await antispoof('check', '--json', '--whole-image', '--threshold', '1', '--model', modelFile, red)).stdout,
    );
    expect(strict[0].faces[0].verdict).toBe('spoof');
    const lenient = JSON.parse(
      (await antispoof('check', '--json', '--whole-image', '--threshold', '0', '--model', modelFile, red)).stdout,
    );
    expect(lenient[0].faces[0].verdict).toBe('live');
  });

  it('exits 2 on usage errors', async () => {
    expect((await antispoof('check')).code).toBe(2);
    expect((await antispoof('check', '--threshold', '7', samplePhoto(1))).code).toBe(2);
    expect((await antispoof('frobnicate')).code).toBe(2);
  });

  it('says clearly when the model cannot be loaded', async () => {
    const { code, stderr } = await antispoof('check', '--model', join(dir, 'missing.onnx'), samplePhoto(1));
    expect(code).toBe(1);
    expect(stderr).toMatch(/missing\.onnx/);
  });
});
