import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AntispoofError,
  createLivenessChecker,
  reportFromResult,
  type CheckResult,
  type LivenessChecker,
} from '../src/index.js';
import { createServer, type ServerOptions, type ServiceChecker } from '../src/server/index.js';
import { samplePhoto } from './helpers/images.js';
import { writeTinyModel } from './helpers/tiny-model.js';

const { modelFile } = writeTinyModel();
let checker: LivenessChecker;
let photo: Buffer;

beforeAll(async () => {
  checker = await createLivenessChecker({ model: modelFile });
  photo = await sharp(samplePhoto(2)).resize(640, 480, { fit: 'cover' }).jpeg({ quality: 90 }).toBuffer();
});
afterAll(async () => checker?.close());

/** Servers made by a test are closed after it (they share `checker`, which they do not close). */
const open: FastifyInstance[] = [];
async function server(options: ServerOptions = {}): Promise<FastifyInstance> {
  const app = await createServer({ checker, ...options });
  open.push(app);
  return app;
}
afterAll(async () => {
  await Promise.all(open.map((app) => app.close()));
});

async function listen(app: FastifyInstance): Promise<number> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('not listening on TCP');
  return address.port;
}

interface Part {
  name: string;
  filename?: string;
  type?: string;
  data: Buffer | string;
}

