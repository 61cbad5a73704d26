import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ClientContext, type Redis, ReplyError, type Result } from 'ioredis';
import type { ServiceHealth } from '../../../protocol/health';
import type { Logger } from '../../log';
import type { SidecarMetrics } from '../../metrics';
import { Backoff } from '../../util/backoff';
import { withTimeout } from '../../util/withTimeout';
import {
  compareIds,
  type Relay,
  type RelayEvent,
  type RelayEventInput,
  type RelayMessage,
  type SubscribeOptions,
  type Subscription,
} from '../relay';
import { closeRedis, openRedis, RedisClient } from './redisClient';

export interface RedisRelayOptions {
  /** `MAXLEN ~` of the global stream (RUNTRAIL_RELAY_MAXLEN). */
  readonly maxLen: number;
  /** Events held here while Redis is unreachable (RUNTRAIL_RELAY_BUFFER); the oldest beyond it are dropped. */
  readonly bufferSize: number;
  /** Prefix of every key the relay writes; tests isolate themselves with their own. */
  readonly keyPrefix?: string;
  /** `MAXLEN ~` of each run's stream; by default a tenth of maxLen, at least 1,000, at most maxLen. */
  readonly runMaxLen?: number;
}

/** How long XREAD blocks before it is reissued (bounds nothing visible: close() disconnects). */
const readBlockMs = 5_000;
const readCount = 1_000;
const historyPageSize = 1_000;
/**
 * Events per script call: small enough not to stall Redis, large enough to amortise the round
 * trip. One call must not outgrow the stream's retention, or readers lose what it trims before
 * they read it (they notice and send `reset`); RUNTRAIL_RELAY_MAXLEN is at least 1,000 for that.
 */
const publishChunk = 500;
/** A run's stream outlives its last event by this long; older resumes fall back to the global stream. */
const runStreamTtlSeconds = 7 * 24 * 3600;
/** While Redis is reachable, bursts may queue up to this many times RUNTRAIL_RELAY_BUFFER. */
const burstFactor = 10;
/** How long close() lets queued events reach Redis. */
const closeDrainMs = 2_000;
/**
 * How long close() waits for an interrupted read or send to settle: ioredis never settles a
 * command it was going to re-send when the connection is closed while reconnecting.
 */
const closeSettleMs = 1_000;

/**
 * Writes one batch atomically, so concurrent sidecars cannot interleave between the two XADDs
 * and every run stream's ids stay increasing: each event goes to the global stream with an
 * auto id, then to its run's stream with that same id.
 *
 * KEYS: global stream, this publisher's last applied batch, then the run stream of each event.
 * ARGV: global MAXLEN, run MAXLEN, run stream TTL (s), batch seq, origin, then per event
 * type, runId, data, publishedAt.
 *
 * Each entry carries `prev`, the id before it in the same stream (empty if there was none).
 * A stream's first retained entry thus names the newest trimmed one (a resume from before it
 * needs `reset`), and a reader whose last id is not the next entry's `prev` missed entries.
 *
 * A batch whose reply was lost with the connection is re-sent; the publisher's last applied seq
 * makes that a no-op (-1) instead of a duplicate.
 */
const publishScript = `
local applied = redis.call('GET', KEYS[2])
if applied and tonumber(applied) >= tonumber(ARGV[4]) then return -1 end
local function newest(key)
  local top = redis.call('XREVRANGE', key, '+', '-', 'COUNT', 1)
  if top[1] then return top[1][1] end
  return ''
end
local prev = newest(KEYS[1])
local runPrev = {}
for i = 3, #KEYS do
  local a = 6 + (i - 3) * 4
  local fields = {'type', ARGV[a], 'runId', ARGV[a + 1], 'data', ARGV[a + 2], 'origin', ARGV[5], 'publishedAt', ARGV[a + 3]}
  local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'prev', prev, unpack(fields))
  prev = id
  local key = KEYS[i]
  if runPrev[key] == nil then runPrev[key] = newest(key) end
  local added = redis.pcall('XADD', key, 'MAXLEN', '~', ARGV[2], id, 'prev', runPrev[key], unpack(fields))
  if type(added) == 'string' then runPrev[key] = added end
end
for key in pairs(runPrev) do redis.call('EXPIRE', key, ARGV[3]) end
redis.call('SET', KEYS[2], ARGV[4], 'EX', 86400)
return #KEYS - 2
`;

