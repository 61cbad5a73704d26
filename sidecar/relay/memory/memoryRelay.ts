import type { ServiceHealth } from '../../../protocol/health';
import {
  compareIds,
  type Relay,
  type RelayEvent,
  type RelayEventInput,
  type RelayMessage,
  type SubscribeOptions,
  type Subscription,
} from '../relay';

/**
 * The in-process relay (no REDIS_URL): a ring buffer of the last `capacity` events with Redis-
 * style ids (`<ms>-<seq>`, strictly increasing), so resume and `reset` behave exactly as on Redis.
 */
export class MemoryRelay implements Relay {
  readonly kind = 'memory';
  private readonly ring: RelayEvent[] = [];
  private readonly listeners = new Set<{ runId: string | undefined; listener: (message: RelayMessage) => void }>();
  private lastMs = 0;
  private lastSeq = 0;
  /** Id of the newest event trimmed out of the ring; resuming from before it needs a reset. */
  private trimmedThrough: string | undefined;
  /**
   * Ids this relay can issue start here: an older Last-Event-ID was issued before this process
   * started (a sidecar restart), and what happened between is unknown to it.
   */
  private readonly bornAt = `${Date.now()}-0`;

  constructor(private readonly capacity = 10_000) {}

  publish(events: readonly RelayEventInput[]): void {
    for (const input of events) {
      const event: RelayEvent = { ...input, id: this.nextId() };
      this.ring.push(event);
      if (this.ring.length > this.capacity) this.trimmedThrough = (this.ring.shift() as RelayEvent).id;
      for (const { runId, listener } of this.listeners) {
        if (runId === undefined || runId === event.runId) deliver(listener, { type: 'event', event });
      }
    }
  }

  subscribe(options: SubscribeOptions, listener: (message: RelayMessage) => void): Subscription {
    const { runId, lastId } = options;
    if (lastId !== undefined) {
      const newest = this.ring.at(-1)?.id ?? this.bornAt;
      // `0-0` means "from the beginning" (as on Redis): everything still retained.
      if (lastId !== '0-0' && (compareIds(lastId, this.bornAt) < 0 || compareIds(lastId, newest) > 0)) {
        listener({ type: 'reset', reason: `${lastId} was issued before the sidecar restarted: its events since then are unknown here` });
      } else if (this.trimmedThrough !== undefined && compareIds(lastId, this.trimmedThrough) < 0) {
        listener({ type: 'reset', reason: `events after ${lastId} are no longer retained (the relay keeps the last ${this.capacity})` });
      } else {
        for (const event of this.ring) {
          if (compareIds(event.id, lastId) > 0 && (runId === undefined || runId === event.runId)) listener({ type: 'event', event });
        }
      }
    }
    const entry = { runId, listener };
    this.listeners.add(entry);
    return { close: () => this.listeners.delete(entry) };
  }

  /** Number of live subscriptions (tests check for leaks with it). */
  get subscriberCount(): number {
    return this.listeners.size;
  }

  async check(): Promise<ServiceHealth> {
    return { service: 'memory', status: 'ok', message: 'In-process relay (REDIS_URL is not set)' };
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }

  private nextId(): string {
    const now = Date.now();
    if (now > this.lastMs) {
      this.lastMs = now;
      this.lastSeq = 0;
    } else {
      this.lastSeq++;
    }
    return `${this.lastMs}-${this.lastSeq}`;
  }
}

/** Publish never throws (the port's contract): a listener that does only loses its own message. */
function deliver(listener: (message: RelayMessage) => void, message: RelayMessage): void {
  try {
    listener(message);
  } catch {
    // The SSE route's listener only writes to its socket; there is nothing to recover here.
  }
}
