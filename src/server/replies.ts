import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isAntispoofError, type AntispoofErrorCode } from '../index.js';
import { QueueFullError } from './limiter.js';

export const CHECK_ROUTE = '/v1/check';
/** `file` of a report for a raw-body upload (a multipart upload reports its filename). */
export const UPLOAD_NAME = 'upload';
/** Seconds a refused client should wait; one check takes tens of milliseconds, so the queue moves fast. */
export const RETRY_AFTER_SECONDS = 1;

/** Error codes of the service itself, next to the library's AntispoofErrorCode. */
export type ServiceErrorCode =
  'UNAUTHORIZED' | 'PAYLOAD_TOO_LARGE' | 'UNSUPPORTED_MEDIA_TYPE' | 'BUSY' | 'TIMEOUT' | 'NOT_FOUND' | 'INTERNAL';

export const RAW_IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'application/octet-stream'];

export const MEDIA_TYPE_HINT =
  `send the image as the body with Content-Type ${RAW_IMAGE_TYPES.join(', ')}, ` +
  'or as multipart/form-data with a file field "image"';

/**
 * Every error answer has the shape of `check --json`'s error line: `{ error, errorCode }`, plus `file` on
 * /v1/check so a client reads a failed check exactly like a failed file of the CLI.
 */
export function errorBody(request: FastifyRequest, errorCode: ServiceErrorCode | AntispoofErrorCode, message: string) {
  const body = { error: message, errorCode };
  return request.routeOptions.url === CHECK_ROUTE ? { file: UPLOAD_NAME, ...body } : body;
}

export function sendError(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  errorCode: ServiceErrorCode | AntispoofErrorCode,
  message: string,
): FastifyReply {
  return reply
    .code(status)
    .type('application/json; charset=utf-8')
    .send(errorBody(request, errorCode, message));
}

/**
 * The message of every 5xx answer: generic, with the request id under which the log holds the error itself (a
 * model's or runtime's own words name paths and internals, which are no business of a client).
 */
export function internalErrorMessage(request: FastifyRequest): string {
  return `internal server error; the server log has the details under request id ${request.id}`;
}

/** What a 503 says: the pool's own words stay in the log (an UNAVAILABLE names the error that stopped a worker). */
export const UNAVAILABLE_MESSAGE = 'no inference worker is ready (they are being restarted); retry later';

export function sendBusy(request: FastifyRequest, reply: FastifyReply, errorCode: 'BUSY' | 'UNAVAILABLE' = 'BUSY') {
  reply.header('retry-after', String(RETRY_AFTER_SECONDS));
  const message = errorCode === 'BUSY' ? new QueueFullError().message : UNAVAILABLE_MESSAGE;
  return sendError(request, reply, 503, errorCode, message);
}

/** HTTP status of a library error: the caller's image is at fault (4xx) unless the model or runtime failed. */
export function statusForError(error: unknown): number {
  if (!isAntispoofError(error)) return 500;
  switch (error.code) {
    case 'BUSY':
    case 'UNAVAILABLE':
      return 503;
    case 'INVALID_INPUT':
    case 'UNSUPPORTED_FORMAT':
    case 'DECODE_FAILED':
      return 400;
    case 'IMAGE_TOO_LARGE':
      return 413;
    default:
      return 500;
  }
}

/** Fastify's own errors (body too large, unknown content type, bad Content-Length...) in the service's shape. */
export function handleFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500;
  if (status === 413) return sendError(request, reply, 413, 'PAYLOAD_TOO_LARGE', 'the request body is too large');
  if (status === 415) return sendError(request, reply, 415, 'UNSUPPORTED_MEDIA_TYPE', MEDIA_TYPE_HINT);
  if (status >= 500) {
    request.log.error({ err: error }, 'unexpected failure');
    return reply
      .code(status)
      .type('application/json; charset=utf-8')
      .send({ ...errorBody(request, 'INTERNAL', internalErrorMessage(request)), requestId: request.id });
  }
  return sendError(request, reply, status, 'INVALID_INPUT', error.message);
}

export function handleNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendError(request, reply, 404, 'NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`);
}
