import Router from '@koa/router';
import type { SidecarMetrics } from '../metrics';

/** Prometheus text exposition at /metrics (outside /api: scrapers send no token; loopback only). */
export function metricsRoutes(metrics: SidecarMetrics): Router {
  const router = new Router();
  router.get('/metrics', async (ctx) => {
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  });
  return router;
}
