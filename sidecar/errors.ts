import type { ErrorCode } from '../protocol/errors';

/**
 * A failure the client can act on. Thrown anywhere in the sidecar; the error middleware turns it
 * into `{error: {code, message, details}}` with the matching HTTP status. Anything that is not a
 * DomainError is a bug: logged with the request id and answered 500 without internals.
 */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    /** Sent as Retry-After with 503s: when the client should try again. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const invalid = (message: string, details?: unknown) => new DomainError('invalid', message, details);
export const notFound = (message: string, details?: unknown) => new DomainError('not_found', message, details);
export const conflict = (message: string, details?: unknown) => new DomainError('conflict', message, details);
export const unavailable = (message: string, retryAfterSeconds = 1, details?: unknown) =>
  new DomainError('unavailable', message, details, retryAfterSeconds);

export const httpStatusOf: Record<ErrorCode, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  invalid_config: 422,
  unavailable: 503,
  internal: 500,
};
