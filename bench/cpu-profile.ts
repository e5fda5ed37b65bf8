// Summarises the V8 CPU profiles a server wrote under `node --cpu-prof` (bench/load.js --cpu-prof DIR writes one
// per thread: the main thread and each inference worker): sampled time per thread, then self time by where the
// code lives — the model runtime (onnxruntime), sharp, our pipeline, the HTTP stack, logging, GC — and the top
// functions. Native work in threads V8 does not sample (libvips' and onnxruntime's own) is not here: bench/load.js
// prints CPU per thread from /proc beside it.
// Usage: node dist/bench/cpu-profile.js DIR [--requests N] [--top 15]
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a function lives, coarse enough to say "model" or "not model". */
export function category(url: string, functionName: string): string {
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(garbage collector)') return 'GC';
  if (functionName === '(program)') return 'V8/native (program)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1];
  if (pkg) {
    if (pkg.startsWith('onnxruntime')) return 'onnxruntime (model)';
    if (pkg === 'pino' || pkg.startsWith('pino-') || pkg === 'sonic-boom') return 'logging (pino)';
    if (pkg === 'fastify' || pkg.startsWith('@fastify/') || pkg === 'find-my-way' || pkg === 'light-my-request')
      return 'HTTP (fastify)';
    return pkg;
  }
  const ours = /\/dist\/src\/([^/]+)\//.exec(url)?.[1] ?? (/\/dist\/src\/[^/]+\.js$/.test(url) ? 'root' : undefined);
  if (ours) return `antispoof ${ours}/`;
  if (url.startsWith('node:')) return `node ${/^node:(?:internal\/)?([^/]+)/.exec(url)?.[1] ?? url}`;
  return url === '' ? 'native (no script)' : 'other';
}

export interface ThreadSummary {
  file: string;
  /** Sampled milliseconds that were not idle. */
  busyMs: number;
  byCategory: Map<string, number>;
  byFunction: Map<string, number>;
}

export function summarise(file: string): ThreadSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const byCategory = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let busyMs = 0;
  profile.samples.forEach((id, i) => {
    const { functionName, url, lineNumber } = nodes.get(id)!.callFrame;
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const where = category(url, functionName);
    byCategory.set(where, (byCategory.get(where) ?? 0) + ms);
    if (where === 'idle') return;
    busyMs += ms;
    const name = `${functionName || '(anonymous)'} ${url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + ms);
  });
  return { file, busyMs, byCategory, byFunction };
}

function sorted(map: Map<string, number>): Array<[string, number]> {
  return [...map].sort((a, b) => b[1] - a[1]);
}

export function printSummary(dir: string, requests: number, top = 15): void {
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.cpuprofile'))
    .sort();
  const per = (ms: number) => (requests > 0 ? ` (${(ms / requests).toFixed(2)} ms/req)` : '');
  for (const name of files) {
    const summary = summarise(join(dir, name));
    // Node names a worker's profile after its thread id: CPU.<date>.<time>.<pid>.<tid>.<seq>.cpuprofile, tid 0 main.
    const tid = name.split('.').at(-3);
    console.log(
      `\n${name} (${tid === '0' ? 'main thread' : `worker thread ${tid}`}): busy ${summary.busyMs.toFixed(0)} ms${per(summary.busyMs)}`,
    );
    for (const [where, ms] of sorted(summary.byCategory).filter(([where]) => where !== 'idle'))
      console.log(
        `  ${where.padEnd(28)} ${ms.toFixed(0).padStart(7)} ms  ${((100 * ms) / summary.busyMs).toFixed(1).padStart(5)}%${per(ms)}`,
      );
    console.log('  top functions (self time):');
    for (const [fn, ms] of sorted(summary.byFunction).slice(0, top))
      console.log(`    ${ms.toFixed(0).padStart(6)} ms  ${fn}`);
  }
}

if (process.argv[1]?.endsWith('cpu-profile.js')) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: node dist/bench/cpu-profile.js DIR [--requests N] [--top 15]');
    process.exit(1);
  }
  const option = (name: string) => {
    const index = process.argv.indexOf(`--${name}`);
    return index >= 0 ? Number(process.argv[index + 1]) : undefined;
  };
  printSummary(dir, option('requests') ?? 0, option('top'));
}