function multipart(parts: Part[], boundary = 'antispoof-test-boundary'): { body: Buffer; contentType: string } {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = `form-data; name="${part.name}"${part.filename ? `; filename="${part.filename}"` : ''}`;
    const type = part.type ? `Content-Type: ${part.type}\r\n` : '';
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${type}\r\n`));
    chunks.push(Buffer.from(part.data), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

const NO_TIMINGS = { detectMs: 0, classifyMs: 0 };

/** A checker whose every check waits until the test releases it: fills slots and the queue deterministically. */
function gatedChecker(result: CheckResult = { width: 1, height: 1, faces: [], timings: NO_TIMINGS }) {
  const waiting: Array<() => void> = [];
  const fake: ServiceChecker = {
    classifier: { card: { name: 'gated-fake' } },
    check: () => new Promise((resolve) => waiting.push(() => resolve(result))),
    close: async () => {},
  };
  return {
    checker: fake,
    get started() {
      return waiting.length;
    },
    releaseAll() {
      for (const release of waiting.splice(0)) release();
    },
  };
}

/** A checker answering after `ms`, as a real one under load would. */
function slowChecker(ms: number): ServiceChecker {
  return {
    classifier: { card: { name: 'slow-fake' } },
    check: () =>
      new Promise((resolve) => setTimeout(() => resolve({ width: 1, height: 1, faces: [], timings: NO_TIMINGS }), ms)),
    close: async () => {},
  };
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!(await condition())) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function post(port: number, body: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/v1/check',
        agent: false,
        headers: { 'content-type': 'image/jpeg' },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('POST /v1/check', () => {
  it('answers raw and multipart uploads with exactly what check --json prints', async () => {
    const app = await server();
    const expected = reportFromResult('upload', await checker.check(photo));
    expect(expected.faces!.length).toBeGreaterThanOrEqual(1);

    for (const type of ['image/jpeg', 'application/octet-stream']) {
      const raw = await app.inject({
        method: 'POST',
        url: '/v1/check',
        headers: { 'content-type': type },
        body: photo,
      });
      expect(raw.statusCode).toBe(200);
      expect(raw.headers['content-type']).toMatch(/^application\/json/);
      expect(raw.json()).toEqual(expected);
    }

    const form = multipart([
      { name: 'note', data: 'a field before the file is ignored' },
      { name: 'image', filename: 'me.jpg', type: 'image/jpeg', data: photo },
    ]);
    const viaForm = await app.inject({
      method: 'POST',
      url: '/v1/check',
      headers: { 'content-type': form.contentType },
      body: form.body,
    });
    expect(viaForm.statusCode).toBe(200);
    expect(viaForm.json()).toEqual({ ...expected, file: 'me.jpg' });
  });

  it('passes ?wholeImage and ?box on to the checker', async () => {
    const app = await server();
    const png = await sharp(photo).png().toBuffer();
    const cases: Array<[string, Parameters<LivenessChecker['check']>[1]]> = [
      ['wholeImage=true', { wholeImage: true }],
      ['box=100,50,200,220', { box: { x: 100, y: 50, width: 200, height: 220 } }],
    ];
    for (const [query, options] of cases) {
      const response = await app.inject({
        method: 'POST',
        url: `/v1/check?${query}`,
        headers: { 'content-type': 'image/png' },
        body: png,
      });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual(reportFromResult('upload', await checker.check(png, options)));
    }
  });

  it('answers 400 with the library errorCode for images it cannot use, and for a bad query', async () => {
    const app = await server();
    const send = (body: Buffer | string, url = '/v1/check') =>
      app.inject({ method: 'POST', url, headers: { 'content-type': 'image/jpeg' }, body });
    const cases: Array<[Promise<{ statusCode: number; json: () => unknown }>, string]> = [
      [send('just some text'), 'UNSUPPORTED_FORMAT'],
      [send(photo.subarray(0, 2000)), 'DECODE_FAILED'],
      [send(Buffer.alloc(0)), 'DECODE_FAILED'],
      [send(photo, '/v1/check?box=1,2,3'), 'INVALID_INPUT'],
      [send(photo, '/v1/check?wholeImage=perhaps'), 'INVALID_INPUT'],
    ];
    for (const [response, errorCode] of cases) {
      const { statusCode, json } = await response;
      expect(statusCode).toBe(400);
      expect(json()).toMatchObject({ file: 'upload', errorCode, error: expect.any(String) });
    }
  });

  it('answers 500 with a generic message and the request id; the error itself goes to the log only', async () => {
    const lines: string[] = [];
    const failures = [
      new AntispoofError('INFERENCE_FAILED', 'classifier /srv/secret/model.onnx failed on 1 crop(s): bad alloc'),
      new TypeError("Cannot read properties of undefined (reading 'data') at /srv/secret/pipeline.js:12"),
    ];
    const failing: ServiceChecker = {
      classifier: { card: { name: 'failing-fake' } },
      check: async () => {
        throw failures.shift()!;
      },
      close: async () => {},
    };
    const app = await server({
      checker: failing,
      logger: { level: 'error', stream: { write: (line: string) => void lines.push(line) } },
    });
    for (const errorCode of ['INFERENCE_FAILED', 'INTERNAL']) {
      const response = await app.inject({
        method: 'POST',
        url: '/v1/check',
        headers: { 'content-type': 'image/jpeg' },
        body: photo,
      });
      expect(response.statusCode).toBe(500);
      const body = response.json<{ error: string; requestId: string }>();
      expect(body).toEqual({
        file: 'upload',
        error: `internal server error; the server log has the details under request id ${body.requestId}`,
        errorCode,
        requestId: expect.any(String),
      });
      expect(response.body).not.toContain('secret');
      const logged = lines.map((line) => JSON.parse(line) as { reqId: string; err: { message: string } });
      expect(logged.find((entry) => entry.reqId === body.requestId)?.err.message).toContain('/srv/secret/');
    }
  });

  it('answers 415 for any other content type', async () => {
    const app = await server();
    for (const headers of [{ 'content-type': 'application/json' }, { 'content-type': 'text/plain' }, {}]) {
      const response = await app.inject({ method: 'POST', url: '/v1/check', headers, body: '{"image":"x"}' });
      expect(response.statusCode).toBe(415);
      expect(response.json()).toMatchObject({ errorCode: 'UNSUPPORTED_MEDIA_TYPE' });
    }
  });

  it('answers 413 for a body over the limit, raw or multipart', async () => {
    const app = await server({ maxBodyBytes: 10_000 });
    const big = Buffer.alloc(20_000, 1);
    const raw = await app.inject({
      method: 'POST',
      url: '/v1/check',
      headers: { 'content-type': 'image/jpeg' },
      body: big,
    });
    expect(raw.statusCode).toBe(413);
    expect(raw.json()).toMatchObject({ errorCode: 'PAYLOAD_TOO_LARGE' });
    const form = multipart([{ name: 'image', filename: 'big.jpg', data: big }]);
    const viaForm = await app.inject({
      method: 'POST',
      url: '/v1/check',
      headers: { 'content-type': form.contentType },
      body: form.body,
    });
    expect(viaForm.statusCode).toBe(413);
    expect(viaForm.json()).toMatchObject({ errorCode: 'PAYLOAD_TOO_LARGE' });
  });

  it('answers 400 for malformed multipart bodies', async () => {
    const app = await server();
    const good = multipart([{ name: 'image', filename: 'a.jpg', data: photo }]);
    const bodies: Array<{ body: Buffer; contentType: string }> = [
      { body: good.body.subarray(0, 500), contentType: good.contentType }, // truncated
      { body: good.body, contentType: 'multipart/form-data; boundary=not-the-boundary' },
      { body: good.body, contentType: 'multipart/form-data' }, // no boundary
      multipart([{ name: 'photo', filename: 'a.jpg', data: photo }]), // wrong field name
      multipart([{ name: 'image', data: 'a field, not a file' }]),
    ];
    for (const { body, contentType } of bodies) {
      const response = await app.inject({
        method: 'POST',
        url: '/v1/check',
        headers: { 'content-type': contentType },
        body,
      });
      expect(response.statusCode, contentType).toBe(400);
      expect(response.json()).toMatchObject({ file: 'upload', errorCode: 'INVALID_INPUT' });
    }
  });
});

describe('API key', () => {
  it('is required everywhere but /healthz, by Bearer or x-api-key', async () => {
    const app = await server({ apiKey: 'sekret-key' });
    const check = (headers: Record<string, string>) =>
      app.inject({
        method: 'POST',
        url: '/v1/check',
        headers: { 'content-type': 'image/jpeg', ...headers },
        body: photo,
      });
    expect((await check({})).statusCode).toBe(401);
    expect((await check({})).json()).toMatchObject({ errorCode: 'UNAUTHORIZED' });
    expect((await check({ authorization: 'Bearer wrong' })).statusCode).toBe(401);
    expect((await check({ 'x-api-key': 'sekret-ke' })).statusCode).toBe(401);
    expect((await check({ authorization: 'Basic sekret-key' })).statusCode).toBe(401);
    expect((await check({ authorization: 'Bearer sekret-key' })).statusCode).toBe(200);
    expect((await check({ 'x-api-key': 'sekret-key' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/metrics' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/metrics', headers: { 'x-api-key': 'sekret-key' } })).statusCode).toBe(200);
  });
});

describe('service routes', () => {
  it('/healthz names the model of a server that loaded its own checker', async () => {
    const app = await createServer({ model: modelFile });
    const response = await app.inject({ url: '/healthz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok', model: 'tiny-test-model' });
    await app.close();
  });

  it('/metrics counts requests by route and status, latency and verdicts', async () => {
    const app = await server();
    const sample = (text: string, series: string) => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      return line ? Number(line.slice(series.length + 1)) : 0;
    };
    const ok = 'antispoof_http_requests_total{route="/v1/check",method="POST",status="200"}';
    const before = (await app.inject({ url: '/metrics' })).body;
    const result = await app.inject({
      method: 'POST',
      url: '/v1/check',
      headers: { 'content-type': 'image/jpeg' },
      body: photo,
    });
    const verdict = (result.json() as { faces: Array<{ verdict: string }> }).faces[0]!.verdict;
    await app.inject({ method: 'POST', url: '/v1/check', headers: { 'content-type': 'text/plain' }, body: 'x' });
    const response = await app.inject({ url: '/metrics' });
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const after = response.body;
    expect(sample(after, ok)).toBe(sample(before, ok) + 1);
    expect(sample(after, 'antispoof_http_requests_total{route="/v1/check",method="POST",status="415"}')).toBe(1);
    expect(sample(after, `antispoof_verdicts_total{verdict="${verdict}"}`)).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'antispoof_http_request_duration_seconds_count{route="/v1/check"}')).toBe(2);
    expect(after).toMatch(/^antispoof_http_request_duration_seconds_bucket\{route="\/v1\/check",le="\+Inf"\} 2$/m);
    expect(after).toMatch(/^antispoof_queue_depth 0$/m);
    expect(after).toMatch(/^antispoof_checks_in_flight 0$/m);
    expect(after).toMatch(/^# TYPE antispoof_http_request_duration_seconds histogram$/m);
  });

  it('/openapi.json is an OpenAPI 3.1 document listing the routes and the result schema', async () => {
    const app = await server({ apiKey: 'k' });
    const response = await app.inject({ url: '/openapi.json', headers: { authorization: 'Bearer k' } });
    const document = JSON.parse(response.body) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    };
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths).sort()).toEqual(['/healthz', '/metrics', '/openapi.json', '/v1/check']);
    expect(Object.keys(document.paths['/v1/check']!)).toEqual(['post']);
    expect(Object.keys(document.components.schemas.CheckReport!.properties)).toEqual([
      'file',
      'width',
      'height',
      'faces',
    ]);
  });
});

describe('under load and abuse', () => {
  it('answers 503 with Retry-After at once when every slot and the queue are taken', async () => {
    const gate = gatedChecker();
    const app = await server({ checker: gate.checker, concurrency: 1, queue: 1 });
    const send = () =>
      app.inject({ method: 'POST', url: '/v1/check', headers: { 'content-type': 'image/jpeg' }, body: photo });
    const first = send();
    await until(() => gate.started === 1);
    const second = send();
    await until(async () => /^antispoof_queue_depth 1$/m.test((await app.inject({ url: '/metrics' })).body));
    const refused = await send();
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.json()).toMatchObject({ errorCode: 'BUSY' });
    gate.releaseAll();
    await until(() => gate.started === 1);
    gate.releaseAll();
    expect((await first).statusCode).toBe(200);
    expect((await second).statusCode).toBe(200);
  });

  it('drops the queued check of a client that went away', async () => {
    const gate = gatedChecker();
    const app = await server({ checker: gate.checker, concurrency: 1, queue: 4 });
    const port = await listen(app);
    const metrics = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const first = post(port, photo);
    await until(() => gate.started === 1);
    const quitter = connect(port, '127.0.0.1');
    quitter.on('error', () => {});
    quitter.write(`POST /v1/check HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nContent-Length: 3\r\n\r\nabc`);
    await until(async () => /^antispoof_queue_depth 1$/m.test(await metrics()));
    quitter.destroy();
    await until(async () => /^antispoof_queue_depth 0$/m.test(await metrics()));
    gate.releaseAll();
    expect((await first).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(gate.started).toBe(0);
    expect(await metrics()).toMatch(/^antispoof_http_requests_aborted_total\{route="\/v1\/check"\} 1$/m);
  });

  it('answers 504 when a check outlives the request timeout, and keeps serving', async () => {
    const gate = gatedChecker();
    const app = await server({ checker: gate.checker, timeoutMs: 150 });
    const response = await app.inject({
      method: 'POST',
      url: '/v1/check',
      headers: { 'content-type': 'image/jpeg' },
      body: photo,
    });
    expect(response.statusCode).toBe(504);
    expect(response.json()).toMatchObject({ file: 'upload', errorCode: 'TIMEOUT' });
    gate.releaseAll();
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
  });

  it('survives a client that disconnects mid-upload and a slowloris body', async () => {
    const app = await server({ timeoutMs: 300 });
    const port = await listen(app);
    const head = (length: number) =>
      `POST /v1/check HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/jpeg\r\nContent-Length: ${length}\r\n\r\n`;

    const quitter = connect(port, '127.0.0.1');
    quitter.write(head(photo.length));
    quitter.write(photo.subarray(0, 1000));
    await new Promise((resolve) => setTimeout(resolve, 50));
    quitter.destroy();

    const slow = connect(port, '127.0.0.1');
    let answer = '';
    slow.setEncoding('utf8').on('data', (chunk: string) => (answer += chunk));
    const closed = new Promise<void>((resolve) => slow.on('close', () => resolve()));
    slow.on('error', () => {});
    slow.write(head(photo.length));
    const drip = setInterval(() => slow.writable && slow.write(photo.subarray(0, 1)), 50);
    const started = Date.now();
    await closed;
    clearInterval(drip);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(answer).toMatch(/^HTTP\/1\.1 504/);
    expect(answer).toMatch(/"errorCode":"TIMEOUT"/);

    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    expect((await post(port, photo)).status).toBe(200);
  });

  it('answers a burst of 200 concurrent requests with only 200s and 503s, and stays up', async () => {
    const app = await server({ checker: slowChecker(100), concurrency: 2, queue: 8 });
    const port = await listen(app);
    const answers = await Promise.all(Array.from({ length: 200 }, () => post(port, photo.subarray(0, 5000))));
    const statuses = new Set(answers.map((answer) => answer.status));
    expect([...statuses].sort()).toEqual([200, 503]);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  });

  it('finishes the checks in flight when closed, then refuses new connections', async () => {
    const gate = gatedChecker();
    const app = await createServer({ checker: gate.checker });
    const port = await listen(app);
    const inFlight = post(port, photo);
    await until(() => gate.started === 1);
    let closed = false;
    const closing = app.close().then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closed).toBe(false);
    gate.releaseAll();
    expect((await inFlight).status).toBe(200);
    await closing;
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });
});

describe('antispoof serve (CLI)', () => {
  it.each([[1], [2]])('listens with %i worker(s), answers, and exits 0 on SIGTERM', async (workers) => {
    const cli = join(import.meta.dirname, '..', 'bin', 'antispoof.js');
    const args = ['serve', '--port', '0', '--model', modelFile, '--log-level', 'warn', '--workers', String(workers)];
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const listening = () => (stderr.match(/listening on http:\/\/\S+/g) ?? []).length;
    await until(() => listening() >= workers || child.exitCode !== null, 30_000);
    const url = /listening on (http:\/\/\S+)/.exec(stderr)?.[1];
    expect(url, stderr).toBeDefined();
    for (let i = 0; i < 2 * workers; i++) {
      const health = await fetch(`${url}/healthz`);
      expect(await health.json()).toEqual({ status: 'ok', model: 'tiny-test-model' });
    }
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
