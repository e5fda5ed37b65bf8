// Load test of `antispoof serve`: the server runs in a child process (as in production, with its own event loop
// and memory), autocannon drives it from this one over loopback with a 640x480 JPEG of a real face.
// Usage: npm run build && node dist/bench/load.js [--model m] [--duration 30] [--connections 8] [--concurrency n]
//   [--workers n] [--cli other-build/bin/antispoof.js]
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import sharp from 'sharp';
import { defaultModelFile, packageModelsDir } from '../src/classify/index.js';

function flag(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

const repo = join(packageModelsDir(), '..');
const duration = Number(flag('duration') ?? 30);
const connections = Number(flag('connections') ?? 8);
const concurrency = flag('concurrency');
const workers = flag('workers');

function chooseModel(): string {
  const given = flag('model');
  if (given) return given;
  try {
    return defaultModelFile();
  } catch {
    // no shipped model yet: the upstream reference, when this machine has it
    if (existsSync(join(repo, '..', 'shared', 'reference')))
      return join(repo, 'bench', 'baselines', 'face-antispoof-onnx.int8.json');
    console.error('no model: pass --model, ship models/antispoof-v1*.onnx, or provide ../shared/reference');
    process.exit(1);
  }
}

/** Resident set size of a process and its children (the --workers), in bytes, from /proc (Linux); NaN elsewhere. */
function rssBytes(pid: number): number {
  try {
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean);
    return (kb ? Number(kb) * 1024 : Number.NaN) + children.reduce((sum, child) => sum + rssBytes(Number(child)), 0);
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds (user + system, all threads) of a process and its children (the --workers), from /proc (Linux). */
function cpuSeconds(pid: number): number {
  try {
    // Fields after the parenthesised command name: utime and stime are the 12th and 13th, in clock ticks (100/s).
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    const own = (Number(fields[11]) + Number(fields[12])) / 100;
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean);
    return own + children.reduce((sum, child) => sum + cpuSeconds(Number(child)), 0);
  } catch {
    return Number.NaN;
  }
}

function rssMb(pid: number): string {
  const bytes = rssBytes(pid);
  return Number.isNaN(bytes) ? 'n/a' : `${(bytes / 2 ** 20).toFixed(1)} MB`;
}

const model = chooseModel();
const photo = join(repo, 'node_modules/@vladmandic/face-api/demo/sample2.jpg');
const jpeg = await sharp(photo).resize(640, 480, { fit: 'cover' }).jpeg({ quality: 90 }).toBuffer();

const args = ['serve', '--port', '0', '--host', '127.0.0.1', '--model', model, '--log-level', 'warn'];
if (concurrency) args.push('--concurrency', concurrency);
if (workers) args.push('--workers', workers);
// --cli: another build's bin/antispoof.js (e.g. a git worktree of the previous commit) as the baseline.
const cli = flag('cli') ?? join(repo, 'bin', 'antispoof.js');
const server = spawn(process.execPath, [cli, ...args], {
  stdio: ['ignore', 'inherit', 'pipe'],
});
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
  const rssBefore = rssMb(server.pid!);
  const probe = await fetch(`${url}/v1/check`, {
    method: 'POST',
    headers: { 'content-type': 'image/jpeg' },
    body: jpeg,
  });
  const report = (await probe.json()) as { faces?: Array<{ verdict: string; score: number }> };
  if (probe.status !== 200 || !report.faces?.length)
    throw new Error(`the probe request failed: ${probe.status} ${JSON.stringify(report)}`);
  console.log(`server: ${cli}\nmodel: ${model}`);
  console.log(
    `POST /v1/check, 640x480 JPEG (${jpeg.length} bytes, ${report.faces.length} face), ` +
      `${connections} connections, ${duration} s, loopback`,
  );

  // RSS every second: a leak grows steadily; caches and arenas rise in the first seconds and then stay flat.
  const rssSeries: number[] = [];
  const sampler = setInterval(() => rssSeries.push(rssBytes(server.pid!) / 2 ** 20), 1000);
  const cpuBefore = cpuSeconds(server.pid!);
  const ownBefore = process.cpuUsage();
  const result = await autocannon({
    url: `${url}/v1/check`,
    method: 'POST',
    headers: { 'content-type': 'image/jpeg' },
    body: jpeg,
    connections,
    duration,
  });
  const total = result['2xx'] + result.non2xx;
  console.log(`requests:      ${total} answered (${result['2xx']} 2xx) in ${result.duration} s`);
  console.log(
    `throughput:    ${(total / result.duration).toFixed(1)} req/s (per-second mean ${result.requests.average})`,
  );
  console.log(
    `latency:       p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms`,
  );
  console.log(`errors:        ${result.errors} (timeouts ${result.timeouts}), non-2xx ${result.non2xx}`);
  // CPU per request is steadier than req/s on a shared 2-core machine, where the load generator takes its share.
  const serverCpu = cpuSeconds(server.pid!) - cpuBefore;
  const own = process.cpuUsage(ownBefore);
  const ownCpu = (own.user + own.system) / 1e6;
  console.log(
    `CPU:           server ${((1000 * serverCpu) / total).toFixed(2)} ms per request ` +
      `(${(serverCpu / result.duration).toFixed(2)} cores busy); load generator ` +
      `${(ownCpu / result.duration).toFixed(2)} cores`,
  );
  clearInterval(sampler);
  console.log(`server RSS:    ${rssBefore} before, ${rssMb(server.pid!)} after`);
  console.log(
    `RSS each 5 s:  ${rssSeries
      .filter((_, i) => i % 5 === 4)
      .map((mb) => mb.toFixed(0))
      .join(' ')} MB`,
  );
  const settled = rssSeries.slice(Math.min(10, rssSeries.length >> 1));
  if (settled.length > 1)
    console.log(
      `RSS after 10 s: min ${Math.min(...settled).toFixed(1)} MB, max ${Math.max(...settled).toFixed(1)} MB, ` +
        `last - first ${(settled.at(-1)! - settled[0]!).toFixed(1)} MB`,
    );
} finally {
  server.kill('SIGTERM');
  console.log(`server exit:   ${await exited} after SIGTERM`);
}
