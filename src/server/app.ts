import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import multipart from '@fastify/multipart';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { createLivenessChecker, packageModelsDir } from '../index.js';
import { apiKeyHook } from './auth.js';
import { registerDeadlines } from './deadline.js';
import { createLimiter, poolLimiter } from './limiter.js';
import { createServiceMetrics } from './metrics.js';
import { openApiDocument } from './openapi.js';
import {
  resolveServerOptions,
  type ResolvedServerOptions,
  type ServerOptions,
  type ServiceChecker,
} from './options.js';
import { CHECK_ROUTE, handleFrameworkError, handleNotFound, RAW_IMAGE_TYPES } from './replies.js';
import { registerCheckRoute } from './routes/check.js';
import { registerServiceRoutes } from './routes/service.js';

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(packageModelsDir(), '..', 'package.json'), 'utf8')) as { version: string })
      .version;
  } catch {
    return '0.0.0';
  }
}

/**
 * The HTTP service: one shared checker (models loaded once, before the first request, in `pool` worker threads so
 * the event loop stays free for deadlines and health checks), a bounded queue in front of it (the pool's own, or
 * with `pool: 0` a limiter of `concurrency` slots), a deadline per request. No state outlives a request, so any number of instances can sit behind a load
 * balancer. Closing the instance (`app.close()`) stops accepting, lets the requests in flight finish, then closes
 * the checker it created — as does a failure to build the instance.
 */
export async function createServer(options: ServerOptions = {}): Promise<FastifyInstance> {
  const settings = resolveServerOptions(options);
  if (options.checker !== undefined) return buildApp(options, settings, options.checker, false);
  const checker = await createLivenessChecker({
    model: options.model,
    threshold: options.threshold,
    threads: options.threads,
    workers: settings.pool,
    queue: settings.queue,
  });
  try {
    return await buildApp(options, settings, checker, true);
  } catch (error) {
    await checker.close();
    throw error;
  }
}

async function buildApp(
  options: ServerOptions,
  settings: ResolvedServerOptions,
  checker: ServiceChecker,
  ownsChecker: boolean,
): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: settings.maxBodyBytes,
    // Node's own whole-request timer is a backstop; the service's deadline answers first, in JSON.
    requestTimeout: settings.timeoutMs * 2,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // One log line per request (below) instead of Fastify's two: at 100 req/s and --log-level info, the second
    // line's synchronous write to stdout was a fifth of the main thread's CPU under load (bench/load.js --cpu-prof).
    logController: new LogController({ disableRequestLogging: true }),
  });
  // A pooled checker admits by itself (one check per worker, its bounded queue); otherwise the service's limiter.
  const limiter = checker.pool
    ? poolLimiter(checker.pool)
    : createLimiter({ concurrency: settings.concurrency, queue: settings.queue });
  const metrics = createServiceMetrics({
    inFlight: () => limiter.inFlight,
    queued: () => limiter.queued,
    pool: checker.pool,
  });

  // Only image bodies and multipart are accepted; anything else (JSON, text, forms) is a 415.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(RAW_IMAGE_TYPES, { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  await app.register(multipart, {
    // A multipart body is the image plus a few small fields; anything more is refused as too large.
    limits: { fileSize: settings.maxBodyBytes, files: 1, fields: 16, fieldSize: 64 * 1024, parts: 32 },
  });

  app.setErrorHandler(handleFrameworkError);
  app.setNotFoundHandler(handleNotFound);
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ route, method: request.method, status: String(reply.statusCode) });
    metrics.duration.observe({ route }, reply.elapsedTime / 1000);
    request.log.info(
      { method: request.method, url: request.url, statusCode: reply.statusCode, responseTime: reply.elapsedTime },
      'request completed',
    );
  });
  app.addHook('onRequest', async (request, reply) => {
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) metrics.aborted.inc({ route: request.routeOptions.url ?? 'unmatched' });
    });
  });
  if (settings.apiKey !== undefined) app.addHook('onRequest', apiKeyHook(settings.apiKey));
  const deadlines = registerDeadlines(app, { timeoutMs: settings.timeoutMs, routes: [CHECK_ROUTE] });

  app.addHook('onClose', async () => {
    await deadlines.idle(settings.timeoutMs);
    await limiter.idle();
    if (ownsChecker) await checker.close();
  });

  registerCheckRoute(app, { checker, limiter, deadlines, metrics });
  registerServiceRoutes(app, {
    checker,
    metrics,
    openapi: openApiDocument({ version: packageVersion(), apiKey: settings.apiKey !== undefined }),
  });
  return app;
}