declare module 'ioredis' {
  interface RedisCommander<Context extends ClientContext = { type: 'default' }> {
    /** publishScript: entries added, or -1 for a batch Redis already has. */
    runtrailRelayPublish(numKeys: number, ...keysAndArgs: (string | number)[]): Result<number, Context>;
  }
}

interface QueuedEvent {
  readonly type: RelayEventInput['type'];
  readonly runId: string;
  /** Serialised at publish() time: the caller may reuse its objects. */
  readonly data: string;
  /** Epoch milliseconds (sub-ms precision) when publish() was called; feeds the lag histogram. */
  readonly publishedAt: number;
}

interface Batch {
  readonly seq: number;
  readonly events: readonly QueuedEvent[];
}

interface Outage {
  code: string;
  message: string;
  since: Date;
}

/** What XINFO STREAM says about a stream's position and retention. */
interface StreamInfo {
  readonly lastGeneratedId: string;
  /** The oldest retained entry and its `prev` (undefined when written by something else). */
  readonly firstEntry: { readonly id: string; readonly prev: string | undefined } | undefined;
}

type StreamEntry = [id: string, fields: string[]];

/**
 * The Redis Streams relay (DESIGN.md "Relay"). Two connections: `client.commands` publishes and
 * reads history; `reader` does nothing but XREAD BLOCK on the global stream, from the id it last
 * saw, and fans events out to this sidecar's subscribers (filtering by run in process). Every
 * sidecar on the same Redis reads the same global stream, so all of them see every event.
 * Needs Redis 6.2 or later (exclusive XRANGE starts).
 */
export class RedisRelay implements Relay {
  readonly kind = 'redis';
  /** The command connection and its probe; GET /api/health/redis reports on it. */
  readonly client: RedisClient;
  private readonly commands: Redis;
  private readonly reader: Redis;
  private readonly globalKey: string;
  private readonly runKeyPrefix: string;
  private readonly originKey: string;
  private readonly origin = randomUUID();
  private readonly runMaxLen: number;
  private readonly lifetime = new AbortController();
  private readonly watchers = new Set<Watcher>();
  private closing = false;
  private closed: Promise<void> | undefined;

  private readonly queue: QueuedEvent[] = [];
  /** Taken off the queue and sent, not yet acknowledged: re-sent as is after a lost connection. */
  private inFlight: Batch | undefined;
  private batchSeq = 0;
  private pumping: Promise<void> | undefined;

  /** Resolves once the reader's start position is known; publishing waits for it (see resolveStart). */
  private readonly started: Promise<void>;
  /** Settles once each connection has either connected or failed for the first time. */
  private readonly firstAttempts: Promise<unknown>;
  private readonly reading: Promise<void>;
  /** Id of the newest global entry the reader has fanned out. */
  private cursor: string | undefined;
  private readerOutage: Outage | undefined;
  /** Why subscribers were told `paused`, while the reader is disconnected. */
  private pausedBecause: string | undefined;
  /** One pending wait per connection, however many loops and replays wait for it. */
  private readonly readyWaits = new Map<Redis, Promise<void>>();

  constructor(
    url: string,
    private readonly options: RedisRelayOptions,
    private readonly log: Logger,
    private readonly metrics: SidecarMetrics,
  ) {
    const prefix = options.keyPrefix ?? 'runtrail';
    this.globalKey = `${prefix}:events`;
    this.runKeyPrefix = `${prefix}:run:`;
    this.originKey = `${prefix}:origin:${this.origin}`;
    this.runMaxLen = options.runMaxLen ?? Math.min(options.maxLen, Math.max(1_000, Math.ceil(options.maxLen / 10)));
    this.client = new RedisClient(url, log, metrics);
    this.commands = this.client.commands;
    this.commands.defineCommand('runtrailRelayPublish', { lua: publishScript });
    this.commands.on('ready', this.onCommandsReady);
    this.reader = openRedis(url, 'reader', log, metrics, (outage) => this.onReaderOutage(outage));
    this.firstAttempts = Promise.all([firstAttempt(this.commands), firstAttempt(this.reader)]);
    this.started = this.resolveStart();
    this.reading = this.readLoop();
  }

