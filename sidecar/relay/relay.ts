import type { ServiceHealth } from '../../protocol/health';

/**
 * The relay port (DESIGN.md "Relay"): every committed upsert is published once and reaches every
 * watcher, in order, with an id a watcher can resume from. Implemented in-process
 * (`memory/memoryRelay.ts`, the default) and on Redis Streams (`redis/redisRelay.ts`), both
 * checked by one conformance suite (test/integration/relay/).
 *
 * Ids are Redis stream ids (`<ms>-<seq>`), in both implementations, so they compare the same way
 * and a client never needs to know which relay it talks to.
 */
export interface Relay {
  readonly kind: 'redis' | 'memory';

  /**
   * Publishes events after their commit. Never throws and never waits on a down Redis: events
   * that cannot be sent are kept in a bounded buffer and sent when the relay recovers (beyond
   * the bound they are dropped and counted).
   */
  publish(events: readonly RelayEventInput[]): void;

  /**
   * Delivers the retained events after `lastId` (exclusive; none when `lastId` is undefined), for
   * one run or for all, then live events as they are published, in publish order, each once.
   * When `lastId` is older than the retained history the listener first gets `reset` (the client
   * reloads its state), then the live events. Listeners are called synchronously and must not
   * throw.
   */
  subscribe(options: SubscribeOptions, listener: (message: RelayMessage) => void): Subscription;

  check(): Promise<ServiceHealth>;
  close(): Promise<void>;
}

export interface RelayEventInput {
  /** `node` for a node upsert, `run` for a run created/finished/deleted. */
  readonly type: 'node' | 'run';
  readonly runId: string;
  /** JSON-serialisable payload as the client should see it. */
  readonly data: unknown;
}

export interface RelayEvent extends RelayEventInput {
  readonly id: string;
}

export interface SubscribeOptions {
  readonly runId?: string;
  readonly lastId?: string;
}

export type RelayMessage =
  | { readonly type: 'event'; readonly event: RelayEvent }
  /** History since `lastId` was trimmed away: reload state, then follow the live events. */
  | { readonly type: 'reset'; readonly reason: string }
  /** Live updates stopped (Redis unreachable); events resume, without gaps, after `resumed`. */
  | { readonly type: 'paused'; readonly reason: string }
  | { readonly type: 'resumed' };

export interface Subscription {
  close(): void;
}

/** Compares stream ids (`ms-seq`) numerically; negative when a is older than b. */
export function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am - bm || as - bs;
}

/** A valid stream id from a client (Last-Event-ID), or undefined. */
export function parseEventId(value: string | undefined): string | undefined {
  return value !== undefined && /^\d{1,16}-\d{1,16}$/.test(value) ? value : undefined;
}
