import Koa from 'koa';
import type { ServiceHealth } from '../protocol/health';
import type { Backends } from './backends';
import { DomainError } from './errors';
import { hostGuard, requireToken } from './http/accessGuard';
import { bundleRoutes } from './http/bundleRoutes';
import { errorHandler } from './http/errorHandler';
import { type EventRouteOptions, eventRoutes } from './http/eventRoutes';
import { healthRoutes } from './http/healthRoutes';
import { legacyRoutes } from './http/legacyRoutes';
import { metricsRoutes } from './http/metricsRoutes';
import { nodeRoutes } from './http/nodeRoutes';
import { openApiRoutes } from './http/openapi';
import { otlpRoutes } from './http/otlpRoutes';
import { replayRoutes } from './http/replayRoutes';
import { requestContext } from './http/requestContext';
import { runRoutes } from './http/runRoutes';
import { uiRoutes } from './http/uiRoutes';
import { workflowRoutes } from './http/workflowRoutes';
import type { IngestQueue } from './ingest/ingestQueue';
import type { Logger } from './log';
import type { SidecarMetrics } from './metrics';
import type { WorkflowRunner } from './runner/workflowRunner';

export interface AppDeps {
  readonly version: string;
  readonly log: Logger;
  readonly metrics: SidecarMetrics;
  readonly backends: Pick<Backends, 'store' | 'relay' | 'neo4j' | 'redis' | 'storeReady'>;
  readonly ingest: IngestQueue;
  readonly token: string;
  readonly allowedHosts: readonly string[];
  readonly limits: { readonly maxBodyBytes: number; readonly maxFieldBytes: number };
  readonly events: EventRouteOptions;
  readonly runner: WorkflowRunner;
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
  // Data routes wait for the store's schema (Neo4j may come up after the sidecar).
  app.use(async (ctx, next) => {
    const dataRoute =
      (ctx.path.startsWith('/api/') &&
        !ctx.path.startsWith('/api/health') &&
        ctx.path !== '/api/openapi.json' &&
        // Listing the declared workflows reads runtrail.json only.
        !(ctx.method === 'GET' && ctx.path === '/api/workflows')) ||
      // OTLP ingest writes runs and nodes (exporters retry a 503).
      ctx.path.startsWith('/v1/');
    if (!deps.backends.storeReady() && dataRoute) {
      throw new DomainError(
        'unavailable',
        `The ${store.kind} store is not ready yet (connecting or setting up its schema): retry shortly.`,
        undefined,
        2,
      );
    }
    await next();
  });

  // Neo4j may answer before the schema is set up; until then data routes say 503, and so must health.
  const readyStore = {
    check: async (): Promise<ServiceHealth> => {
      const health = await store.check();
      if (deps.backends.storeReady() || health.status !== 'ok') return health;
      return { ...health, status: 'unavailable', message: `${health.message}; setting up the schema` };
    },
  };
  const routers = [
    healthRoutes({ version: deps.version, startedAt: Date.now(), store: readyStore, relay, neo4j, redis }),
    metricsRoutes(deps.metrics),
    openApiRoutes(deps.version).router,
    runRoutes({ store, ingest: deps.ingest, relay, limits: deps.limits }).router,
    workflowRoutes(deps.runner, deps.limits).router,
    replayRoutes({ store, runner: deps.runner, limits: deps.limits }).router,
    eventRoutes(relay, deps.metrics, deps.events).router,
    nodeRoutes(store).router,
    bundleRoutes({ store, ingest: deps.ingest, relay, version: deps.version, limits: deps.limits }).router,
    legacyRoutes(store, deps.ingest, deps.limits).router,
    otlpRoutes({ store, ingest: deps.ingest, relay, limits: deps.limits }),
    // The graph page for browsers: public, no data (the UI calls /api with the token it is given).
    uiRoutes(),
  ];
  for (const router of routers) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  return app;
}
