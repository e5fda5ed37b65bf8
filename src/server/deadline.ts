import { finished } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from './replies.js';

export class RequestTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms: the upload was too slow or the server is overloaded`);
    this.name = 'RequestTimeoutError';
  }
}

export class ClientGoneError extends Error {
  constructor() {
    super('the client closed the connection');
    this.name = 'ClientGoneError';
  }
}

/** Per-request deadlines for the routes that do work, and a count of those requests for graceful shutdown. */
export interface Deadlines {
  /** Aborted when the request times out or its client goes away: queued work for it is dropped. */
  signal(request: FastifyRequest): AbortSignal | undefined;
  /** Requests between their headers and their answer. */
  readonly active: number;
  /** Resolves when no request is active, or after `maxWaitMs`. */
  idle(maxWaitMs: number): Promise<void>;
}

interface Pending {
  controller: AbortController;
  timer: NodeJS.Timeout;
}

/**
 * The timer starts when the headers are in, so a slowloris body (a byte now and then, never finishing) is cut off
 * too — socket idle timeouts never fire for it. On expiry the client gets a 504 in the service's JSON shape and,
 * if its body is still arriving, the connection is closed once the answer is written.
 */
export function registerDeadlines(app: FastifyInstance, options: { timeoutMs: number; routes: string[] }): Deadlines {
  const { timeoutMs } = options;
  const routes = new Set(options.routes);
  const pending = new Map<FastifyRequest, Pending>();
  let idleWaiters: Array<() => void> = [];

  function settle(request: FastifyRequest, reason?: Error): void {
    const entry = pending.get(request);
    if (!entry) return;
    clearTimeout(entry.timer);
    pending.delete(request);
    if (reason) entry.controller.abort(reason);
    if (pending.size === 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  function expire(request: FastifyRequest, reply: FastifyReply): void {
    const entry = pending.get(request);
    entry?.controller.abort(new RequestTimeoutError(timeoutMs));
    if (reply.sent) return;
    finished(reply.raw, () => {
      if (!request.raw.complete) request.raw.destroy();
      settle(request);
    });
    reply.header('connection', 'close');
    sendError(request, reply, 504, 'TIMEOUT', new RequestTimeoutError(timeoutMs).message);
  }

  app.addHook('onRequest', async (request, reply) => {
    if (!routes.has(request.routeOptions.url ?? '')) return;
    const timer = setTimeout(() => expire(request, reply), timeoutMs);
    pending.set(request, { controller: new AbortController(), timer });
    // The response's 'close' before its 'finish' is the one signal of a client gone while its request waits:
    // the request's own 'close' only means its body was read.
    reply.raw.once('close', () => settle(request, reply.raw.writableFinished ? undefined : new ClientGoneError()));
  });
  app.addHook('onResponse', async (request) => settle(request));

  return {
    signal: (request) => pending.get(request)?.controller.signal,
    get active() {
      return pending.size;
    },
    idle(maxWaitMs) {
      if (pending.size === 0) return Promise.resolve();
      return new Promise((resolve) => {
        const timer = setTimeout(resolve, maxWaitMs);
        idleWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}
