// The service over a worker pool, where the pool is the scheduler: the event loop stays free while every worker is
// blocked, a full queue is a 503 at once, a deadline a 504 that leaves its worker busy until it answers, a pool
// with no worker is a 503 and says so on /healthz, a request that cannot cross threads is a 500. The workers are
// the scriptable fixture (test/fixtures/pool-worker.mjs) blocked at a gate the test opens: every assert is about
// order and state, none about milliseconds. Worker threads run the built dist/ code.
import type { FastifyInstance } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../src/index.js';
import { createServer, type ServerOptions, type ServiceChecker } from '../src/server/index.js';
import { Gate, gatedPool, until, type FixturePool, type FixtureRequest } from './helpers/gated-pool.js';

const pools: FixturePool[] = [];
const apps: FastifyInstance[] = [];
afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()));
  await Promise.all(pools.map((pool) => pool.close()));
});

const EMPTY: CheckResult = { width: 1, height: 1, faces: [], timings: { detectMs: 0, classifyMs: 0 } };

/** A checker whose every check is one fixture task (by default: wait at the gate) on `pool`. */
function fixtureChecker(pool: FixturePool, request: () => FixtureRequest = () => ({ kind: 'gate' })): ServiceChecker {
  pools.push(pool);
  return {
    classifier: { card: { name: 'fixture' } },
    pool,
    async check(_input, options) {
      await pool.run(request(), { signal: options?.signal });
      return EMPTY;
    },
    close: () => pool.close(),
  };
}

async function server(options: ServerOptions): Promise<FastifyInstance> {
  const app = await createServer(options);
  apps.push(app);
  return app;
}

const check = (app: FastifyInstance) =>
  app.inject({ method: 'POST', url: '/v1/check', headers: { 'content-type': 'image/jpeg' }, body: 'jpeg bytes' });

async function gauge(app: FastifyInstance, name: string): Promise<number> {
  const text = (await app.inject({ url: '/metrics' })).body;
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
}

