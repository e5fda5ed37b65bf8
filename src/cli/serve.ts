import { InvalidArgumentError, type Command } from 'commander';
import sharp from 'sharp';
import {
  closeOnSignals,
  createServer,
  forkWorkers,
  isPrimary,
  resolveServerOptions,
  SERVER_DEFAULTS,
} from '../server/index.js';
import { AntispoofError } from '../index.js';
import { parsePositiveInteger, parseProbability, UsageError } from './parse.js';

interface ServeFlags {
  port: number;
  host: string;
  model?: string;
  threshold?: number;
  threads?: number;
  apiKey?: string;
  pool?: number;
  concurrency?: number;
  queue: number;
  maxBodyMb: number;
  timeoutMs: number;
  logLevel: string;
  workers: number;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new InvalidArgumentError(`expected a port in 0..65535, got "${value}"`);
  return port;
}

function parseCount(value: string): number {
  const count = Number(value);
  if (!Number.isInteger(count) || count < 0) throw new InvalidArgumentError(`expected an integer >= 0, got "${value}"`);
  return count;
}

function parseMegabytes(value: string): number {
  const mb = Number(value);
  if (!Number.isFinite(mb) || mb <= 0) throw new InvalidArgumentError(`expected a positive number, got "${value}"`);
  return mb;
}

function parseApiKey(value: string): string {
  if (value.length === 0) throw new InvalidArgumentError('the API key must not be empty');
  return value;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('answer POST /v1/check over HTTP (plus /healthz, /metrics, /openapi.json)')
    .option('--port <n>', 'TCP port (0: any free port)', parsePort, 8080)
    .option('--host <address>', 'address to listen on (0.0.0.0 in a container)', '127.0.0.1')
    .option('--model <file>', 'classifier .onnx (card .json next to it) or a model card .json')
    .option(
      '--threshold <p>',
      'P(live) at or above which a face is live (default: from the model card)',
      parseProbability,
    )
    .option('--threads <n>', 'onnxruntime threads per session', parsePositiveInteger)
    .option('--api-key <key>', 'require this key (Bearer or x-api-key); prefer the ANTISPOOF_API_KEY env', parseApiKey)
    .option(
      '--pool <n>',
      `inference worker threads (default: one per core, ${SERVER_DEFAULTS.pool} here; with --workers > 1: 0); ` +
        '0 runs inference on the event loop',
      parseCount,
    )
    .option(
      '--concurrency <n>',
      `checks at once (default: the pool size, or ${SERVER_DEFAULTS.concurrency} with --pool 0)`,
      parsePositiveInteger,
    )
    .option('--queue <n>', 'checks waiting before new ones get 503', parseCount, SERVER_DEFAULTS.queue)
    .option('--max-body-mb <n>', 'largest upload in MB', parseMegabytes, SERVER_DEFAULTS.maxBodyBytes / 1024 / 1024)
    .option(
      '--timeout-ms <n>',
      'deadline per request, upload included',
      parsePositiveInteger,
      SERVER_DEFAULTS.timeoutMs,
    )
    .option('--log-level <level>', 'fatal, error, warn, info, debug or silent (JSON lines on stdout)', 'info')
    .option(
      '--workers <n>',
      'processes sharing the port, each with its own models, --pool and --concurrency',
      parsePositiveInteger,
      1,
    )
    .action(async (flags: ServeFlags) => {
      if (flags.workers > 1 && isPrimary()) {
        forkWorkers(flags.workers, (message) => process.stderr.write(`antispoof serve: ${message}\n`));
        return;
      }
      // Every request brings a new image, so libvips' operation cache only holds memory (tens of MB per worker).
      sharp.cache(false);
      // An empty variable (e.g. an unset secret in a unit file) must not silently disable authentication.
      const envKey = process.env.ANTISPOOF_API_KEY;
      if (flags.apiKey === undefined && envKey !== undefined && envKey.length === 0)
        throw new UsageError('ANTISPOOF_API_KEY is set but empty; unset it to serve without a key');
      // Cluster workers each run their checks in-thread unless told otherwise: a pool per process would put
      // workers x cores inference threads on the cores.
      const pool = flags.pool ?? (flags.workers > 1 ? 0 : SERVER_DEFAULTS.pool);
      const app = await createServer({
        pool,
        model: flags.model,
        threshold: flags.threshold,
        threads: flags.threads,
        apiKey: flags.apiKey ?? envKey,
        concurrency: flags.concurrency,
        queue: flags.queue,
        maxBodyBytes: Math.round(flags.maxBodyMb * 1024 * 1024),
        timeoutMs: flags.timeoutMs,
        logger: { level: flags.logLevel },
      });
      let address: string;
      try {
        address = await app.listen({ port: flags.port, host: flags.host });
      } catch (error) {
        await app.close();
        throw new AntispoofError(
          'INVALID_INPUT',
          `cannot listen on ${flags.host}:${flags.port}: ${(error as Error).message}`,
        );
      }
      closeOnSignals(app);
      const { concurrency } = resolveServerOptions({ pool, concurrency: flags.concurrency });
      process.stderr.write(
        `antispoof serve: listening on ${address} (pool ${pool}, concurrency ${concurrency}, queue ${flags.queue}` +
          `${(flags.apiKey ?? envKey) ? ', API key required' : ''})\n`,
      );
    });
}
