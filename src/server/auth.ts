import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from './replies.js';

/** Routes a load balancer or orchestrator probes without credentials. */
const OPEN_ROUTES = new Set(['/healthz']);

const digest = (value: string) => createHash('sha256').update(value).digest();

function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string') return header;
  const authorization = request.headers.authorization;
  const match = authorization ? /^Bearer\s+(.+)$/i.exec(authorization) : null;
  return match?.[1]?.trim();
}

/**
 * An onRequest hook that refuses requests without the key. Both sides are hashed first so the comparison is
 * constant-time and equal-length whatever the caller sends: neither the key's bytes nor its length leak by timing.
 */
export function apiKeyHook(apiKey: string) {
  const expected = digest(apiKey);
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (OPEN_ROUTES.has(request.routeOptions.url ?? '')) return;
    const key = presentedKey(request);
    if (key !== undefined && timingSafeEqual(digest(key), expected)) return;
    reply.header('www-authenticate', 'Bearer');
    return sendError(
      request,
      reply,
      401,
      'UNAUTHORIZED',
      'missing or wrong API key (send Authorization: Bearer <key>)',
    );
  };
}
