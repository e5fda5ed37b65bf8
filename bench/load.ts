// Load test of `antispoof serve`: each server runs in a child process (as in production, with its own event loop
// and memory), autocannon drives it from this one over loopback with a 640x480 JPEG of two real faces. One run
// compares the ways to use the cores, one after the other on the same machine, so their ratio is not a comparison
// of two days' machine load:
//   pool      one process, inference in worker threads (`serve`, pool = cores): the default
//   cluster   `serve --workers 2 --pool 0 --concurrency 2`: two processes, inference on each one's event loop
//   inthread  `serve --pool 0`: one process, inference on its event loop
// Usage: npm run build && node dist/bench/load.js [--modes pool,cluster,inthread] [--duration 30]
//   [--connections 8] [--model m] [--cli other-build/bin/antispoof.js] [--log-level warn]
//   [--cpu-prof DIR] (V8 CPU profiles of every server thread, summarised; see bench/cpu-profile.ts)
//   [--soak MINUTES] (then the first mode at 2x the req/s it just measured: bench/load-soak.ts)
//   [--soak-rate R] [--soak-connections 128] (a fixed offered rate instead, e.g. on a machine whose load varies)
// A mode may also be raw `serve` arguments, e.g. --modes pool,"--pool 2 --concurrency 4".
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import sharp from 'sharp';
import { defaultModelFile, packageModelsDir } from '../src/index.js';
import { printSummary } from './cpu-profile.js';
import { soak } from './load-soak.js';
import { cpuByThread, cpuDelta, cpuSeconds, rssBytes } from './proc-stats.js';
import { startServer, type Target } from './serve-child.js';

function flag(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

const repo = join(packageModelsDir(), '..');
const duration = Number(flag('duration') ?? 30);
const connections = Number(flag('connections') ?? 8);
const soakMinutes = Number(flag('soak') ?? 0);
const profileDir = flag('cpu-prof');
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

const mb = (bytes: number) => (Number.isNaN(bytes) ? 'n/a' : `${(bytes / 2 ** 20).toFixed(1)} MB`);
const percentile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

const model = chooseModel();
const photo = join(repo, 'node_modules/@vladmandic/face-api/demo/sample2.jpg');
const jpeg = await sharp(photo).resize(640, 480, { fit: 'cover' }).jpeg({ quality: 90 }).toBuffer();
// --cli: another build's bin/antispoof.js (e.g. a git worktree of the previous commit) as the baseline.
const cli = flag('cli') ?? join(repo, 'bin', 'antispoof.js');
const logLevel = flag('log-level') ?? 'warn';
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

function modeArguments(mode: string): string[] {
  return MODES[mode] ?? mode.split(/\s+/).filter(Boolean);
}

function start(mode: string, profile?: string): Promise<Target> {
  const args = ['--model', model, '--log-level', logLevel, ...modeArguments(mode)];
  const nodeArgs = profile ? ['--cpu-prof', '--cpu-prof-dir', profile] : [];
  return startServer(cli, args, nodeArgs);
}

/** The probe must find faces; then every inference thread (and cluster worker) runs its slow first model runs. */
async function warm(url: string): Promise<number> {
  const probe = await fetch(`${url}/v1/check`, post);
  const report = (await probe.json()) as { faces?: Array<{ verdict: string; score: number }> };
  if (probe.status !== 200 || !report.faces?.length)
    throw new Error(`the probe request failed: ${probe.status} ${JSON.stringify(report)}`);
  await Promise.all(
    Array.from({ length: 2 * connections }, () => fetch(`${url}/v1/check`, post).then((r) => r.text())),
  );
  return report.faces.length;
}

async function measure(mode: string): Promise<Measured> {
  const profile = profileDir ? join(profileDir, mode.replace(/[^\w-]+/g, '_')) : undefined;
  const server = await start(mode, profile);
  let total = 0;
  try {
    const faces = await warm(server.url);
    console.log(`\n== ${mode}: serve ${modeArguments(mode).join(' ') || '(defaults)'}`);
    console.log(
      `POST /v1/check, 640x480 JPEG (${jpeg.length} bytes, ${faces} faces), ` +
        `${connections} connections, ${duration} s, loopback, --log-level ${logLevel}`,
    );
    const rssBefore = mb(rssBytes(server.pid));
    // RSS every second: a leak grows steadily; caches and arenas rise in the first seconds and then stay flat.
    const rssSeries: number[] = [];
    const sampler = setInterval(() => rssSeries.push(rssBytes(server.pid) / 2 ** 20), 1000);
    // /healthz every 100 ms under load: what a load balancer sees while every check slot is busy.
    const health: number[] = [];
    const prober = setInterval(() => {
      const begun = performance.now();
      void fetch(`${server.url}/healthz`)
        .then((r) => r.text())
        .then(() => health.push(performance.now() - begun));
    }, 100);
    const cpuBefore = cpuSeconds(server.pid);
    const threadsBefore = cpuByThread(server.pid);
    const ownBefore = process.cpuUsage();
    const result = await autocannon({ url: `${server.url}/v1/check`, ...post, connections, duration });
    clearInterval(prober);
    clearInterval(sampler);
    total = result['2xx'] + result.non2xx;
    const serverCpu = cpuSeconds(server.pid) - cpuBefore;
    const byThread = cpuDelta(threadsBefore, cpuByThread(server.pid));
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
    const threads = [...byThread].filter(([, seconds]) => seconds > 0).sort((a, b) => b[1] - a[1]);
    console.log(
      `CPU by thread: ${threads.map(([name, seconds]) => `${name} ${((1000 * seconds) / total).toFixed(2)}`).join(', ')} ms/req`,
    );
    console.log(
      `/healthz:      p50 ${measured.healthP50.toFixed(1)} ms, p99 ${percentile(health, 0.99).toFixed(1)} ms, ` +
        `max ${measured.healthMax.toFixed(1)} ms (${health.length} probes)`,
    );
    console.log(`server RSS:    ${rssBefore} before, ${mb(rssBytes(server.pid))} after`);
    console.log(
      `RSS each 5 s:  ${rssSeries
        .filter((_, i) => i % 5 === 4)
        .map((value) => value.toFixed(0))
        .join(' ')} MB`,
    );
    return measured;
  } finally {
    console.log(`server exit:   ${await server.stop()} after SIGTERM`);
    // The profile covers warm-up too (its requests are counted here); it is written when each thread exits.
    if (profile) printSummary(profile, total + 1 + 2 * connections);
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
      `${(pool.cpuMsPerRequest / cluster.cpuMsPerRequest).toFixed(2)}x CPU per request, ` +
      `p99 ${(pool.p99 / cluster.p99).toFixed(2)}x`,
  );

if (soakMinutes > 0) {
  const first = results[0]!;
  const passed = await soak({
    start: () => start(first.mode),
    warm,
    post,
    minutes: soakMinutes,
    rate: Number(flag('soak-rate') ?? Math.ceil(2 * first.reqPerS)),
    rateNote: flag('soak-rate') ? '--soak-rate' : `2x the ${first.reqPerS.toFixed(1)} req/s just measured`,
    connections: Number(flag('soak-connections') ?? 128),
    label: first.mode,
  });
  if (!passed) process.exitCode = 1;
}
