// The inference worker pool: the generic pool over a scriptable fixture worker (queueing, the bounded queue, abort,
// the kill of a worker that never answers, crashes, respawn with backoff, close), asserting order and state with a
// gate the test holds rather than milliseconds; then the pooled checker against the in-thread one on real photos. Worker threads run the built dist/ code
// (`npm test` builds it first), so after editing src/ run `npm run build` before this file.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AntispoofError,
  cropFace,
  createLivenessChecker,
  decodeImage,
  type CheckResult,
  type LivenessChecker,
} from '../src/index.js';
import { createWorkerPool } from '../src/runtime/worker-pool.js';
import { FIXTURE, Gate, gatedPool, until, type FixturePool } from './helpers/gated-pool.js';
import { samplePhoto } from './helpers/images.js';

const pools: FixturePool[] = [];
async function track(pool: Promise<FixturePool>): Promise<FixturePool> {
  pools.push(await pool);
  return pools.at(-1)!;
}
const fixturePool = (size: number, data?: unknown) =>
  track(createWorkerPool({ script: FIXTURE, size, data, name: 'test worker' }));
afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.close()));
});

describe('createWorkerPool', () => {
  it('runs one task per worker at a time and queues the rest in order', async () => {
    const pool = await fixturePool(2);
    const tasks = ['a', 'b', 'c', 'd'].map((tag) => pool.run({ kind: 'hog', tag, ms: 150 }));
    expect(pool.busy).toBe(2);
    expect(pool.queued).toBe(2);
    const answers = (await Promise.all(tasks)) as Array<{ tag: string; threadId: number }>;
    expect(answers.map((answer) => answer.tag)).toEqual(['a', 'b', 'c', 'd']);
    expect(new Set(answers.map((answer) => answer.threadId)).size).toBe(2);
    expect([pool.busy, pool.queued]).toEqual([0, 0]);
  });

  it('removes a task aborted while queued: it rejects with the reason and never runs', async () => {
    const pool = await fixturePool(1);
    const running = pool.run({ kind: 'hog', tag: 'running', ms: 200 });
    const controller = new AbortController();
    const queued = pool.run({ kind: 'echo', tag: 'queued' }, { signal: controller.signal });
    expect(pool.queued).toBe(1);
    const reason = new Error('gave up');
    controller.abort(reason);
    await expect(queued).rejects.toBe(reason);
    expect(pool.queued).toBe(0);
    await running;
    expect(await pool.run({ kind: 'handled' })).toEqual(['running', undefined]);
    const early = new AbortController();
    early.abort(reason);
    await expect(pool.run({ kind: 'echo', tag: 'never' }, { signal: early.signal })).rejects.toBe(reason);
  });

  it('rejects a task aborted while running at once, keeps its worker busy until it answers, then serves the next', async () => {
    const gate = new Gate();
    const pool = await track(gatedPool(gate));
    const controller = new AbortController();
    const dropped = pool.run({ kind: 'gate', tag: 'dropped' }, { signal: controller.signal });
    const next = pool.run({ kind: 'echo', tag: 'next' });
    await gate.untilStarted(1);
    controller.abort(new Error('deadline'));
    // Rejected while the worker is still blocked at the gate: the promise did not wait for it.
    await expect(dropped).rejects.toThrow('deadline');
    expect([pool.busy, pool.queued, pool.kills]).toEqual([1, 1, 0]);
    gate.open();
    expect(await next).toMatchObject({ tag: 'next' });
    expect([pool.busy, pool.queued, pool.kills, pool.restarts]).toEqual([0, 0, 0, 0]);
  });

  it('terminates and replaces a worker that never answers an aborted task, and counts the kill', async () => {
    const gate = new Gate();
    const logged: string[] = [];
    const pool = await track(gatedPool(gate, { abortKillMs: 50, log: (message) => logged.push(message) }));
    const controller = new AbortController();
    const hung = pool.run({ kind: 'hang', tag: 'hung' }, { signal: controller.signal });
    await gate.untilStarted(1);
    expect(pool.busy).toBe(1);
    const next = pool.run({ kind: 'echo', tag: 'next' });
    controller.abort(new Error('deadline'));
    await expect(hung).rejects.toThrow('deadline');
    // The queued task is served by the replacement, not lost behind the hung worker.
    const answer = (await next) as { tag: string; threadId: number };
    expect(answer.tag).toBe('next');
    expect([pool.kills, pool.restarts, pool.size, pool.ready, pool.busy, pool.health]).toEqual([1, 1, 1, 1, 0, 'ok']);
    expect(logged).toEqual([expect.stringMatching(/did not answer an aborted task within 50 ms/)]);
  });

  it('refuses a task at once with BUSY when every worker is busy and the queue is full', async () => {
    const gate = new Gate();
    const pool = await track(gatedPool(gate, { maxQueued: 1 }));
    const running = pool.run({ kind: 'gate', tag: 'running' });
    const queued = pool.run({ kind: 'echo', tag: 'queued' });
    expect(pool.full).toBe(true);
    // Refused while the gate is still shut: at once, not when a worker frees up.
    await expect(pool.run({ kind: 'echo', tag: 'refused' })).rejects.toMatchObject({ code: 'BUSY' });
    expect(gate.started).toBeLessThanOrEqual(1);
    gate.open();
    expect(await running).toMatchObject({ tag: 'running' });
    expect(await queued).toMatchObject({ tag: 'queued' });
    expect(pool.full).toBe(false);
    expect(await pool.run({ kind: 'handled' })).toEqual(['running', 'queued', undefined]);
  });

  it('reports a worker error with its code, as an AntispoofError', async () => {
    const pool = await fixturePool(1);
    const failed = pool.run({ kind: 'fail', code: 'DECODE_FAILED', message: 'not an image' });
    await expect(failed).rejects.toBeInstanceOf(AntispoofError);
    await expect(failed).rejects.toMatchObject({ code: 'DECODE_FAILED', message: 'not an image' });
    expect(await pool.run({ kind: 'echo', tag: 'after' })).toMatchObject({ tag: 'after' });
  });

  it('fails a request that cannot cross threads with INFERENCE_FAILED (a caller bug), not INVALID_INPUT', async () => {
    const pool = await fixturePool(1);
    const uncloneable = pool.run({ kind: 'echo', tag: () => 'a function' });
    await expect(uncloneable).rejects.toMatchObject({ code: 'INFERENCE_FAILED' });
    await expect(uncloneable).rejects.toThrow(/cannot be sent to a worker thread/);
    expect(await pool.run({ kind: 'echo', tag: 'after' })).toMatchObject({ tag: 'after' });
  });

  it.each([
    ['exits', { kind: 'exit', code: 3 } as const, /exit code 3/],
    ['throws an uncaught error', { kind: 'throw' } as const, /fixture threw outside any task/],
  ])('replaces a worker that %s, rejecting its task with INFERENCE_FAILED', async (_, request, message) => {
    const pool = await fixturePool(2);
    const before = (await pool.run({ kind: 'echo' })) as { threadId: number };
    const crashed = pool.run(request);
    await expect(crashed).rejects.toBeInstanceOf(AntispoofError);
    await expect(crashed).rejects.toMatchObject({ code: 'INFERENCE_FAILED', message: expect.stringMatching(message) });
    await expect(crashed).rejects.toThrow(/test worker thread crashed/);
    // The pool keeps its size and serves on: the survivor at once, both workers (one of them new) once the
    // replacement has loaded.
    expect([pool.size, pool.restarts]).toEqual([2, 1]);
    expect(await pool.run({ kind: 'echo', tag: 'survivor' })).toMatchObject({ tag: 'survivor' });
    await until(() => pool.ready === 2, 'the replacement is ready');
    const answers = (await Promise.all([
      pool.run({ kind: 'hog', tag: 'x', ms: 50 }),
      pool.run({ kind: 'hog', tag: 'y', ms: 50 }),
    ])) as Array<{ threadId: number }>;
    const threads = new Set(answers.map((answer) => answer.threadId));
    expect(threads.size).toBe(2);
    expect([...threads].some((id) => id > before.threadId)).toBe(true);
  });

  it('with no worker ready and its replacement failing, refuses with UNAVAILABLE, retries, and heals', async () => {
    const gate = new Gate();
    const pool = await track(gatedPool(gate, { respawnDelayMs: 10 }));
    expect(pool.health).toBe('ok');
    gate.failStarts(true);
    await expect(pool.run({ kind: 'exit', code: 1 })).rejects.toMatchObject({ code: 'INFERENCE_FAILED' });
    await until(() => pool.health === 'unavailable', 'the pool reports unavailable');
    await expect(pool.run({ kind: 'echo' })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringMatching(/fixture cannot load/),
    });
    // Replacements keep being tried, with backoff, while the cause lasts ...
    await until(() => pool.restarts >= 3, 'three restarts');
    expect(pool.ready).toBe(0);
    // ... and the pool serves again once one starts.
    gate.failStarts(false);
    await until(() => pool.health === 'ok', 'the pool heals');
    expect(await pool.run({ kind: 'echo', tag: 'healed' })).toMatchObject({ tag: 'healed' });
  });

  it('fails its creation with the setup error of a worker, and stops the others', async () => {
    await expect(
      createWorkerPool({ script: FIXTURE, size: 2, data: { failSetup: true }, name: 'x' }),
    ).rejects.toMatchObject({ name: 'AntispoofError', code: 'MODEL_NOT_FOUND' });
    await expect(createWorkerPool({ script: FIXTURE, size: 0, name: 'x' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
  });

  it('closes once: rejects queued tasks, lets the running one answer, stops the workers without terminating', async () => {
    const gate = new Gate();
    const logged: string[] = [];
    const pool = await track(gatedPool(gate, { log: (message) => logged.push(message) }));
    const running = pool.run({ kind: 'gate', tag: 'r' });
    const queued = pool.run({ kind: 'echo', tag: 'q' });
    await gate.untilStarted(1);
    const [first, second] = [pool.close(), pool.close()];
    expect(first).toBe(second);
    await expect(queued).rejects.toMatchObject({ code: 'INFERENCE_FAILED' });
    expect([pool.health, pool.size, pool.busy]).toEqual(['closed', 1, 1]);
    gate.open();
    expect(await running).toMatchObject({ tag: 'r' });
    await first;
    expect([pool.size, pool.kills]).toEqual([0, 0]);
    expect(logged).toEqual([]);
    await expect(pool.close()).resolves.toBeUndefined();
    await expect(pool.run({ kind: 'echo' })).rejects.toMatchObject({ code: 'INFERENCE_FAILED' });
  });

  it('closes a worker that never answers by terminating it after the grace period, and logs it', async () => {
    const gate = new Gate();
    const logged: string[] = [];
    const pool = await track(gatedPool(gate, { closeGraceMs: 50, log: (message) => logged.push(message) }));
    const hung = pool.run({ kind: 'hang', tag: 'h' });
    await gate.untilStarted(1);
    const outcome = hung.catch((error: unknown) => error);
    await pool.close();
    expect(await outcome).toMatchObject({ code: 'INFERENCE_FAILED', message: expect.stringMatching(/closed/) });
    expect([pool.size, pool.kills]).toEqual([0, 1]);
    expect(logged).toEqual([expect.stringMatching(/still computing 50 ms after close\(\)/)]);
  });
});

const SHIPPED = join(import.meta.dirname, '..', 'models', 'antispoof-v2.int8.onnx');

/** A result without its timings, which are the only part allowed to differ between two runs. */
const verdicts = (result: CheckResult) => ({ width: result.width, height: result.height, faces: result.faces });

describe.skipIf(!existsSync(SHIPPED))('pooled checker (workers > 0) vs in-thread (workers: 0)', () => {
  let inThread: LivenessChecker;
  let pooled: LivenessChecker;
  beforeAll(async () => {
    [inThread, pooled] = await Promise.all([
      createLivenessChecker({ model: SHIPPED }),
      createLivenessChecker({ model: SHIPPED, workers: 2 }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([inThread?.close(), pooled?.close()]);
  });

  it('gives identical verdicts, scores, boxes and quality on the real photos, from paths and Buffers', async () => {
    let faces = 0;
    for (const n of [1, 2, 3, 4, 5, 6] as const) {
      const expected = verdicts(await inThread.check(samplePhoto(n)));
      faces += expected.faces.length;
      expect(verdicts(await pooled.check(samplePhoto(n))), `sample${n}`).toEqual(expected);
      const bytes = await sharp(samplePhoto(n)).toBuffer();
      expect(verdicts(await pooled.check(bytes)), `sample${n} bytes`).toEqual(verdicts(await inThread.check(bytes)));
    }
    expect(faces).toBeGreaterThanOrEqual(10);
    expect([pooled.threshold, pooled.streamThreshold]).toEqual([inThread.threshold, inThread.streamThreshold]);
    expect(pooled.classifier.card).toEqual(inThread.classifier.card);
    expect(pooled.classifier.modelFile).toBe(inThread.classifier.modelFile);
  });

  it('copies what it sends unless handed over: the caller keeps its Buffer, raw pixels and RgbImage', async () => {
    const bytes = await sharp(samplePhoto(2)).resize(640, 480, { fit: 'cover' }).jpeg().toBuffer();
    const copy = Buffer.from(bytes);
    const image = await decodeImage(bytes);
    const rgba = await sharp(bytes).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    const raw = { data: rgba.data, width: rgba.info.width, height: rgba.info.height, channels: 4 as const };
    const expected = verdicts(await inThread.check(bytes));
    expect(expected.faces.length).toBeGreaterThan(0);
    expect(verdicts(await pooled.check(bytes))).toEqual(expected);
    expect(verdicts(await pooled.check(image))).toEqual(expected);
    expect(verdicts(await pooled.checkImage(image, { wholeImage: true }))).toEqual(
      verdicts(await inThread.checkImage(image, { wholeImage: true })),
    );
    expect(verdicts(await pooled.check(raw))).toEqual(verdicts(await inThread.check(raw)));
    expect(bytes.equals(copy)).toBe(true);
    expect(image.data.byteLength).toBe(640 * 480 * 3);
    expect(rgba.data.byteLength).toBe(640 * 480 * 4);

    // transfer: true moves a Buffer that owns its whole ArrayBuffer (an HTTP upload): detached here afterwards.
    const upload = Buffer.concat([bytes]);
    expect(upload.byteLength).toBe(upload.buffer.byteLength);
    expect(verdicts(await pooled.check(upload, { transfer: true }))).toEqual(expected);
    expect(upload.byteLength).toBe(0);
    // A view into a larger buffer is copied even when handed over: the rest of its memory is someone else's.
    const framed = Buffer.concat([Buffer.alloc(16), bytes]);
    const view = framed.subarray(16);
    expect(verdicts(await pooled.check(view, { transfer: true }))).toEqual(expected);
    expect(view.equals(bytes)).toBe(true);
    // Raw pixels are always copied.
    expect(verdicts(await pooled.check(raw, { transfer: true }))).toEqual(verdicts(await inThread.check(raw)));
    expect(rgba.data.byteLength).toBe(640 * 480 * 4);
  });

  it('routes classifier.classify through the pool with the same scores', async () => {
    const image = await decodeImage(samplePhoto(1));
    const { size } = inThread.classifier.card.input as { size: number }; // a single-network card
    const crops = (await inThread.check(image)).faces.map((face) => cropFace(image, face.box, { cropScale: 2, size }));
    expect(await pooled.classifier.classify(crops)).toEqual(await inThread.classifier.classify(crops));
  });

  it('fails on unusable input with the in-thread error code and message', async () => {
    const jpeg = await sharp(samplePhoto(1)).jpeg().toBuffer();
    const inputs: unknown[] = [
      Buffer.from('not an image at all'),
      jpeg.subarray(0, 2000),
      Buffer.alloc(0),
      join(import.meta.dirname, 'no-such-photo.jpg'),
      { data: new Uint8Array(10), width: 4, height: 4, channels: 3 },
      42,
    ];
    for (const input of inputs) {
      const expected = await inThread.check(input as string).then(
        () => undefined,
        (error: AntispoofError) => ({ name: error.name, code: error.code, message: error.message }),
      );
      expect(expected, String(input)).toBeDefined();
      const actual = pooled.check(input as string);
      await expect(actual).rejects.toBeInstanceOf(AntispoofError);
      await expect(actual).rejects.toMatchObject(expected!);
    }
    await expect(pooled.check(jpeg, { box: { x: 1e6, y: 0, width: 5, height: 5 } })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
  });

  it('rejects a check aborted while running or queued with the reason, and keeps serving', async () => {
    const big = await sharp(samplePhoto(2)).resize(4000, 3000).jpeg().toBuffer();
    const controller = new AbortController();
    // Two workers: two checks run, the third waits.
    const checks = [0, 1, 2].map(() => pooled.check(big, { signal: controller.signal }));
    expect([pooled.pool?.busy, pooled.pool?.queued]).toEqual([2, 1]);
    controller.abort(new Error('time is up'));
    for (const check of checks) await expect(check).rejects.toThrow('time is up');
    expect(pooled.pool?.queued).toBe(0);
    expect(verdicts(await pooled.check(samplePhoto(3)))).toEqual(verdicts(await inThread.check(samplePhoto(3))));
    // In-thread, a signal that has already fired stops the check before it starts.
    await expect(inThread.check(big, { signal: AbortSignal.abort(new Error('late')) })).rejects.toThrow('late');
  });

  it('checks the options in the workers and fails the startup with the in-thread error', async () => {
    await expect(createLivenessChecker({ model: SHIPPED, threshold: 2, workers: 1 })).rejects.toMatchObject({
      name: 'AntispoofError',
      code: 'INVALID_INPUT',
    });
    await expect(createLivenessChecker({ model: SHIPPED, workers: 1.5 })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    await expect(createLivenessChecker({ model: 'no-such-model.onnx', workers: 1 })).rejects.toMatchObject({
      code: 'MODEL_NOT_FOUND',
    });
  });

  it('closes once; later checks reject with INFERENCE_FAILED, as in-thread', async () => {
    const own = await createLivenessChecker({ model: SHIPPED, workers: 1 });
    await Promise.all([own.close(), own.close()]);
    await expect(own.close()).resolves.toBeUndefined();
    await expect(own.check(samplePhoto(1))).rejects.toBeInstanceOf(AntispoofError);
    await expect(own.check(samplePhoto(1))).rejects.toMatchObject({ code: 'INFERENCE_FAILED' });
    await expect(own.classifier.classify([])).rejects.toMatchObject({ code: 'INFERENCE_FAILED' });
  });
});