  publish(events: readonly RelayEventInput[]): void {
    if (events.length === 0) return;
    if (this.closing) {
      this.metrics.relayDropped.inc({ reason: 'closed' }, events.length);
      return;
    }
    const publishedAt = performance.timeOrigin + performance.now();
    for (const { type, runId, data } of events) {
      let text: string;
      try {
        text = JSON.stringify(data ?? null);
      } catch (error) {
        this.metrics.relayDropped.inc({ reason: 'unserializable' });
        this.log.error({ runId, type, err: (error as Error).message }, 'relay event is not JSON-serialisable; dropped');
        continue;
      }
      this.queue.push({ type, runId, data: text, publishedAt });
    }
    this.bound();
    this.pump();
  }

  subscribe(options: SubscribeOptions, listener: (message: RelayMessage) => void): Subscription {
    if (this.closing) return { close() {} };
    const watcher = new Watcher(options.runId, options.lastId, listener, this.log);
    this.watchers.add(watcher);
    if (this.pausedBecause !== undefined) watcher.send({ type: 'paused', reason: this.pausedBecause });
    if (options.lastId !== undefined) {
      void this.replay(watcher, options.lastId).catch((error: Error) => {
        this.log.error({ err: error.message }, 'relay history replay failed');
        watcher.goLive();
      });
    }
    return {
      close: () => {
        watcher.closed = true;
        this.watchers.delete(watcher);
      },
    };
  }

  /** Number of live subscriptions (tests check for leaks with it). */
  get subscriberCount(): number {
    return this.watchers.size;
  }

  /**
   * `ok` only when both connections work: publishing needs one, live events the other. Right
   * after start-up it waits (up to `timeoutMs`) for the first connection attempts: still
   * connecting is not an outage.
   */
  async check(timeoutMs = 3_000): Promise<ServiceHealth> {
    await withTimeout(this.firstAttempts, timeoutMs, 'first connection').catch(() => {});
    const health = await this.client.check(timeoutMs);
    if (health.status !== 'ok' || this.reader.status === 'ready') return health;
    const outage = this.readerOutage ?? { code: this.reader.status, message: `connection is ${this.reader.status}`, since: new Date() };
    return {
      service: 'redis',
      status: 'unavailable',
      message: `Cannot reach Redis at ${this.client.target} (stream reader): ${outage.message}`,
      target: this.client.target,
      error: { code: outage.code, message: outage.message, since: outage.since.toISOString() },
    };
  }

  /** Lets queued events reach Redis for up to 2 s, then closes both connections. Idempotent. */
  close(): Promise<void> {
    this.closed ??= this.shutDown();
    return this.closed;
  }

  private async shutDown(): Promise<void> {
    this.closing = true;
    if (this.canSend() && (this.queue.length > 0 || this.inFlight !== undefined)) {
      await withTimeout(this.drained(), closeDrainMs, 'relay drain').catch(() => {});
    }
    this.lifetime.abort();
    for (const watcher of this.watchers) watcher.closed = true;
    this.watchers.clear();
    const unsent = this.queue.length + (this.inFlight?.events.length ?? 0);
    if (unsent > 0) {
      this.metrics.relayDropped.inc({ reason: 'closed' }, unsent);
      this.log.warn({ events: unsent }, 'relay closed with events not yet written to Redis');
    }
    this.queue.length = 0;
    this.inFlight = undefined;
    this.metrics.relayBuffered.set(0);
    this.commands.off('ready', this.onCommandsReady);
    await closeRedis(this.reader, 'disconnect');
    await this.client.close();
    const settled = Promise.allSettled([this.reading, this.pumping]);
    await withTimeout(settled, closeSettleMs, 'relay loops').catch(() => {});
  }

  private async drained(): Promise<void> {
    while (this.pumping !== undefined && this.canSend()) await this.pumping;
  }

  // Publishing: one chain per relay, so this sidecar's events reach Redis in publish order.

