export type AntispoofErrorCode =
  | 'INVALID_INPUT'
  | 'UNSUPPORTED_FORMAT'
  | 'DECODE_FAILED'
  | 'IMAGE_TOO_LARGE'
  | 'MODEL_NOT_FOUND'
  | 'MODEL_LOAD_FAILED'
  | 'MODEL_CARD_INVALID'
  | 'INFERENCE_FAILED'
  /** A worker pool's queue is full: try again shortly (the service answers 503 with Retry-After). */
  | 'BUSY'
  /** A worker pool has no worker ready (all crashed or killed, replacements loading or failing): try again later. */
  | 'UNAVAILABLE';

/** Every error the library throws on purpose; `code` is stable, `message` names the bad input. */
export class AntispoofError extends Error {
  readonly code: AntispoofErrorCode;
  constructor(code: AntispoofErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AntispoofError';
    this.code = code;
  }
}

export function isAntispoofError(error: unknown): error is AntispoofError {
  return error instanceof AntispoofError;
}
