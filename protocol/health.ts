import { z } from 'zod';

/**
 * What a health check found about one backing service (Neo4j, Redis, the embedded store, the
 * in-process relay). `GET /api/health/neo4j` and `/redis` answer with exactly this object: 200 when
 * `status` is `ok`, 500 otherwise (the original plan's contract), with `error` naming the service's
 * own error code and message.
 */
export const ServiceHealth = z.object({
  service: z.enum(['neo4j', 'redis', 'sqlite', 'memory']),
  status: z.enum(['ok', 'unavailable', 'not_configured']),
  /** One human sentence: `Connected to Neo4j`, `Cannot reach Redis at redis://…`. */
  message: z.string(),
  /** Where the service is: a bolt/redis URL or a file path; credentials never included. */
  target: z.string().optional(),
  /** The server's own version string (`5.26.30`, `7.0.15`, SQLite `3.50.1`). */
  version: z.string().optional(),
  /** Round trip of the check query, in milliseconds. */
  latencyMs: z.number().optional(),
  error: z
    .object({
      code: z.string(),
      message: z.string(),
      /** ISO time of the first failure in the current outage. */
      since: z.string().optional(),
    })
    .optional(),
});
export type ServiceHealth = z.infer<typeof ServiceHealth>;

/** `GET /api/health`: 200 while the store answers (relay trouble only degrades), 503 otherwise. */
export const SidecarHealth = z.object({
  status: z.enum(['ok', 'degraded', 'unavailable']),
  version: z.string(),
  uptimeSeconds: z.number(),
  store: ServiceHealth,
  relay: ServiceHealth,
});
export type SidecarHealth = z.infer<typeof SidecarHealth>;