  private readonly onCommandsReady = () => this.pump();

  private pump(): void {
    if (this.pumping !== undefined) return;
    this.pumping = this.drain().finally(() => {
      this.pumping = undefined;
      // The connection may have come back while the last send was failing.
      if (this.canSend() && (this.queue.length > 0 || this.inFlight !== undefined)) this.pump();
    });
  }

  private async drain(): Promise<void> {
    await this.started;
    // Stops when the connection is gone: what is queued then is bounded and waits for 'ready'.
    while (this.canSend()) {
      let batch = this.inFlight;
      if (batch === undefined) {
        if (this.queue.length === 0) return;
        batch = { seq: ++this.batchSeq, events: this.queue.splice(0, publishChunk) };
        this.inFlight = batch;
      }
      try {
        await this.send(batch);
        this.metrics.relayPublished.inc(batch.events.length);
      } catch (error) {
        if (!(error instanceof ReplyError)) {
          // The connection went away mid-send: `inFlight` is re-sent once it is back.
          if (this.canSend()) await this.wait(250);
          this.bound();
          return;
        }
        this.metrics.relayDropped.inc({ reason: 'rejected' }, batch.events.length);
        this.log.error({ events: batch.events.length, err: (error as Error).message }, 'Redis refused relay events; dropped');
      }
      this.inFlight = undefined;
      this.updateBuffered();
    }
  }

  /**
   * Drops the oldest queued events beyond `bufferSize` while Redis is unreachable. While it is
   * reachable a burst may queue up to burstFactor times that (a hung Redis must not exhaust memory).
   */
  private bound(): void {
    const limit = this.options.bufferSize * (this.canSend() ? burstFactor : 1);
    const overflow = this.queue.length - limit;
    if (overflow > 0) {
      this.queue.splice(0, overflow);
      this.metrics.relayDropped.inc({ reason: 'buffer_full' }, overflow);
    }
    this.updateBuffered();
  }

  /**
   * ioredis stays `ready` until the socket's close event, after Redis has already hung up:
   * a socket that cannot be written counts as down, so the outage bound applies at once.
   */
  private canSend(): boolean {
    return this.commands.status === 'ready' && this.commands.stream?.writable === true;
  }

  private updateBuffered(): void {
    this.metrics.relayBuffered.set(this.queue.length + (this.inFlight?.events.length ?? 0));
  }

  private send(batch: Batch): Promise<number> {
    const keys = [this.globalKey, this.originKey, ...batch.events.map((event) => this.runKey(event.runId))];
    const args: (string | number)[] = [this.options.maxLen, this.runMaxLen, runStreamTtlSeconds, batch.seq, this.origin];
    for (const event of batch.events) args.push(event.type, event.runId, event.data, event.publishedAt.toFixed(3));
    return this.commands.runtrailRelayPublish(keys.length, ...keys, ...args);
  }

  // Reading.

  /**
   * Pins the reader's start to the newest id already in the global stream ("live from now").
   * XREAD with `$` would lose events published between two reads; and publishing waits for
   * this, so an event published after subscribe() is never taken for history.
   */
  private async resolveStart(): Promise<void> {
    const backoff = new Backoff({ initialMs: 100, maxMs: 5_000 });
    while (!this.lifetime.signal.aborted) {
      await this.whenReady(this.commands);
      if (this.lifetime.signal.aborted) return;
      try {
        this.cursor = (await this.streamInfo(this.globalKey))?.lastGeneratedId ?? '0-0';
        return;
      } catch (error) {
        if (this.commands.status === 'ready') {
          this.log.warn({ key: this.globalKey, err: (error as Error).message }, 'cannot read the relay stream position; retrying');
          await this.wait(backoff.next());
        }
      }
    }
  }

