import type { WorkerPoolState } from '../index.js';

/**
 * Just enough of the Prometheus text exposition format (version 0.0.4) for this service: labelled counters, one
 * latency histogram and gauges read at scrape time. A client library would be a dependency for ~100 lines.
 */

type Labels = Record<string, string>;

const escapeLabel = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

function labelText(labels: Labels): string {
  const pairs = Object.entries(labels).map(([name, value]) => `${name}="${escapeLabel(value)}"`);
  return pairs.length === 0 ? '' : `{${pairs.join(',')}}`;
}

function header(name: string, help: string, type: string): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
}

export class Counter {
  private readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    /** Label sets shown as 0 before anything happened, so dashboards see the series from the start. */
    initial: Labels[] = [],
  ) {
    for (const labels of initial) this.inc(labels, 0);
  }
  inc(labels: Labels = {}, by = 1): void {
    const key = labelText(labels);
    const entry = this.values.get(key);
    if (entry) entry.value += by;
    else this.values.set(key, { labels, value: by });
  }
  get(labels: Labels = {}): number {
    return this.values.get(labelText(labels))?.value ?? 0;
  }
  render(): string {
    let text = header(this.name, this.help, 'counter');
    for (const { labels, value } of this.values.values()) text += `${this.name}${labelText(labels)} ${value}\n`;
    return text;
  }
}

/** Seconds; spans a fast inference on an idle server (~10 ms) to the default 10 s request timeout. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class Histogram {
  private readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[] = LATENCY_BUCKETS,
  ) {}
  observe(labels: Labels, value: number): void {
    const key = labelText(labels);
    let entry = this.series.get(key);
    if (!entry) {
      entry = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, entry);
    }
    this.buckets.forEach((le, i) => {
      if (value <= le) entry.counts[i]!++;
    });
    entry.sum += value;
    entry.count++;
  }
  render(): string {
    let text = header(this.name, this.help, 'histogram');
    for (const { labels, counts, sum, count } of this.series.values()) {
      this.buckets.forEach((le, i) => {
        text += `${this.name}_bucket${labelText({ ...labels, le: String(le) })} ${counts[i]}\n`;
      });
      text += `${this.name}_bucket${labelText({ ...labels, le: '+Inf' })} ${count}\n`;
      text += `${this.name}_sum${labelText(labels)} ${sum}\n`;
      text += `${this.name}_count${labelText(labels)} ${count}\n`;
    }
    return text;
  }
}

/** A value read at scrape time: a gauge, or a counter kept by someone else (the worker pool's restarts). */
export class Gauge {
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly read: () => number,
    private readonly type: 'gauge' | 'counter' = 'gauge',
  ) {}
  render(): string {
    return `${header(this.name, this.help, this.type)}${this.name} ${this.read()}\n`;
  }
}

export interface ServiceMetrics {
  requests: Counter;
  aborted: Counter;
  duration: Histogram;
  verdicts: Counter;
  render(): string;
}

export function createServiceMetrics(state: {
  inFlight: () => number;
  queued: () => number;
  pool?: WorkerPoolState | null;
}): ServiceMetrics {
  const requests = new Counter('antispoof_http_requests_total', 'HTTP requests answered, by route, method and status');
  const aborted = new Counter(
    'antispoof_http_requests_aborted_total',
    'HTTP requests whose client went away before the answer, by route',
  );
  const duration = new Histogram('antispoof_http_request_duration_seconds', 'Time to answer, by route');
  const verdicts = new Counter('antispoof_verdicts_total', 'Faces checked, by verdict', [
    { verdict: 'live' },
    { verdict: 'spoof' },
    { verdict: 'retry' },
  ]);
  const gauges = [
    new Gauge('antispoof_checks_in_flight', 'Checks running now (with a pool: workers busy)', state.inFlight),
    new Gauge('antispoof_queue_depth', 'Checks waiting for a free worker or slot', state.queued),
    new Gauge('process_resident_memory_bytes', 'Resident set size of the server process', () =>
      process.memoryUsage.rss(),
    ),
    new Gauge(
      'antispoof_active_resources',
      'Handles and requests keeping the event loop alive (a leak grows)',
      () => process.getActiveResourcesInfo().length,
    ),
  ];
  const { pool } = state;
  if (pool)
    gauges.push(
      new Gauge('antispoof_pool_workers', 'Inference workers ready', () => pool.ready),
      new Gauge(
        'antispoof_pool_busy',
        'Inference workers computing (aborted checks until they answer)',
        () => pool.busy,
      ),
      new Gauge('antispoof_pool_queued', 'Checks waiting for an inference worker', () => pool.queued),
      new Gauge(
        'antispoof_pool_restarts_total',
        'Inference workers started as replacements',
        () => pool.restarts,
        'counter',
      ),
      new Gauge(
        'antispoof_pool_kills_total',
        'Inference workers terminated (hung after an abort, or at close)',
        () => pool.kills,
        'counter',
      ),
    );
  return {
    requests,
    aborted,
    duration,
    verdicts,
    render: () => [requests, aborted, duration, verdicts, ...gauges].map((metric) => metric.render()).join(''),
  };
}
