// The slice of autocannon's API that bench/load.ts uses (the package ships no types).
declare module 'autocannon' {
  interface Options {
    url: string;
    connections?: number;
    duration?: number;
    method?: string;
    headers?: Record<string, string>;
    body?: Buffer | string;
    timeout?: number;
    /** Requests per second over all connections (0: as fast as answers come). */
    overallRate?: number;
  }
  /** Latencies in ms; request rates per second (one sample a second). */
  interface Stats {
    average: number;
    stddev: number;
    min: number;
    max: number;
    total: number;
    p50: number;
    p90: number;
    p99: number;
  }
  interface Result {
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    '2xx': number;
    statusCodeStats: Record<string, { count: number }>;
    latency: Stats;
    requests: Stats & { sent: number };
    throughput: Stats;
  }
  function autocannon(options: Options): Promise<Result>;
  export default autocannon;
}
