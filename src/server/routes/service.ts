import type { FastifyInstance } from 'fastify';
import type { ServiceMetrics } from '../metrics.js';
import type { ServiceChecker } from '../options.js';

/** GET /healthz, /metrics and /openapi.json: what a load balancer, Prometheus and a client generator read. */
export function registerServiceRoutes(
  app: FastifyInstance,
  context: { checker: ServiceChecker; metrics: ServiceMetrics; openapi: object },
): void {
  const { checker, metrics, openapi } = context;
  // The checker is loaded before the server listens, so answering at all means the model is ready.
  app.get('/healthz', async () => ({ status: 'ok', model: checker.classifier.card.name }));
  app.get('/metrics', async (_request, reply) => {
    reply.type('text/plain; version=0.0.4; charset=utf-8');
    return metrics.render();
  });
  app.get('/openapi.json', async () => openapi);
}
