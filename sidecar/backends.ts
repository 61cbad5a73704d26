import type { ServiceHealth } from '../protocol/health';
import type { SidecarConfig } from './config';
import type { Logger } from './log';
import type { SidecarMetrics } from './metrics';
import { MemoryRelay } from './relay/memory/memoryRelay';
import type { RedisClient } from './relay/redis/redisClient';
import { RedisRelay } from './relay/redis/redisRelay';
import type { Relay } from './relay/relay';
import { Neo4jClient } from './store/neo4j/neo4jClient';
import { Neo4jRunStore } from './store/neo4j/neo4jRunStore';
import type { RunStore } from './store/runStore';
import { SqliteDatabase } from './store/sqlite/sqliteDatabase';
import { SqliteRunStore } from './store/sqlite/sqliteRunStore';
import { Backoff } from './util/backoff';

export interface HealthProbe {
  /** Never throws: a failing service is reported in the result. */
  check(): Promise<ServiceHealth>;
}

/**
 * The services behind the sidecar, chosen by configuration: Neo4j or the embedded SQLite file
 * for the store, Redis or in-process for the relay. Opening never waits for Neo4j or Redis: both
 * connect (and reconnect) in the background, health reports them unavailable meanwhile, and the
 * store's schema is set up as soon as Neo4j answers (`storeReady` until then is false).
 */
export interface Backends {
  readonly store: RunStore;
  readonly relay: Relay;
  readonly neo4j: Neo4jClient | undefined;
  readonly redis: RedisClient | undefined;
  /** True once the store's schema is in place; data routes answer 503 before. */
  storeReady(): boolean;
  close(): Promise<void>;
}

export async function openBackends(config: SidecarConfig, log: Logger, metrics: SidecarMetrics): Promise<Backends> {
  let ready = false;
  let closed = false;
  let store: RunStore;
  let neo4j: Neo4jClient | undefined;
  if (config.neo4j === undefined) {
    store = new SqliteRunStore(SqliteDatabase.open(config.dataDir));
    await store.init();
    ready = true;
  } else {
    neo4j = new Neo4jClient(config.neo4j, log, metrics);
    neo4j.start();
    store = new Neo4jRunStore(neo4j);
    void initWhenReachable(store, log, () => closed).then((ok) => {
      ready = ok;
    });
  }
  // REDIS_URL set: the Redis Streams relay. Its command connection is also the RedisClient that
  // answers /api/health/redis, so a sidecar holds two Redis connections (commands, stream reader).
  const relay: Relay =
    config.redisUrl === undefined
      ? new MemoryRelay()
      : new RedisRelay(config.redisUrl, { maxLen: config.relay.maxLen, bufferSize: config.relay.bufferSize }, log, metrics);
  const redis: RedisClient | undefined = relay instanceof RedisRelay ? relay.client : undefined;

  return {
    store,
    relay,
    neo4j,
    redis,
    storeReady: () => ready,
    async close() {
      closed = true;
      // relay.close() also closes `redis`, its command connection.
      await Promise.allSettled([store.close(), relay.close()]);
    },
  };
}

/** Retries the schema set-up with backoff until it succeeds; false if the sidecar closed first. */
async function initWhenReachable(store: RunStore, log: Logger, isClosed: () => boolean): Promise<boolean> {
  const backoff = new Backoff({ initialMs: 250, maxMs: 5_000 });
  while (!isClosed()) {
    try {
      await store.init();
      log.info({ store: store.kind }, 'store schema ready');
      return true;
    } catch (error) {
      log.debug({ err: (error as Error).message }, 'store schema not set up yet');
      await new Promise((resolve) => setTimeout(resolve, backoff.next()));
    }
  }
  return false;
}
