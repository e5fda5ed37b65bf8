// The soak of bench/load.ts --soak MINUTES: one server offered twice the req/s it just sustained, for minutes, so
// the pool's queue stays full and the excess is refused. It passes when every request got an HTTP answer (no
// socket errors or client timeouts), every answer was 200 or a 503 (no 504 chains, no 500s), and nothing grew:
// open file descriptors, threads and pool workers are back to their pre-soak count, and RSS is flat after warm-up.
import autocannon from 'autocannon';
import { openFds, rssBytes, threadCount } from './proc-stats.js';
import type { Target } from './serve-child.js';

export interface SoakOptions {
  start: () => Promise<Target>;
  warm: (url: string) => Promise<unknown>;
  post: { method: string; headers: Record<string, string>; body: Buffer };
  minutes: number;
  /** Offered requests per second over all connections, and where that figure comes from. */
  rate: number;
  rateNote: string;
  connections: number;
  label: string;
}

interface Snapshot {
  rssMb: number;
  fds: number;
  threads: number;
  /** From /metrics; NaN for a server without the gauge (an older build). */
  workers: number;
  activeResources: number;
  restarts: number;
  kills: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function snapshot(server: Target): Promise<Snapshot> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const metric = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  return {
    rssMb: rssBytes(server.pid) / 2 ** 20,
    fds: openFds(server.pid),
    threads: threadCount(server.pid),
    workers: metric('antispoof_pool_workers'),
    activeResources: metric('antispoof_active_resources'),
    restarts: metric('antispoof_pool_restarts_total'),
    kills: metric('antispoof_pool_kills_total'),
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1] ?? Number.NaN;

export async function soak(options: SoakOptions): Promise<boolean> {
  const { minutes, rate, connections } = options;
  const server = await options.start();
  try {
    await options.warm(server.url);
    // Let the warm-up's sockets close on the server's side before counting descriptors.
    await sleep(1000);
    const before = await snapshot(server);
    console.log(
      `\n== soak: ${options.label}, ${minutes} min at ${rate} req/s offered (${options.rateNote}), ` +
        `${connections} connections`,
    );
    const rss: number[] = [];
    const threads: number[] = [];
    const fds: number[] = [];
    const sampler = setInterval(() => {
      rss.push(rssBytes(server.pid) / 2 ** 20);
      threads.push(threadCount(server.pid));
      fds.push(openFds(server.pid));
    }, 5000);
    const result = await autocannon({
      url: `${server.url}/v1/check`,
      ...options.post,
      connections,
      overallRate: rate,
      duration: minutes * 60,
      timeout: 30,
    });
    clearInterval(sampler);
    await sleep(2000);
    const after = await snapshot(server);

    const statuses = Object.fromEntries(
      Object.entries(result.statusCodeStats).map(([status, { count }]) => [status, count]),
    );
    const answered = result['2xx'] + result.non2xx;
    const unexpected = Object.keys(statuses).filter((status) => status !== '200' && status !== '503');
    // Growth is the last third of the samples against the second: the first third holds the warm-up, where
    // arenas, caches and lazily started threads (libuv's, libvips') settle; a leak goes on growing after it.
    const third = Math.max(1, Math.floor(rss.length / 3));
    const growth = (series: number[]) => median(series.slice(-third)) - median(series.slice(third, 2 * third));
    const rssGrowth = growth(rss);
    const most = (series: number[], from: number, to?: number) => Math.max(...series.slice(from, to));
    const checks: Array<[string, boolean]> = [
      [
        `every request answered: ${answered} answers, ${result.errors} errors, ${result.timeouts} timeouts`,
        result.errors === 0 && result.timeouts === 0 && answered > 0,
      ],
      [`statuses ${JSON.stringify(statuses)}: only 200 and 503`, unexpected.length === 0],
      [
        `file descriptors ${before.fds} before, ${fds.join(' ')} every 5 s, ${after.fds} after`,
        after.fds <= before.fds + 2,
      ],
      [
        `threads ${before.threads} before, ${threads.join(' ')} every 5 s, ${after.threads} after`,
        most(threads, -third) <= most(threads, third, 2 * third) && after.threads <= most(threads, 0),
      ],
      [
        `pool workers ${before.workers} -> ${after.workers} (restarts ${after.restarts}, kills ${after.kills})`,
        Number.isNaN(before.workers) || after.workers === before.workers,
      ],
      [
        `active handles and requests ${before.activeResources} -> ${after.activeResources}`,
        Number.isNaN(before.activeResources) || after.activeResources <= before.activeResources + 2,
      ],
      [
        `RSS ${before.rssMb.toFixed(0)} MB before, ${rss.map((mb) => mb.toFixed(0)).join(' ')} MB every 5 s, ` +
          `${after.rssMb.toFixed(0)} MB after; last third - second third ${rssGrowth.toFixed(1)} MB ` +
          `(limit: 16 MB or 5% of the start)`,
        !(rssGrowth > Math.max(16, 0.05 * before.rssMb)),
      ],
    ];
    console.log(
      `offered ${rate} req/s, answered ${(answered / result.duration).toFixed(1)} req/s ` +
        `(${(result['2xx'] / result.duration).toFixed(1)} 200/s); latency p50 ${result.latency.p50} ms, ` +
        `p99 ${result.latency.p99} ms, max ${result.latency.max} ms`,
    );
    for (const [what, ok] of checks) console.log(`${ok ? 'ok  ' : 'FAIL'}  ${what}`);
    const passed = checks.every(([, ok]) => ok);
    console.log(`soak: ${passed ? 'passed' : 'FAILED'}`);
    return passed;
  } finally {
    console.log(`server exit:   ${await server.stop()} after SIGTERM`);
  }
}
