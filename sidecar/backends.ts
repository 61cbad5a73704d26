import type { ServiceHealth } from '../protocol/health';
import type { SidecarConfig } from './config';
import type { Logger } from './log';
import type { SidecarMetrics } from './metrics';
import { RedisClient } from './relay/redis/redisClient';
import { Neo4jClient } from './store/neo4j/neo4jClient';
import { SqliteDatabase } from './store/sqlite/sqliteDatabase';

export interface HealthProbe {
  /** Never throws: a failing service is reported in the result. */
  check(): Promise<ServiceHealth>;
}

/**
 * The services behind the sidecar, chosen by configuration: Neo4j or the embedded SQLite file
 * for the store, Redis or in-process for the relay. Opening never waits for Neo4j or Redis;
 * both connect (and reconnect) in the background while health reports them unavailable.
 */
export interface Backends {
  readonly store: HealthProbe & { readonly kind: 'neo4j' | 'sqlite' };
  readonly relay: HealthProbe & { readonly kind: 'redis' | 'memory' };
  readonly neo4j: Neo4jClient | undefined;
  readonly redis: RedisClient | undefined;
  readonly sqlite: SqliteDatabase | undefined;
  close(): Promise<void>;
}

export function openBackends(config: SidecarConfig, log: Logger, metrics: SidecarMetrics): Backends {
  const sqlite = config.neo4j === undefined ? SqliteDatabase.open(config.dataDir) : undefined;
  const neo4j = config.neo4j === undefined ? undefined : new Neo4jClient(config.neo4j, log, metrics);
  neo4j?.start();
  const redis = config.redisUrl === undefined ? undefined : new RedisClient(config.redisUrl, log, metrics);

  const store: Backends['store'] =
    neo4j !== undefined
      ? { kind: 'neo4j', check: () => neo4j.check() }
      : { kind: 'sqlite', check: async () => (sqlite as SqliteDatabase).check() };
  const relay: Backends['relay'] =
    redis !== undefined
      ? { kind: 'redis', check: () => redis.check() }
      : {
          kind: 'memory',
          check: async () => ({ service: 'memory', status: 'ok', message: 'In-process relay (REDIS_URL is not set)' }),
        };

  return {
    store,
    relay,
    neo4j,
    redis,
    sqlite,
    async close() {
      await Promise.allSettled([neo4j?.close(), redis?.close()]);
      sqlite?.close();
    },
  };
}
