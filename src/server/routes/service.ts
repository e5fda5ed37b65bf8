import type { FastifyInstance } from 'fastify';
import type { ServiceMetrics } from '../metrics.js';
import type { ServiceChecker } from '../options.js';

/** GET /healthz, /metrics and /openapi.json: what a load balancer, Prometheus and a client generator read. */
export function registerServiceRoutes(
  app: FastifyInstance,
  context: { checker: ServiceChecker; metrics: ServiceMetrics; openapi: object },
): void {
  const { checker, metrics, openapi } = context;
  // The checker is loaded before the server listens, so answering at all means the model is loaded; with a pool,
  // a 503 says that no worker is ready to use it (a load balancer then sends the traffic elsewhere).
  app.get('/healthz', async (_request, reply) => {
    const model = checker.classifier.card.name;
    const { pool } = checker;
    if (!pool || pool.health === 'ok') return { status: 'ok', model };
    if (pool.health === 'unavailable' || pool.health === 'closed') reply.code(503);
    return { status: pool.health, model, workers: { ready: pool.ready, size: pool.size } };
  });
  app.get('/metrics', async (_request, reply) => {
    reply.type('text/plain; version=0.0.4; charset=utf-8');
    return metrics.render();
  });
  app.get('/openapi.json', async () => openapi);
}
