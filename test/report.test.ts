import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AntispoofError, parseBox, reportFromError, reportFromResult } from '../src/index.js';
import { antispoof } from './helpers/cli.js';

describe('reports (check --json and POST /v1/check)', () => {
  it('rounds boxes to 0.1 px, detection scores to 4 and P(live) to 6 digits, and drops the rest', () => {
    const result = {
      width: 640,
      height: 480,
      faces: [
        {
          box: { x: 10.04, y: 20.06, width: 99.95, height: 100.01 },
          detectionScore: 0.912345,
          keypoints: [{ x: 1, y: 2 }],
          score: 0.1234567,
          verdict: 'spoof' as const,
          reasons: [],
          quality: { faceSize: 100, brightness: 120, sharpness: 50, outsideFraction: 0 },
        },
      ],
      timings: { detectMs: 3, classifyMs: 4 },
    };
    expect(reportFromResult('a.jpg', result)).toEqual({
      file: 'a.jpg',
      width: 640,
      height: 480,
      faces: [
        {
          box: { x: 10, y: 20.1, width: 100, height: 100 },
          detectionScore: 0.9123,
          score: 0.123457,
          verdict: 'spoof',
          reasons: [],
        },
      ],
    });
  });

  it('reports a library error by its code and anything else as INTERNAL', () => {
    expect(reportFromError('a', new AntispoofError('DECODE_FAILED', 'truncated'))).toEqual({
      file: 'a',
      error: 'truncated',
      errorCode: 'DECODE_FAILED',
    });
    expect(reportFromError('a', new Error('boom'))).toEqual({ file: 'a', error: 'boom', errorCode: 'INTERNAL' });
  });

  it('parses "x,y,w,h" and refuses anything else with INVALID_INPUT', () => {
    expect(parseBox('1,2.5,30,40')).toEqual({ x: 1, y: 2.5, width: 30, height: 40 });
    expect(parseBox('-5,-5,10,10')).toEqual({ x: -5, y: -5, width: 10, height: 10 });
    for (const text of ['1,2,3', '1,2,3,4,5', '1,2,0,4', '1,2,3,-4', 'a,b,c,d', '1,2,3,Infinity'])
      expect(() => parseBox(text)).toThrow(
        expect.objectContaining({
          code: 'INVALID_INPUT',
          message: `expected x,y,width,height in pixels, got "${text}"`,
        }),
      );
  });

  it('comes from the library: nothing under src/server imports src/cli', () => {
    const dir = join(import.meta.dirname, '..', 'src', 'server');
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) expect(readFileSync(join(dir, file), 'utf8')).not.toMatch(/from '[./]*\/cli\//);
  });

  it('check --box with a bad box is a usage error (exit 2) naming the box', async () => {
    const { code, stderr } = await antispoof('check', '--box', '1,2,3', 'x.jpg');
    expect(code).toBe(2);
    expect(stderr).toContain('expected x,y,width,height in pixels, got "1,2,3"');
  });
});