  private async readLoop(): Promise<void> {
    await this.started;
    const backoff = new Backoff({ initialMs: 100, maxMs: 5_000 });
    while (!this.lifetime.signal.aborted) {
      await this.whenReady(this.reader);
      if (this.lifetime.signal.aborted) return;
      try {
        const reply = await this.reader.xread('COUNT', readCount, 'BLOCK', readBlockMs, 'STREAMS', this.globalKey, this.cursor ?? '0-0');
        backoff.reset();
        for (const [, entries] of reply ?? []) this.fanOut(entries as StreamEntry[]);
      } catch (error) {
        if (this.lifetime.signal.aborted) return;
        // A lost connection is reported by openRedis (→ `paused`) and waited for at the loop's top;
        // anything else (e.g. the key holds another type) must not spin.
        if (this.reader.status === 'ready') {
          this.metrics.redisErrors.inc({ code: (error as { code?: string }).code ?? 'unknown' });
          this.log.warn({ key: this.globalKey, err: (error as Error).message }, 'relay stream read failed; retrying');
          await this.wait(backoff.next());
        }
      }
    }
  }

  private fanOut(entries: readonly StreamEntry[]): void {
    const now = performance.timeOrigin + performance.now();
    for (const [id, fields] of entries) {
      const entry = parseEntry(id, fields);
      const previous = this.cursor;
      this.cursor = id;
      if (entry === undefined) continue;
      if (entry.prev && previous !== undefined && entry.prev !== previous) {
        const reason = `events before ${id} were trimmed from the stream before this sidecar read them (the relay keeps about ${this.options.maxLen})`;
        this.log.warn({ key: this.globalKey, after: previous, before: id }, 'relay reader fell behind the retained history');
        for (const watcher of this.watchers) watcher.send({ type: 'reset', reason });
      }
      if (entry.origin === this.origin && entry.publishedAt !== undefined) {
        this.metrics.relayLag.observe(Math.max(0, now - entry.publishedAt) / 1000);
      }
      for (const watcher of this.watchers) {
        if (watcher.runId === undefined || watcher.runId === entry.event.runId) watcher.live(entry.event);
      }
    }
  }

  /**
   * The reader's outages become `paused` / `resumed`. Reading continues from the last id seen;
   * if other sidecars published so much meanwhile that it was trimmed, fanOut() sends `reset`.
   */
  private onReaderOutage(outage: Outage | undefined): void {
    this.readerOutage = outage;
    if (this.closing) return;
    if (outage !== undefined) {
      if (this.pausedBecause !== undefined) return;
      const reason = `Cannot reach Redis at ${this.client.target}: ${outage.message}`;
      this.pausedBecause = reason;
      for (const watcher of this.watchers) watcher.send({ type: 'paused', reason });
      return;
    }
    if (this.pausedBecause === undefined) return;
    // Sent on 'ready', before ioredis re-sends an interrupted XREAD, so no event can precede it.
    this.pausedBecause = undefined;
    for (const watcher of this.watchers) watcher.send({ type: 'resumed' });
  }

  /**
   * Delivers what the stream retains after `lastId`, page by page, then hands the watcher over to
   * the live events it buffered meanwhile (skipping those the history already covered). A run's
   * stream that has expired, never existed or began after `lastId` is answered from the global
   * stream, filtered.
   */
  private async replay(watcher: Watcher, lastId: string): Promise<void> {
    let key = watcher.runId === undefined ? this.globalKey : this.runKey(watcher.runId);
    let filter = false;
    let cursor = lastId;
    let knownId = false;
    while (!watcher.closed && !this.lifetime.signal.aborted) {
      await this.whenReady(this.commands);
      if (watcher.closed || this.lifetime.signal.aborted) return;
      let page: { info: StreamInfo | undefined; entries: StreamEntry[] };
      try {
        if (!knownId) {
          const unknown = unknownId(lastId, await this.streamInfo(this.globalKey));
          if (unknown !== undefined) {
            watcher.send({ type: 'reset', reason: unknown });
            break;
          }
          knownId = true;
        }
        page = await this.readPage(key, cursor);
      } catch (error) {
        if (error instanceof ReplyError) {
          watcher.send({ type: 'reset', reason: `cannot resume after ${lastId}: ${(error as Error).message}` });
          break;
        }
        // Connection lost: retried from `cursor` once it is back.
        if (this.commands.status === 'ready') await this.wait(250);
        continue;
      }
      if (page.info === undefined) {
        if (key === this.globalKey) {
          watcher.notAfter('0-0');
          break;
        }
        key = this.globalKey;
        filter = true;
        continue;
      }
      const first = page.info.firstEntry;
      if (key !== this.globalKey && first?.prev === '' && compareIds(cursor, first.id) < 0) {
        // The run's stream began after the resume point: it may have expired and been created
        // again by a newer event, so only the global stream can say what came in between.
        key = this.globalKey;
        filter = true;
        continue;
      }
      watcher.notAfter(page.info.lastGeneratedId);
      if (trimmedAfter(cursor, page.info)) {
        watcher.send({
          type: 'reset',
          reason: `events after ${cursor} are no longer retained (the relay keeps about ${key === this.globalKey ? this.options.maxLen : this.runMaxLen})`,
        });
        break;
      }
      for (const [id, fields] of page.entries) {
        cursor = id;
        const entry = parseEntry(id, fields);
        if (entry !== undefined && (!filter || entry.event.runId === watcher.runId)) watcher.history(entry.event);
      }
      if (page.entries.length < historyPageSize || watcher.bufferedFrom(cursor)) break;
    }
    watcher.goLive();
  }

