import Router from '@koa/router';
import type { ServiceHealth, SidecarHealth } from '../../protocol/health';
import type { HealthProbe } from '../backends';

export interface HealthDeps {
  readonly version: string;
  /** performance.now() origin is process start; this is Date.now() at app creation. */
  readonly startedAt: number;
  readonly store: HealthProbe;
  readonly relay: HealthProbe;
  readonly neo4j: HealthProbe | undefined;
  readonly redis: HealthProbe | undefined;
}

/**
 * Health checks probe the services on every request (no cached verdicts), so a restarted Neo4j
 * or Redis shows as healthy on the very next call.
 */
export function healthRoutes(deps: HealthDeps): Router {
  const router = new Router();

  router.get('/api/health', async (ctx) => {
    const [store, relay] = await Promise.all([deps.store.check(), deps.relay.check()]);
    const status: SidecarHealth['status'] = store.status !== 'ok' ? 'unavailable' : relay.status !== 'ok' ? 'degraded' : 'ok';
    const body: SidecarHealth = {
      status,
      version: deps.version,
      uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000),
      store,
      relay,
    };
    ctx.status = status === 'unavailable' ? 503 : 200;
    ctx.body = body;
  });

  router.get('/api/health/neo4j', (ctx) =>
    answerFor(ctx, deps.neo4j, {
      service: 'neo4j',
      status: 'not_configured',
      message: 'Neo4j is not configured: the embedded SQLite store is in use (set NEO4J_URI to use Neo4j).',
    }),
  );

  router.get('/api/health/redis', (ctx) =>
    answerFor(ctx, deps.redis, {
      service: 'redis',
      status: 'not_configured',
      message: 'Redis is not configured: the in-process relay is in use (set REDIS_URL to use Redis).',
    }),
  );

  return router;
}

/**
 * The original plan's contract: 200 when connected, 500 with the service's own error code and
 * message when not; 503 when the service is not configured at all.
 */
async function answerFor(
  ctx: { status: number; body: unknown },
  probe: HealthProbe | undefined,
  notConfigured: ServiceHealth,
): Promise<void> {
  if (probe === undefined) {
    ctx.status = 503;
    ctx.body = notConfigured;
    return;
  }
  const health = await probe.check();
  ctx.status = health.status === 'ok' ? 200 : 500;
  ctx.body = health;
}
