import type { FastifyRequest } from 'fastify';
import type {} from '@fastify/multipart'; // request.isMultipart() and request.parts()
import { parseBox, type CheckOptions } from '../index.js';
import { MEDIA_TYPE_HINT, UPLOAD_NAME, type ServiceErrorCode } from './replies.js';

/** The multipart file field that carries the image. */
export const IMAGE_FIELD = 'image';

export interface Upload {
  /** `file` of the report: the multipart filename, else "upload". */
  file: string;
  bytes: Buffer;
}

/** A request the service refuses before any check runs; `status` and `errorCode` go to the client as they are. */
export class UploadError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: ServiceErrorCode | 'INVALID_INPUT',
    message: string,
  ) {
    super(message);
    this.name = 'UploadError';
  }
}

const TOO_LARGE_CODES = new Set(['FST_REQ_FILE_TOO_LARGE', 'FST_PARTS_LIMIT', 'FST_FILES_LIMIT', 'FST_FIELDS_LIMIT']);

/** `?wholeImage=true` and `?box=x,y,w,h`, the HTTP spelling of `check --whole-image` and `--box`. */
export function checkOptionsFromQuery(query: unknown): CheckOptions {
  const { wholeImage, box } = (query ?? {}) as Record<string, unknown>;
  const options: CheckOptions = {};
  if (wholeImage !== undefined) {
    if (wholeImage === 'true' || wholeImage === '1' || wholeImage === '') options.wholeImage = true;
    else if (wholeImage !== 'false' && wholeImage !== '0')
      throw new UploadError(400, 'INVALID_INPUT', `wholeImage must be true or false, got "${String(wholeImage)}"`);
  }
  if (box !== undefined) {
    try {
      options.box = parseBox(String(box));
    } catch (error) {
      throw new UploadError(400, 'INVALID_INPUT', `box: ${(error as Error).message}`);
    }
  }
  return options;
}

async function readMultipart(request: FastifyRequest): Promise<Upload> {
  let upload: Upload | undefined;
  try {
    for await (const part of request.parts()) {
      if (part.type !== 'file') continue;
      if (part.fieldname !== IMAGE_FIELD)
        throw new UploadError(
          400,
          'INVALID_INPUT',
          `the file field must be named "${IMAGE_FIELD}", got "${part.fieldname}"`,
        );
      upload = { file: part.filename || UPLOAD_NAME, bytes: await part.toBuffer() };
    }
  } catch (error) {
    if (error instanceof UploadError) throw error;
    const code = (error as { code?: string }).code ?? '';
    if (TOO_LARGE_CODES.has(code))
      throw new UploadError(413, 'PAYLOAD_TOO_LARGE', `multipart body too large: ${(error as Error).message}`);
    throw new UploadError(400, 'INVALID_INPUT', `malformed multipart/form-data body: ${(error as Error).message}`);
  }
  if (!upload) throw new UploadError(400, 'INVALID_INPUT', `the multipart body has no file field "${IMAGE_FIELD}"`);
  return upload;
}

/** The uploaded image: the raw body (already read and size-checked by its content-type parser) or multipart. */
export async function readUpload(request: FastifyRequest): Promise<Upload> {
  if (request.isMultipart()) return readMultipart(request);
  if (Buffer.isBuffer(request.body)) return { file: UPLOAD_NAME, bytes: request.body };
  throw new UploadError(415, 'UNSUPPORTED_MEDIA_TYPE', MEDIA_TYPE_HINT);
}
