import { randomUUID } from 'node:crypto';
import type { Context, Next } from 'koa';
import type { Logger } from '../log';
import type { SidecarMetrics } from '../metrics';

export interface RequestState {
  requestId: string;
  log: Logger;
}

/**
 * Outermost middleware: gives each request an id (echoed as X-Request-Id, accepted from the
 * client when it looks like one) and a child logger, and records the answered status and latency
 * in the metrics. It never throws; errors are mapped by the error handler inside it.
 */
export function requestContext(log: Logger, metrics: SidecarMetrics) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const incoming = ctx.get('x-request-id');
    const requestId = /^[A-Za-z0-9._-]{8,64}$/.test(incoming) ? incoming : randomUUID();
    const state = ctx.state as RequestState;
    state.requestId = requestId;
    state.log = log.child({ requestId });
    ctx.set('X-Request-Id', requestId);
    const started = performance.now();
    try {
      await next();
    } finally {
      // The matched route pattern, not the raw path, so ids never become label values.
      const route = (ctx as Context & { _matchedRoute?: string })._matchedRoute ?? 'unmatched';
      const seconds = (performance.now() - started) / 1000;
      metrics.httpRequests.inc({ method: ctx.method, route, status: String(ctx.status) });
      metrics.httpDuration.observe({ method: ctx.method, route }, seconds);
      state.log.debug({ method: ctx.method, url: ctx.url, status: ctx.status, ms: Math.round(seconds * 1000) }, 'request');
    }
  };
}
