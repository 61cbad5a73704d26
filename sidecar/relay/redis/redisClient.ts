import { Redis } from 'ioredis';
import type { ServiceHealth } from '../../../protocol/health';
import { redact } from '../../config';
import type { Logger } from '../../log';
import type { SidecarMetrics } from '../../metrics';
import { Backoff } from '../../util/backoff';
import { withTimeout } from '../../util/withTimeout';

interface Outage {
  code: string;
  message: string;
  since: Date;
}

/**
 * Opens an ioredis connection that fails fast while Redis is away (no offline queue: callers
 * decide what to buffer) and reconnects by itself with capped exponential backoff. The relay
 * makes two of these: one for commands, one that only blocks on stream reads.
 */
export function openRedis(
  url: string,
  name: string,
  log: Logger,
  metrics: SidecarMetrics,
  onOutage?: (outage: Outage | undefined) => void,
): Redis {
  const backoff = new Backoff({ initialMs: 100, maxMs: 5_000 });
  let outage: Outage | undefined;
  const redis = new Redis(url, {
    connectionName: `runtrail-${name}`,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 3_000,
    retryStrategy: () => backoff.next(),
  });
  redis.on('ready', () => {
    backoff.reset();
    if (outage !== undefined) log.info({ target: redact(url), connection: name }, 'Redis connection restored');
    outage = undefined;
    onOutage?.(undefined);
  });
  const fail = (code: string, message: string) => {
    metrics.redisErrors.inc({ code });
    if (outage === undefined) {
      outage = { code, message, since: new Date() };
      log.warn({ target: redact(url), connection: name, code, err: message }, 'Redis unavailable');
    } else {
      outage = { ...outage, code, message };
    }
    onOutage?.(outage);
  };
  redis.on('error', (error: Error & { code?: string }) => fail(error.code ?? 'unknown', error.message));
  // ioredis reports a refused reconnect only after its first backoff; a dropped connection is
  // already an outage, so it is recorded the moment the socket closes.
  redis.on('close', () => {
    if (!closing.has(redis) && outage === undefined) fail('connection_lost', 'the connection to Redis was closed');
  });
  // The first connect fails like any later one; the 'error' handler above reports it and
  // ioredis keeps retrying, so the sidecar starts whether or not Redis is up.
  redis.connect().catch(() => {});
  return redis;
}

const closing = new WeakSet<Redis>();

/**
 * Closes a connection from openRedis() on purpose, so its close is not counted as an outage.
 * `disconnect` drops it at once: a QUIT would wait behind a blocked XREAD for up to its timeout.
 */
export async function closeRedis(redis: Redis, how: 'quit' | 'disconnect' = 'quit'): Promise<void> {
  closing.add(redis);
  if (how === 'disconnect') {
    redis.disconnect();
    return;
  }
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}

/** The command connection and its health probe. */
export class RedisClient {
  readonly commands: Redis;
  private outage: Outage | undefined;

  constructor(
    readonly url: string,
    private readonly log: Logger,
    private readonly metrics: SidecarMetrics,
  ) {
    this.commands = openRedis(url, 'commands', log, metrics, (outage) => {
      this.outage = outage;
    });
  }

  get target(): string {
    return redact(this.url);
  }

  /** PING and the server version. Never throws; answers at once while disconnected. */
  async check(timeoutMs = 3_000): Promise<ServiceHealth> {
    if (this.commands.status === 'ready') {
      const started = performance.now();
      try {
        const [, info] = await withTimeout(
          Promise.all([this.commands.ping(), this.commands.info('server')]),
          timeoutMs,
          `Redis did not answer within ${timeoutMs} ms`,
        );
        return {
          service: 'redis',
          status: 'ok',
          message: 'Connected to Redis',
          target: this.target,
          version: /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown',
          latencyMs: Math.round((performance.now() - started) * 100) / 100,
        };
      } catch (error) {
        const code = (error as { code?: string }).code ?? 'unknown';
        this.metrics.redisErrors.inc({ code });
        this.outage ??= { code, message: (error as Error).message, since: new Date() };
      }
    }
    const outage = this.outage ?? { code: this.commands.status, message: `connection is ${this.commands.status}`, since: new Date() };
    return {
      service: 'redis',
      status: 'unavailable',
      message: `Cannot reach Redis at ${this.target}: ${outage.message}`,
      target: this.target,
      error: { code: outage.code, message: outage.message, since: outage.since.toISOString() },
    };
  }

  async close(): Promise<void> {
    await closeRedis(this.commands);
    this.log.debug('Redis connection closed');
  }
}
