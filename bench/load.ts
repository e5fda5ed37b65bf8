// Load test of `antispoof serve`: each server runs in a child process (as in production, with its own event loop
// and memory), autocannon drives it from this one over loopback with a 640x480 JPEG of two real faces. One run
// compares the ways to use the cores, one after the other on the same machine, so their ratio is not a comparison
// of two days' machine load:
//   pool      one process, inference in worker threads (`serve`, pool = cores): the default
//   cluster   `serve --workers 2 --pool 0 --concurrency 2`: two processes, inference on each one's event loop
//   inthread  `serve --pool 0`: one process, inference on its event loop
// Usage: npm run build && node dist/bench/load.js [--modes pool,cluster,inthread] [--duration 30]
//   [--connections 8] [--model m] [--cli other-build/bin/antispoof.js]
// A mode may also be raw `serve` arguments, e.g. --modes pool,"--pool 2 --concurrency 4".
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import sharp from 'sharp';
import { defaultModelFile, packageModelsDir } from '../src/index.js';

function flag(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

const repo = join(packageModelsDir(), '..');
const duration = Number(flag('duration') ?? 30);
const connections = Number(flag('connections') ?? 8);
const MODES: Record<string, string[]> = {
  pool: [],
  cluster: ['--workers', '2', '--pool', '0', '--concurrency', '2'],
  inthread: ['--pool', '0'],
};
const modes = (flag('modes') ?? 'pool,cluster,inthread').split(',').map((mode) => mode.trim());

function chooseModel(): string {
  const given = flag('model');
  if (given) return given;
  try {
    return defaultModelFile();
  } catch {
    // no shipped model yet: the upstream reference, when this machine has it
    if (existsSync(join(repo, '..', 'shared', 'reference')))
      return join(repo, 'bench', 'baselines', 'face-antispoof-onnx.int8.json');
    console.error('no model: pass --model, ship models/antispoof-v2*.onnx, or provide ../shared/reference');
    process.exit(1);
  }
}

/** Sum of `read(pid)` over a process and its children (the --workers), from /proc (Linux); NaN elsewhere. */
function overTree(pid: number, read: (pid: number) => number): number {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean);
    return read(pid) + children.reduce((sum, child) => sum + overTree(Number(child), read), 0);
  } catch {
    return Number.NaN;
  }
}

/** Resident set size in bytes. */
const rssBytes = (pid: number) =>
  overTree(pid, (p) => {
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) * 1024 : Number.NaN;
  });

/** CPU seconds, user + system, of every thread (the inference workers included). */
const cpuSeconds = (pid: number) =>
  overTree(pid, (p) => {
    // Fields after the parenthesised command name: utime and stime are the 12th and 13th, in clock ticks (100/s).
    const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  });

const mb = (bytes: number) => (Number.isNaN(bytes) ? 'n/a' : `${(bytes / 2 ** 20).toFixed(1)} MB`);
const percentile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

const model = chooseModel();
const photo = join(repo, 'node_modules/@vladmandic/face-api/demo/sample2.jpg');
const jpeg = await sharp(photo).resize(640, 480, { fit: 'cover' }).jpeg({ quality: 90 }).toBuffer();
// --cli: another build's bin/antispoof.js (e.g. a git worktree of the previous commit) as the baseline.
const cli = flag('cli') ?? join(repo, 'bin', 'antispoof.js');
const post = { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: jpeg };

interface Measured {
  mode: string;
  reqPerS: number;
  p50: number;
  p99: number;
  cpuMsPerRequest: number;
  healthP50: number;
  healthMax: number;
}