describe('serve over a worker pool', () => {
  it('answers /healthz and /metrics while every worker is blocked in a check', async () => {
    const gate = new Gate();
    const pool = await gatedPool(gate, { size: 2, maxQueued: 8 });
    const app = await server({ checker: fixtureChecker(pool) });
    const checks = Array.from({ length: 5 }, () => check(app));
    await gate.untilStarted(2);
    await until(async () => (await gauge(app, 'antispoof_queue_depth')) === 3, 'three checks queued');
    // Both worker threads are blocked, as in a model run: the event loop answers anyway.
    const health = await app.inject({ url: '/healthz' });
    expect([health.statusCode, health.json()]).toEqual([200, { status: 'ok', model: 'fixture' }]);
    expect(await gauge(app, 'antispoof_checks_in_flight')).toBe(2);
    expect(await gauge(app, 'antispoof_pool_busy')).toBe(2);
    expect(await gauge(app, 'antispoof_pool_workers')).toBe(2);
    expect(gate.started).toBe(2);
    gate.open();
    expect((await Promise.all(checks)).map((answer) => answer.statusCode)).toEqual([200, 200, 200, 200, 200]);
  });

  it('answers 504 at the deadline; the worker counts as in flight until it answers; the next check gets its own', async () => {
    const gate = new Gate();
    const pool = await gatedPool(gate, { abortKillMs: 60_000 });
    const app = await server({ checker: fixtureChecker(pool), timeoutMs: 100 });
    const late = await check(app);
    expect(late.statusCode).toBe(504);
    expect(late.json()).toMatchObject({ errorCode: 'TIMEOUT' });
    // The worker still computes the dropped check: it is busy, and the service says so.
    expect(gate.started).toBe(1);
    expect(await gauge(app, 'antispoof_checks_in_flight')).toBe(1);
    gate.open();
    await until(async () => (await gauge(app, 'antispoof_checks_in_flight')) === 0, 'the worker answers');
    expect((await check(app)).statusCode).toBe(200);
    expect([pool.kills, pool.restarts]).toEqual([0, 0]);
  });

  it('under overload refuses what the queue cannot hold with 503 at once, not a chain of 504s', async () => {
    const gate = new Gate();
    const pool = await gatedPool(gate, { maxQueued: 1, abortKillMs: 60_000 });
    const app = await server({ checker: fixtureChecker(pool), timeoutMs: 300, queue: 1 });
    const statuses = async (count: number) =>
      (await Promise.all(Array.from({ length: count }, () => check(app)))).map((answer) => answer.statusCode).sort();
    // One runs (blocked), one waits; the rest are refused while the gate is still shut.
    const first = await statuses(4);
    expect(first).toEqual([503, 503, 504, 504]);
    // The timed-out check still holds its worker: new checks find the worker busy, one may wait, the rest are
    // refused — they are not admitted to wait out their own deadlines behind it.
    expect(await gauge(app, 'antispoof_checks_in_flight')).toBe(1);
    expect(await statuses(3)).toEqual([503, 503, 504]);
    const refused = await Promise.all([check(app), check(app)]);
    const busy = refused.find((answer) => answer.statusCode === 503)!;
    expect(busy.headers['retry-after']).toBe('1');
    expect(busy.json()).toMatchObject({ errorCode: 'BUSY' });
    gate.open();
    await until(async () => (await gauge(app, 'antispoof_checks_in_flight')) === 0, 'the worker answers');
    expect((await check(app)).statusCode).toBe(200);
    // Only the first check and the last ever reached the worker: the others were refused or dropped in the queue.
    expect(gate.started).toBe(2);
  });

  it('with no worker ready answers 503 UNAVAILABLE, and /healthz says so until a worker is back', async () => {
    const gate = new Gate();
    const pool = await gatedPool(gate, { respawnDelayMs: 10 });
    const app = await server({ checker: fixtureChecker(pool, () => ({ kind: 'echo' })) });
    expect((await check(app)).statusCode).toBe(200);
    gate.failStarts(true);
    await expect(pool.run({ kind: 'exit', code: 1 })).rejects.toMatchObject({ code: 'INFERENCE_FAILED' });
    await until(() => pool.health === 'unavailable', 'the pool is unavailable');

    const health = await app.inject({ url: '/healthz' });
    expect(health.statusCode).toBe(503);
    expect(health.json()).toMatchObject({ status: 'unavailable', model: 'fixture', workers: { ready: 0 } });
    const refused = await check(app);
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.json()).toMatchObject({ errorCode: 'UNAVAILABLE' });
    // The message is the service's, not the worker's setup error (which names paths and internals).
    expect(refused.json().error).not.toMatch(/fixture cannot load/);
    expect(await gauge(app, 'antispoof_pool_workers')).toBe(0);

    gate.failStarts(false);
    await until(async () => (await app.inject({ url: '/healthz' })).statusCode === 200, 'a worker is back');
    expect((await check(app)).statusCode).toBe(200);
    expect(await gauge(app, 'antispoof_pool_restarts_total')).toBeGreaterThanOrEqual(2);
  });

  it('answers a request that cannot cross to a worker (DataCloneError) with 500 and a request id, not 400', async () => {
    const gate = new Gate();
    const pool = await gatedPool(gate);
    const app = await server({ checker: fixtureChecker(pool, () => ({ kind: 'echo', tag: () => 'uncloneable' })) });
    const answer = await check(app);
    expect(answer.statusCode).toBe(500);
    expect(answer.json()).toMatchObject({ errorCode: 'INFERENCE_FAILED', requestId: expect.any(String) });
    expect(answer.json().error).toMatch(/request id/);
  });

  it('on close lets the running check answer and refuses the queued one, without terminating a worker', async () => {
    const gate = new Gate();
    const logged: string[] = [];
    const pool = await gatedPool(gate, { log: (message) => logged.push(message) });
    const app = await createServer({ checker: fixtureChecker(pool) });
    const running = check(app);
    await gate.untilStarted(1);
    const closing = app.close();
    gate.open();
    expect((await running).statusCode).toBe(200);
    await closing;
    await pool.close();
    expect([pool.kills, pool.size]).toEqual([0, 0]);
    expect(logged).toEqual([]);
  });
});