  /** Retention and the next page, in one MULTI so trimming cannot slip between them. */
  private async readPage(key: string, after: string): Promise<{ info: StreamInfo | undefined; entries: StreamEntry[] }> {
    const replies = await this.commands.multi().xinfo('STREAM', key).xrange(key, `(${after}`, '+', 'COUNT', historyPageSize).exec();
    const [infoReply, rangeReply] = replies ?? [];
    if (rangeReply?.[0]) throw rangeReply[0];
    if (infoReply?.[0]) {
      if (/no such key/i.test(infoReply[0].message)) return { info: undefined, entries: [] };
      throw infoReply[0];
    }
    return { info: parseStreamInfo(infoReply?.[1]), entries: (rangeReply?.[1] ?? []) as StreamEntry[] };
  }

  private async streamInfo(key: string): Promise<StreamInfo | undefined> {
    try {
      return parseStreamInfo(await this.commands.xinfo('STREAM', key));
    } catch (error) {
      if (error instanceof ReplyError && /no such key/i.test((error as Error).message)) return undefined;
      throw error;
    }
  }

  private runKey(runId: string): string {
    return `${this.runKeyPrefix}${runId}`;
  }

  /** Resolves when `redis` is ready or the relay closes; never rejects. */
  private whenReady(redis: Redis): Promise<void> {
    const signal = this.lifetime.signal;
    if (redis.status === 'ready' || signal.aborted) return Promise.resolve();
    let wait = this.readyWaits.get(redis);
    if (wait === undefined) {
      wait = new Promise<void>((resolve) => {
        const done = () => {
          redis.off('ready', done);
          signal.removeEventListener('abort', done);
          this.readyWaits.delete(redis);
          resolve();
        };
        redis.on('ready', done);
        signal.addEventListener('abort', done);
      });
      this.readyWaits.set(redis, wait);
    }
    return wait;
  }

  /** A pause that close() cuts short. */
  private wait(ms: number): Promise<void> {
    return sleep(ms, undefined, { signal: this.lifetime.signal }).catch(() => {});
  }
}

/**
 * One subscription. While its history is read, live events for it are buffered; afterwards only
 * events newer than the last one delivered pass, so the hand-over has no gap and no duplicate.
 */
class Watcher {
  closed = false;
  private pending: RelayEvent[] | undefined;
  /** Newest id delivered (or the client's lastId); older events are not delivered again. */
  private through: string | undefined;

  constructor(
    readonly runId: string | undefined,
    lastId: string | undefined,
    private readonly listener: (message: RelayMessage) => void,
    private readonly log: Logger,
  ) {
    this.through = lastId;
    if (lastId !== undefined) this.pending = [];
  }

  send(message: RelayMessage): void {
    if (this.closed) return;
    try {
      this.listener(message);
    } catch (error) {
      // The port forbids throwing listeners; one that does must not stall the reader for everyone.
      this.log.error({ err: (error as Error).message }, 'relay listener threw');
    }
  }

  live(event: RelayEvent): void {
    if (this.pending !== undefined) this.pending.push(event);
    else this.deliver(event);
  }