async function measure(mode: string): Promise<Measured> {
  const modeArgs = MODES[mode] ?? mode.split(/\s+/).filter(Boolean);
  const args = ['serve', '--port', '0', '--host', '127.0.0.1', '--model', model, '--log-level', 'warn', ...modeArgs];
  const server = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'inherit', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => server.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    let stderr = '';
    server.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      process.stderr.write(chunk);
      stderr += chunk;
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (match) resolve(match[1]!);
    });
    server.on('exit', (code) => reject(new Error(`the server exited (${code}) before listening`)));
  });

  try {
    const rssBefore = mb(rssBytes(server.pid!));
    const probe = await fetch(`${url}/v1/check`, post);
    const report = (await probe.json()) as { faces?: Array<{ verdict: string; score: number }> };
    if (probe.status !== 200 || !report.faces?.length)
      throw new Error(`the probe request failed: ${probe.status} ${JSON.stringify(report)}`);
    // Warm every inference thread (and every cluster worker): each one's first model run is several times slower.
    await Promise.all(
      Array.from({ length: 2 * connections }, () => fetch(`${url}/v1/check`, post).then((r) => r.text())),
    );
    console.log(`\n== ${mode}: serve ${modeArgs.join(' ') || '(defaults)'}`);
    console.log(
      `POST /v1/check, 640x480 JPEG (${jpeg.length} bytes, ${report.faces.length} faces), ` +
        `${connections} connections, ${duration} s, loopback`,
    );

    // RSS every second: a leak grows steadily; caches and arenas rise in the first seconds and then stay flat.
    const rssSeries: number[] = [];
    const sampler = setInterval(() => rssSeries.push(rssBytes(server.pid!) / 2 ** 20), 1000);
    // /healthz every 100 ms under load: what a load balancer sees while every check slot is busy.
    const health: number[] = [];
    const prober = setInterval(() => {
      const start = performance.now();
      void fetch(`${url}/healthz`)
        .then((r) => r.text())
        .then(() => health.push(performance.now() - start));
    }, 100);
    const cpuBefore = cpuSeconds(server.pid!);
    const ownBefore = process.cpuUsage();
    const result = await autocannon({ url: `${url}/v1/check`, ...post, connections, duration });
    clearInterval(prober);
    clearInterval(sampler);
    const total = result['2xx'] + result.non2xx;
    const serverCpu = cpuSeconds(server.pid!) - cpuBefore;
    const own = process.cpuUsage(ownBefore);
    health.sort((a, b) => a - b);
    const measured: Measured = {
      mode,
      reqPerS: total / result.duration,
      p50: result.latency.p50,
      p99: result.latency.p99,
      cpuMsPerRequest: (1000 * serverCpu) / total,
      healthP50: percentile(health, 0.5),
      healthMax: health.at(-1) ?? Number.NaN,
    };
    console.log(`requests:      ${total} answered (${result['2xx']} 2xx) in ${result.duration} s`);
    console.log(`throughput:    ${measured.reqPerS.toFixed(1)} req/s (per-second mean ${result.requests.average})`);
    console.log(
      `latency:       p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms`,
    );
    console.log(`errors:        ${result.errors} (timeouts ${result.timeouts}), non-2xx ${result.non2xx}`);
    // CPU per request is steadier than req/s on a shared machine, where the load generator takes its share.
    console.log(
      `CPU:           server ${measured.cpuMsPerRequest.toFixed(2)} ms per request ` +
        `(${(serverCpu / result.duration).toFixed(2)} cores busy); load generator ` +
        `${((own.user + own.system) / 1e6 / result.duration).toFixed(2)} cores`,
    );
    console.log(
      `/healthz:      p50 ${measured.healthP50.toFixed(1)} ms, p99 ${percentile(health, 0.99).toFixed(1)} ms, ` +
        `max ${measured.healthMax.toFixed(1)} ms (${health.length} probes)`,
    );
    console.log(`server RSS:    ${rssBefore} before, ${mb(rssBytes(server.pid!))} after`);
    console.log(
      `RSS each 5 s:  ${rssSeries
        .filter((_, i) => i % 5 === 4)
        .map((value) => value.toFixed(0))
        .join(' ')} MB`,
    );
    const settled = rssSeries.slice(Math.min(10, rssSeries.length >> 1));
    if (settled.length > 1)
      console.log(
        `RSS after 10 s: min ${Math.min(...settled).toFixed(1)} MB, max ${Math.max(...settled).toFixed(1)} MB, ` +
          `last - first ${(settled.at(-1)! - settled[0]!).toFixed(1)} MB`,
      );
    return measured;
  } finally {
    server.kill('SIGTERM');
    console.log(`server exit:   ${await exited} after SIGTERM`);
  }
}

console.log(`server: ${cli}\nmodel: ${model}`);
const results: Measured[] = [];
for (const mode of modes) results.push(await measure(mode));

console.log('\nmode       req/s    p50 ms  p99 ms  CPU ms/req  /healthz p50/max ms');
for (const r of results)
  console.log(
    `${r.mode.padEnd(10)} ${r.reqPerS.toFixed(1).padStart(6)}  ${String(r.p50).padStart(6)}  ` +
      `${String(r.p99).padStart(6)}  ${r.cpuMsPerRequest.toFixed(2).padStart(10)}  ` +
      `${r.healthP50.toFixed(1)} / ${r.healthMax.toFixed(1)}`,
  );
const pool = results.find((r) => r.mode === 'pool');
const cluster = results.find((r) => r.mode === 'cluster');
if (pool && cluster)
  console.log(
    `pool / cluster: ${(pool.reqPerS / cluster.reqPerS).toFixed(2)}x req/s, ` +
      `${(pool.cpuMsPerRequest / cluster.cpuMsPerRequest).toFixed(2)}x CPU per request`,
  );
