import type { FastifyInstance } from 'fastify';
import { reportFromError, reportFromResult, type CheckOptions, type FileReport } from '../../index.js';
import { ClientGoneError, type Deadlines } from '../deadline.js';
import { QueueFullError, type Limiter } from '../limiter.js';
import type { ServiceMetrics } from '../metrics.js';
import type { ServiceChecker } from '../options.js';
import {
  CHECK_ROUTE,
  internalErrorMessage,
  RETRY_AFTER_SECONDS,
  sendBusy,
  statusForError,
  UNAVAILABLE_MESSAGE,
  UPLOAD_NAME,
} from '../replies.js';
import { checkOptionsFromQuery, readUpload, UploadError, type Upload } from '../upload.js';

export interface CheckRouteContext {
  checker: ServiceChecker;
  limiter: Limiter;
  deadlines: Deadlines;
  metrics: ServiceMetrics;
}

/**
 * POST /v1/check: one image in, the object `antispoof check --json` prints for one file out. The handler returns
 * its answer rather than sending it, and returns nothing once the deadline has answered or the client has gone.
 * It decides nothing about load: the limiter (with a pool: the pool) admits or refuses, and its answers map to
 * status codes — full: 503 BUSY at once; no worker: 503 UNAVAILABLE; deadline: 504; a server bug: 500.
 */
export function registerCheckRoute(app: FastifyInstance, context: CheckRouteContext): void {
  const { checker, limiter, deadlines, metrics } = context;

  app.post(CHECK_ROUTE, {
    // Refuse before the body is read: an overloaded server should not also buffer uploads it cannot serve.
    onRequest: async (request, reply) => {
      if (limiter.full) sendBusy(request, reply);
      else if (checker.pool?.health === 'unavailable') sendBusy(request, reply, 'UNAVAILABLE');
    },
    handler: async (request, reply): Promise<(FileReport & { requestId?: string }) | undefined> => {
      let upload: Upload;
      let options: CheckOptions;
      try {
        options = checkOptionsFromQuery(request.query);
        upload = await readUpload(request);
      } catch (error) {
        if (reply.sent) return undefined;
        if (!(error instanceof UploadError)) throw error;
        // The rest of a refused multipart body is not read: close rather than parse it as the next request.
        if (request.isMultipart()) reply.header('connection', 'close');
        reply.code(error.status);
        return { file: UPLOAD_NAME, error: error.message, errorCode: error.errorCode };
      }
      if (reply.sent) return undefined;
      try {
        // The same signal drops the check while it waits and, in a worker, while it runs (the worker stays busy
        // until it answers or is killed). The upload is handed over: moved to the worker, not copied.
        const signal = deadlines.signal(request);
        const check = () => checker.check(upload.bytes, { ...options, signal, transfer: true });
        const result = await limiter.run(check, signal);
        for (const face of result.faces) metrics.verdicts.inc({ verdict: face.verdict });
        if (reply.sent) return undefined;
        return reportFromResult(upload.file, result);
      } catch (error) {
        if (reply.sent || error instanceof ClientGoneError) return undefined;
        if (error instanceof QueueFullError) {
          reply.code(503).header('retry-after', String(RETRY_AFTER_SECONDS));
          return { file: upload.file, error: error.message, errorCode: 'BUSY' };
        }
        const status = statusForError(error);
        reply.code(status);
        if (status < 500) return reportFromError(upload.file, error);
        if (status === 503) {
          reply.header('retry-after', String(RETRY_AFTER_SECONDS));
          const { errorCode } = reportFromError(upload.file, error);
          if (errorCode === 'BUSY') return { file: upload.file, error: (error as Error).message, errorCode };
          request.log.warn({ err: error }, 'no inference worker ready');
          return { file: upload.file, error: UNAVAILABLE_MESSAGE, errorCode };
        }
        // The model's or runtime's own words (paths, library internals) go to the log, not to the client.
        request.log.error({ err: error }, 'check failed');
        const { errorCode } = reportFromError(upload.file, error);
        return { file: upload.file, error: internalErrorMessage(request), errorCode, requestId: request.id };
      }
    },
  });
}