  history(event: RelayEvent): void {
    this.deliver(event);
  }

  /**
   * A lastId newer than anything the stream ever held did not come from it (another Redis, a
   * typo): like the in-process relay, live events then flow instead of waiting to pass it.
   */
  notAfter(newest: string): void {
    if (this.through !== undefined && compareIds(this.through, newest) > 0) this.through = newest;
  }

  /** True when the live buffer already starts at or before `id`: the rest of the history is in it. */
  bufferedFrom(id: string): boolean {
    const first = this.pending?.[0];
    return first !== undefined && compareIds(first.id, id) <= 0;
  }

  goLive(): void {
    const pending = this.pending ?? [];
    this.pending = undefined;
    for (const event of pending) this.deliver(event);
  }

  private deliver(event: RelayEvent): void {
    if (this.through !== undefined && compareIds(event.id, this.through) <= 0) return;
    this.through = event.id;
    this.send({ type: 'event', event });
  }
}

function firstAttempt(redis: Redis): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      for (const event of ['ready', 'error', 'close']) redis.off(event, done);
      resolve();
    };
    for (const event of ['ready', 'error', 'close']) redis.on(event, done);
  });
}

interface ParsedEntry {
  readonly event: RelayEvent;
  readonly origin: string | undefined;
  readonly publishedAt: number | undefined;
  readonly prev: string | undefined;
}

function parseEntry(id: string, fields: readonly string[]): ParsedEntry | undefined {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i] as string, fields[i + 1] as string);
  const type = map.get('type');
  const runId = map.get('runId');
  if ((type !== 'node' && type !== 'run') || runId === undefined) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(map.get('data') ?? 'null');
  } catch {
    return undefined;
  }
  const publishedAt = Number(map.get('publishedAt'));
  return {
    event: { id, type, runId, data },
    origin: map.get('origin'),
    publishedAt: Number.isFinite(publishedAt) ? publishedAt : undefined,
    prev: map.get('prev'),
  };
}

function parseStreamInfo(reply: unknown): StreamInfo | undefined {
  if (!Array.isArray(reply)) return undefined;
  const info = fieldMap(reply);
  const first = info.get('first-entry');
  const [id, fields] = Array.isArray(first) ? first : [];
  return {
    lastGeneratedId: String(info.get('last-generated-id') ?? '0-0'),
    firstEntry:
      typeof id === 'string'
        ? { id, prev: Array.isArray(fields) ? (fieldMap(fields).get('prev') as string | undefined) : undefined }
        : undefined,
  };
}

function fieldMap(flat: readonly unknown[]): Map<string, unknown> {
  const map = new Map<string, unknown>();
  for (let i = 0; i + 1 < flat.length; i += 2) map.set(String(flat[i]), flat[i + 1]);
  return map;
}

/**
 * Why `lastId` cannot have come from this global stream, or undefined when it can: the stream is
 * gone, began after it, or has not reached it yet. That happens when Redis restarted without
 * persistence (or was flushed): the client's events since then are unknown, so it must reload.
 * `0-0` ("from the beginning") always fits.
 */
function unknownId(lastId: string, global: StreamInfo | undefined): string | undefined {
  if (lastId === '0-0') return undefined;
  const lost = `${lastId} is not from this Redis stream (was Redis restarted or flushed?): its events since then are unknown here`;
  if (global === undefined) return lost;
  if (compareIds(lastId, global.lastGeneratedId) > 0) return lost;
  const first = global.firstEntry;
  if (first !== undefined && first.prev === '' && compareIds(lastId, first.id) < 0) return lost;
  return undefined;
}

/**
 * Whether entries newer than `cursor` were trimmed away: the first retained entry is newer and so
 * is the one before it. Without `prev` (entries written by something else) a cursor older than
 * the first entry is assumed trimmed, except `0-0`, "from the beginning".
 */
function trimmedAfter(cursor: string, info: StreamInfo): boolean {
  const first = info.firstEntry;
  if (first === undefined || compareIds(first.id, cursor) <= 0) return false;
  if (first.prev === undefined) return cursor !== '0-0';
  return first.prev !== '' && compareIds(first.prev, cursor) > 0;
}
