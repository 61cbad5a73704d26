import type { Context, Next } from 'koa';
import type { ErrorBody, ErrorCode } from '../../protocol/errors';
import { DomainError, httpStatusOf } from '../errors';
import type { RequestState } from './requestContext';

/**
 * Maps every failure to `{error: {code, message, details}}`. Must sit before everything that can
 * throw. Domain errors keep their message; Koa/HTTP errors a client caused (bad JSON, too large)
 * keep theirs; anything else is a bug: logged with the request id, answered 500 without internals.
 */
export function errorHandler() {
  return async (ctx: Context, next: Next): Promise<void> => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new DomainError('not_found', `No route for ${ctx.method} ${ctx.path}`);
      }
      if (ctx.status === 405 && ctx.body === undefined) {
        const allow = ctx.response.get('Allow');
        throw new DomainError('method_not_allowed', `${ctx.method} is not allowed on ${ctx.path}: use ${allow || 'another method'}.`);
      }
    } catch (error) {
      const { status, body } = toErrorResponse(error, (ctx.state as RequestState).requestId);
      if (status >= 500) {
        (ctx.state as RequestState).log.error({ err: error, method: ctx.method, url: ctx.url }, 'request failed');
      }
      ctx.status = status;
      ctx.body = body;
      if (status === 401) ctx.set('WWW-Authenticate', 'Bearer realm="runtrail"');
      if (error instanceof DomainError && error.retryAfterSeconds !== undefined) ctx.set('Retry-After', String(error.retryAfterSeconds));
    }
  };
}

const codeOfStatus: Record<number, ErrorCode> = {
  400: 'invalid',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable',
  503: 'unavailable',
};

export function toErrorResponse(error: unknown, requestId: string): { status: number; body: ErrorBody } {
  if (error instanceof DomainError) {
    const detail = error.details === undefined ? {} : { details: error.details };
    return { status: httpStatusOf[error.code], body: { error: { code: error.code, message: error.message, ...detail } } };
  }
  // Errors raised through ctx.throw()/http-errors: `expose` is true only for 4xx.
  const http = error as { status?: unknown; expose?: unknown; message?: unknown };
  if (typeof http.status === 'number' && http.status >= 400 && http.status < 500 && http.expose === true) {
    const code = codeOfStatus[http.status] ?? 'invalid';
    return { status: http.status, body: { error: { code, message: String(http.message) } } };
  }
  return {
    status: 500,
    body: { error: { code: 'internal', message: `Internal error; the sidecar log has the details under request id ${requestId}.` } },
  };
}
