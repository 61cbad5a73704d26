import Koa from 'koa';
import type { Backends } from './backends';
import { hostGuard, requireToken } from './http/accessGuard';
import { errorHandler } from './http/errorHandler';
import { healthRoutes } from './http/healthRoutes';
import { metricsRoutes } from './http/metricsRoutes';
import { requestContext } from './http/requestContext';
import type { Logger } from './log';
import type { SidecarMetrics } from './metrics';

export interface AppDeps {
  readonly version: string;
  readonly log: Logger;
  readonly metrics: SidecarMetrics;
  readonly backends: Pick<Backends, 'store' | 'relay' | 'neo4j' | 'redis'>;
  readonly token: string;
  readonly allowedHosts: readonly string[];
}

/**
 * Builds the Koa app from its dependencies; `listen` (server.ts) is separate so tests start it on
 * port 0 with whatever backends they need. Middleware order matters: request context, then the
 * error handler (before anything that can throw), then the guards, then the routes.
 */
export function createApp(deps: AppDeps): Koa {
  const app = new Koa();
  // Koa's default handler would print stacks to stderr; errorHandler() logs them instead.
  app.silent = true;
  app.use(requestContext(deps.log, deps.metrics));
  app.use(errorHandler());
  app.use(hostGuard(deps.allowedHosts));
  app.use(requireToken(deps.token));

  const { store, relay, neo4j, redis } = deps.backends;
  const health = healthRoutes({
    version: deps.version,
    startedAt: Date.now(),
    store,
    relay,
    neo4j,
    redis,
  });
  const metrics = metricsRoutes(deps.metrics);
  for (const router of [health, metrics]) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  return app;
}
