import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AntispoofError, createLivenessChecker, type CheckResult, type LivenessChecker } from '../src/index.js';
import { hostileCorpus, resultProblems, settle, type HostileCase } from './hostile/corpus.js';
import { writeTinyModel } from './helpers/tiny-model.js';

/** Every case must be answered or refused within this (a 40 MP photo decodes in well under it). */
const CASE_LIMIT_MS = 2_000;
/** A case still running after this is reported as a hang (and the run goes on). */
const HANG_MS = 10_000;
/** RSS may grow by at most this over the whole corpus (64 MB inputs included). */
const RSS_LIMIT_MB = 300;

let checker: LivenessChecker;
let server: Server;
const requests: string[] = [];
let externalUrl: string;
let externalFile: string;

beforeAll(async () => {
  checker = await createLivenessChecker({ model: writeTinyModel().modelFile });
  server = createServer((request, response) => {
    requests.push(request.url ?? '');
    response.end('<x/>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  externalUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  externalFile = join(mkdtempSync(join(tmpdir(), 'antispoof-hostile-')), 'secret.png');
  writeFileSync(
    externalFile,
    await sharp({ create: { width: 8, height: 8, channels: 3, background: '#00f' } })
      .png()
      .toBuffer(),
  );
});

afterAll(async () => {
  await checker?.close();
  await new Promise((resolve) => server?.close(resolve));
});

/** What is wrong with the way `check` handled a case; undefined when it did the right thing. */
function judge(testCase: HostileCase, settled: Awaited<ReturnType<typeof settle<CheckResult>>>): string | undefined {
  if (settled.outcome === 'timeout') return `hang: no answer after ${HANG_MS} ms`;
  if (settled.outcome === 'rejected') {
    const { error } = settled;
    if (!(error instanceof AntispoofError)) return `crash: ${String(error)}`;
    if (testCase.expect === 'verdict') return `refused (${error.code}: ${error.message}) but should answer`;
    if (error.code !== testCase.errorCode) return `refused with ${error.code} instead of ${testCase.errorCode}`;
    return undefined;
  }
  const result = settled.value;
  if (testCase.expect === 'error') return `answered (${result.width}x${result.height}) but should be refused`;
  const problems = resultProblems(result);
  if (problems.length > 0) return `malformed result: ${problems.join('; ')}`;
  if (testCase.size && (result.width !== testCase.size.width || result.height !== testCase.size.height))
    return `decoded ${result.width}x${result.height}, expected ${testCase.size.width}x${testCase.size.height}`;
  if (testCase.face) {
    const { x, y, tolerance } = testCase.face;
    const centres = result.faces.map((f) => ({ x: f.box.x + f.box.width / 2, y: f.box.y + f.box.height / 2 }));
    if (!centres.some((c) => Math.hypot(c.x - x, c.y - y) <= tolerance))
      return `no face within ${tolerance} px of (${x}, ${y}): ${JSON.stringify(centres)}`;
  }
  return undefined;
}

const mb = (bytes: number) => bytes / 2 ** 20;

/** A full garbage collection, so that RSS measures what is still alive rather than what is not collected yet. */
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

describe('hostile inputs', () => {
  it('are all refused with a clean AntispoofError or answered, none crashes or hangs', async () => {
    await checker.check(
      await sharp({ create: { width: 64, height: 64, channels: 3, background: '#888' } })
        .png()
        .toBuffer(),
    );
    collectGarbage();
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const failures: string[] = [];
    const orientationFaces: Array<{ name: string; x: number; y: number }> = [];
    let cases = 0;
    let crashes = 0;
    let slowest = { ms: 0, name: '' };

    for await (const testCase of hostileCorpus({ externalUrl, externalFile })) {
      cases++;
      const settled = await settle(checker.check(testCase.bytes), HANG_MS);
      if (settled.ms > slowest.ms) slowest = { ms: settled.ms, name: testCase.name };
      // Peak while the case's result is alive; the corpus's own 64 MB inputs are collected after their case.
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
      if (testCase.bytes.length > 1 << 20) collectGarbage();
      const problem = judge(testCase, settled);
      if (
        settled.outcome === 'timeout' ||
        (settled.outcome === 'rejected' && !(settled.error instanceof AntispoofError))
      )
        crashes++;
      if (problem) failures.push(`${testCase.name}: ${problem}`);
      else if (settled.ms > CASE_LIMIT_MS) failures.push(`${testCase.name}: took ${settled.ms.toFixed(0)} ms`);
      if (testCase.name.startsWith('orientation/') && settled.outcome === 'resolved' && settled.value.faces[0]) {
        const { box } = settled.value.faces[0];
        orientationFaces.push({ name: testCase.name, x: box.x + box.width / 2, y: box.y + box.height / 2 });
      }
      if (testCase.metadata) {
        const metadata = await sharp(testCase.bytes).metadata();
        const actual = Object.fromEntries(
          Object.keys(testCase.metadata).map((k) => [k, metadata[k as keyof typeof metadata]]),
        );
        if (JSON.stringify(actual) !== JSON.stringify(testCase.metadata))
          failures.push(
            `${testCase.name}: corpus bytes are ${JSON.stringify(actual)}, not ${JSON.stringify(testCase.metadata)}`,
          );
      }
    }

    collectGarbage();
    const growth = mb(rssPeak - rssBefore);
    const retained = mb(process.memoryUsage().rss - rssBefore);
    console.log(
      `hostile inputs: ${cases} cases, ${crashes} crashes, ${failures.length} failures, ` +
        `max ${slowest.ms.toFixed(0)} ms (${slowest.name}), RSS +${growth.toFixed(0)} MB peak, +${retained.toFixed(0)} MB after`,
    );
    expect(failures).toEqual([]);
    expect(crashes).toBe(0);
    expect(cases).toBeGreaterThan(2000);
    expect(growth).toBeLessThan(RSS_LIMIT_MB);
    // SVG href, external entities and CSS @import pointed at this server: nothing may have been fetched.
    expect(requests).toEqual([]);
    // Orientation applied: the face is at the same place in all eight, whichever way the pixels were stored.
    expect(orientationFaces.map((f) => f.name)).toHaveLength(8);
    for (const face of orientationFaces) {
      expect(Math.abs(face.x - orientationFaces[0]!.x), face.name).toBeLessThan(4);
      expect(Math.abs(face.y - orientationFaces[0]!.y), face.name).toBeLessThan(4);
    }
  }, 120_000);

  it('gives the same answers for a file path as for its bytes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'antispoof-hostile-files-'));
    let compared = 0;
    let index = 0;
    for await (const testCase of hostileCorpus({ externalUrl, externalFile })) {
      // Every case except most truncation points and the 64 MB floods (those are covered as bytes above).
      if ((testCase.name.startsWith('truncated-') && index++ % 97 !== 0) || testCase.bytes.length > 32 << 20) continue;
      const file = join(dir, `${compared++}.bin`);
      writeFileSync(file, testCase.bytes);
      const [fromBytes, fromFile] = await Promise.all(
        [testCase.bytes, file].map(async (input) => {
          const settled = await settle(checker.check(input), HANG_MS);
          if (settled.outcome === 'rejected')
            return settled.error instanceof AntispoofError ? settled.error.code : String(settled.error);
          return settled.outcome === 'resolved' ? `${settled.value.width}x${settled.value.height}` : 'timeout';
        }),
      );
      expect(fromFile, testCase.name).toBe(fromBytes);
    }
    expect(compared).toBeGreaterThan(100);
    expect(requests).toEqual([]);
  }, 120_000);
});
