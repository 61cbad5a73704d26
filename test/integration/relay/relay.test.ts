import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { LogLevel } from '../../../sidecar/config';
import { createLogger } from '../../../sidecar/log';
import { SidecarMetrics } from '../../../sidecar/metrics';
import { MemoryRelay } from '../../../sidecar/relay/memory/memoryRelay';
import { RedisRelay } from '../../../sidecar/relay/redis/redisRelay';
import {
  compareIds,
  type Relay,
  type RelayEvent,
  type RelayEventInput,
  type RelayMessage,
  type SubscribeOptions,
} from '../../../sidecar/relay/relay';
import { controllableRedis, redisUrl } from '../../fixtures/services/testServices';
import { eventually } from '../../fixtures/sidecarApp';

/**
 * The Relay conformance suite: every behaviour a watcher could notice, checked on the in-process
 * relay and on Redis Streams (real Redis), then what only Redis has: several sidecars on one
 * Redis (team mode) and Redis going away.
 */

const relayKinds = ['memory', 'redis'] as const;
type RelayKind = (typeof relayKinds)[number];
type RelayUnderTest = Relay & { readonly subscriberCount: number };

const log = createLogger((process.env.RUNTRAIL_TEST_LOG as LogLevel | undefined) ?? 'silent', process.stderr);
const keyPrefixes: string[] = [];

interface OpenOptions {
  /** MemoryRelay capacity / Redis MAXLEN. */
  readonly retain?: number;
  readonly bufferSize?: number;
  readonly url?: string;
  /** Share one prefix between relays to put them on the same streams (team mode). */
  readonly keyPrefix?: string;
  readonly metrics?: SidecarMetrics;
}

class RelayFixture {
  private readonly relays: RelayUnderTest[] = [];

  async open(kind: RelayKind, options: OpenOptions = {}): Promise<RelayUnderTest> {
    const relay =
      kind === 'memory'
        ? new MemoryRelay(options.retain ?? 10_000)
        : new RedisRelay(
            options.url ?? (await redisUrl()),
            { maxLen: options.retain ?? 100_000, bufferSize: options.bufferSize ?? 10_000, keyPrefix: options.keyPrefix ?? newKeyPrefix() },
            log,
            options.metrics ?? new SidecarMetrics(),
          );
    this.relays.push(relay);
    return relay;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.relays.splice(0).map((relay) => relay.close()));
  }
}

function newKeyPrefix(): string {
  const prefix = `runtrail-test-${randomUUID()}`;
  keyPrefixes.push(prefix);
  return prefix;
}

async function deleteKeys(...prefixes: string[]): Promise<void> {
  const redis = new Redis(await redisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    for (const prefix of prefixes) {
      const keys: string[] = [];
      for await (const batch of redis.scanStream({ match: `${prefix}:*`, count: 1_000 })) keys.push(...(batch as string[]));
      if (keys.length > 0) await redis.del(...keys);
    }
  } finally {
    redis.disconnect();
  }
}

/** Collects what one subscription receives; tests wait on it without fixed sleeps. */
class Inbox {
  readonly messages: RelayMessage[] = [];
  private wake: (() => void) | undefined;

  readonly listener = (message: RelayMessage): void => {
    this.messages.push(message);
    this.wake?.();
  };

  get events(): RelayEvent[] {
    return this.messages.flatMap((m) => (m.type === 'event' ? [m.event] : []));
  }

  /** `seq` of the node events, in arrival order. */
  seqs(): number[] {
    return this.events.filter((e) => e.type === 'node').map((e) => (e.data as { seq: number }).seq);
  }

  types(): string[] {
    return this.messages.map((m) => (m.type === 'event' ? `${m.event.type}:${(m.event.data as { seq?: number }).seq ?? '-'}` : m.type));
  }

  async until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `${what} not seen within ${timeoutMs} ms; got ${this.messages.length} messages: ${this.types().slice(-20).join(' ')}`,
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          this.wake = undefined;
          resolve();
        };
      });
    }
  }
}

function subscribe(relay: Relay, options: SubscribeOptions): Inbox & { close(): void } {
  const inbox = new Inbox();
  const subscription = relay.subscribe(options, inbox.listener);
  return Object.assign(inbox, { close: () => subscription.close() });
}

const nodeEvent = (runId: string, seq: number): RelayEventInput => ({ type: 'node', runId, data: { id: `${runId}.n${seq}`, seq } });
const nodeEvents = (runId: string, from: number, count: number) => Array.from({ length: count }, (_, i) => nodeEvent(runId, from + i));
const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

/**
 * Publishes a marker event on `runId` and waits until every inbox has it: everything published
 * before has then arrived (one publisher keeps order), so "nothing more" can be asserted.
 */
async function settle(relay: Relay, runId: string, ...inboxes: Inbox[]): Promise<void> {
  const marker = randomUUID();
  relay.publish([{ type: 'run', runId, data: { marker } }]);
  const seen = (inbox: Inbox) => inbox.events.some((e) => (e.data as { marker?: string }).marker === marker);
  await Promise.all(inboxes.map((inbox) => inbox.until(() => seen(inbox), `marker on ${runId}`)));
}

function assertIncreasingIds(events: readonly RelayEvent[]): void {
  for (let i = 1; i < events.length; i++) {
    const [previous, current] = [events[i - 1] as RelayEvent, events[i] as RelayEvent];
    assert.ok(compareIds(current.id, previous.id) > 0, `id ${current.id} after ${previous.id} at ${i}`);
    assert.match(current.id, /^\d+-\d+$/);
  }
}

async function counterValue(metrics: SidecarMetrics, name: 'relayDropped' | 'relayPublished', reason?: string): Promise<number> {
  const { values } = await metrics[name].get();
  return values.filter((v) => reason === undefined || v.labels.reason === reason).reduce((sum, v) => sum + v.value, 0);
}

for (const kind of relayKinds) {
  describe(`Relay conformance: ${kind} relay`, function () {
    this.timeout(30_000);
    const fixture = new RelayFixture();
    afterEach(() => fixture.closeAll());

    it('delivers 1,000 events published in 10 batches in publish order, each once, with increasing ids', async () => {
      const relay = await fixture.open(kind);
      const runId = randomUUID();
      const inbox = subscribe(relay, { runId });
      for (let batch = 0; batch < 10; batch++) relay.publish(nodeEvents(runId, batch * 100, 100));
      await settle(relay, runId, inbox);
      assert.deepEqual(inbox.seqs(), range(0, 1_000));
      assertIncreasingIds(inbox.events);
      assert.ok(inbox.events.every((e) => e.runId === runId));
      assert.deepEqual(inbox.events[0]?.data, { id: `${runId}.n0`, seq: 0 });
    });

    it("gives a run's subscribers only that run's events, and an unfiltered subscriber every event in publish order", async () => {
      const relay = await fixture.open(kind);
      const [a, b] = [randomUUID(), randomUUID()];
      const [onA, onB, onAll] = [subscribe(relay, { runId: a }), subscribe(relay, { runId: b }), subscribe(relay, {})];
      for (let i = 0; i < 20; i += 2) relay.publish([nodeEvent(a, i), nodeEvent(b, i + 1)]);
      await settle(relay, a, onA, onAll);
      await settle(relay, b, onB);
      assert.deepEqual(
        onA.seqs(),
        range(0, 10).map((i) => i * 2),
      );
      assert.deepEqual(
        onB.seqs(),
        range(0, 10).map((i) => i * 2 + 1),
      );
      assert.ok(onA.events.every((e) => e.runId === a) && onB.events.every((e) => e.runId === b));
      assert.deepEqual(onAll.seqs(), range(0, 20));
      assertIncreasingIds(onAll.events);
    });

    it('resumes after lastId with exactly the missed events, then the live ones, without a reset', async () => {
      const relay = await fixture.open(kind);
      const runId = randomUUID();
      const first = subscribe(relay, { runId });
      relay.publish(nodeEvents(runId, 0, 5));
      await first.until(() => first.events.length === 5, 'five events');
      const lastSeen = first.events[2]?.id as string;
      first.close();
      relay.publish(nodeEvents(runId, 5, 5));

      const resumedRun = subscribe(relay, { runId, lastId: lastSeen });
      const resumedAll = subscribe(relay, { lastId: lastSeen });
      // Published while the history is still being read: must follow it without gap or repeat.
      relay.publish(nodeEvents(runId, 10, 3));
      await settle(relay, runId, resumedRun, resumedAll);
      for (const inbox of [resumedRun, resumedAll]) {
        assert.deepEqual(inbox.seqs(), range(3, 10));
        assert.ok(!inbox.messages.some((m) => m.type !== 'event'), inbox.types().join(' '));
        assertIncreasingIds(inbox.events);
        assert.ok(compareIds(inbox.events[0]?.id ?? '', lastSeen) > 0);
      }
      assert.deepEqual(
        resumedRun.events.slice(0, 2).map((e) => e.id),
        first.events.slice(3, 5).map((e) => e.id),
        'the same ids as first delivered',
      );
    });

    it('sends reset when lastId is older than the retained history, then follows live events', async () => {
      const relay = await fixture.open(kind, { retain: 10 });
      const runId = randomUUID();
      const live = subscribe(relay, { runId });
      relay.publish([nodeEvent(runId, 0)]);
      await live.until(() => live.events.length === 1, 'the first event');
      const oldest = live.events[0]?.id as string;
      relay.publish(nodeEvents(runId, 1, 298));
      await settle(relay, runId, live);
      const recent = live.events.find((e) => (e.data as { seq?: number }).seq === 298)?.id as string;
      assert.ok(recent, 'the newest event arrives live');

      const trimmedRun = subscribe(relay, { runId, lastId: oldest });
      const trimmedAll = subscribe(relay, { lastId: oldest });
      const retained = subscribe(relay, { runId, lastId: recent });
      relay.publish([nodeEvent(runId, 299)]);
      await settle(relay, runId, trimmedRun, trimmedAll, retained);
      for (const inbox of [trimmedRun, trimmedAll]) {
        assert.equal(inbox.messages[0]?.type, 'reset', inbox.types().join(' '));
        assert.match((inbox.messages[0] as { reason: string }).reason, /no longer retained/);
        assert.deepEqual(inbox.seqs(), [299], 'after a reset, only live events');
      }
      assert.deepEqual(retained.seqs(), [299], 'a lastId still retained resumes normally');
      assert.ok(!retained.messages.some((m) => m.type === 'reset'));
    });

    it('sends reset for a Last-Event-ID issued before a restart that lost the history, and replays from 0-0 without one', async () => {
      const keyPrefix = kind === 'redis' ? newKeyPrefix() : undefined;
      const before = await fixture.open(kind, { keyPrefix });
      const runId = randomUUID();
      const live = subscribe(before, { runId });
      before.publish(nodeEvents(runId, 0, 3));
      await live.until(() => live.events.length === 3, 'events before the restart');
      const lastSeen = live.events[2]?.id as string;
      await before.close();
      // The restart: a new in-process relay starts empty; a Redis without persistence comes back
      // without its streams (deleting them is what a restart does to them).
      if (keyPrefix !== undefined) await deleteKeys(keyPrefix);
      await new Promise((resolve) => setTimeout(resolve, 5));

      const after = await fixture.open(kind, { keyPrefix });
      const fresh = subscribe(after, { runId });
      after.publish(nodeEvents(runId, 3, 2));
      await fresh.until(() => fresh.events.length === 2, 'events after the restart');
      const resumedRun = subscribe(after, { runId, lastId: lastSeen });
      const resumedAll = subscribe(after, { lastId: lastSeen });
      const fromStart = subscribe(after, { runId, lastId: '0-0' });
      after.publish([nodeEvent(runId, 5)]);
      await settle(after, runId, resumedRun, resumedAll, fromStart);
      for (const inbox of [resumedRun, resumedAll]) {
        assert.equal(inbox.messages[0]?.type, 'reset', inbox.types().join(' '));
        assert.deepEqual(inbox.seqs(), [5], 'after the reset, only live events');
      }
      assert.deepEqual(fromStart.seqs(), [3, 4, 5], '0-0 replays what the new history holds');
      assert.ok(!fromStart.messages.some((m) => m.type === 'reset'));
    });

    it('leaves no listeners behind after 100 subscriptions are opened and closed, and never calls a closed one', async () => {
      const relay = await fixture.open(kind);
      const runId = randomUUID();
      relay.publish(nodeEvents(runId, 0, 50));
      const inboxes = range(0, 100).map((i) => subscribe(relay, i % 3 === 0 ? {} : i % 3 === 1 ? { runId } : { runId, lastId: '0-0' }));
      assert.equal(relay.subscriberCount, 100);
      const counts = inboxes.map((inbox) => {
        inbox.close();
        return inbox.messages.length;
      });
      assert.equal(relay.subscriberCount, 0);

      const witness = subscribe(relay, { runId });
      relay.publish(nodeEvents(runId, 50, 10));
      await settle(relay, runId, witness);
      assert.deepEqual(
        inboxes.map((inbox) => inbox.messages.length),
        counts,
        'closed subscriptions received nothing more',
      );
      witness.close();
      assert.equal(relay.subscriberCount, 0);
    });
  });
}

describe('Redis relay: team mode, history and outages', function () {
  this.timeout(60_000);
  const fixture = new RelayFixture();
  afterEach(() => fixture.closeAll());
  // The keys of these tests, so a long-lived REDIS_URL server is left as found.
  after(() => deleteKeys(...keyPrefixes.splice(0)));

  /** Waits until the relay's reader follows the stream (its own probe event comes back). */
  async function untilLive(relay: Relay): Promise<void> {
    const probeRun = `probe-${randomUUID()}`;
    const probe = subscribe(relay, { runId: probeRun });
    await settle(relay, probeRun, probe);
    probe.close();
  }

  it('delivers every event published on either of two sidecars to subscribers of both, with the same ids', async () => {
    const keyPrefix = newKeyPrefix();
    const [a, b] = [await fixture.open('redis', { keyPrefix }), await fixture.open('redis', { keyPrefix })];
    await Promise.all([untilLive(a), untilLive(b)]);
    const runId = randomUUID();
    const [onA, onB] = [subscribe(a, { runId }), subscribe(b, { runId })];
    a.publish(nodeEvents(runId, 0, 3));
    await Promise.all([onA, onB].map((inbox) => inbox.until(() => inbox.events.length === 3, 'events from A')));
    b.publish(nodeEvents(runId, 3, 3));
    await Promise.all([onA, onB].map((inbox) => inbox.until(() => inbox.events.length === 6, 'events from B')));
    assert.deepEqual(onA.seqs(), range(0, 6));
    assert.deepEqual(
      onA.events.map((e) => e.id),
      onB.events.map((e) => e.id),
    );
  });

  it("keeps each run's ids increasing while two sidecars publish to it at once; history equals what was live", async () => {
    const keyPrefix = newKeyPrefix();
    const [a, b] = [await fixture.open('redis', { keyPrefix }), await fixture.open('redis', { keyPrefix })];
    await Promise.all([untilLive(a), untilLive(b)]);
    const runId = randomUUID();
    const live = subscribe(a, { runId });
    for (let batch = 0; batch < 10; batch++) {
      a.publish(nodeEvents(runId, batch * 20, 20));
      b.publish(nodeEvents(runId, 1_000 + batch * 20, 20));
    }
    await live.until(() => live.events.length === 400, '400 events');
    assertIncreasingIds(live.events);
    const fromA = live.seqs().filter((s) => s < 1_000);
    const fromB = live.seqs().filter((s) => s >= 1_000);
    assert.deepEqual(fromA, range(0, 200), "A's order kept");
    assert.deepEqual(fromB, range(1_000, 200), "B's order kept");

    const history = subscribe(b, { runId, lastId: '0-0' });
    await history.until(() => history.events.length === 400, 'the history of 400 events');
    assert.deepEqual(
      history.events.map((e) => e.id),
      live.events.map((e) => e.id),
    );
  });

  it('sends reset to live subscribers whose reader fell behind the retained history, then continues without a gap', async () => {
    const relay = await fixture.open('redis', { retain: 10 });
    const runId = randomUUID();
    const live = subscribe(relay, { runId });
    relay.publish([nodeEvent(runId, 0)]);
    await live.until(() => live.events.length === 1, 'the first event');
    // One script call writes and trims all of these before the blocked reader is served.
    relay.publish(nodeEvents(runId, 1, 298));
    await settle(relay, runId, live);
    const types = live.types();
    assert.equal(types[0], 'node:0');
    assert.equal(types[1], 'reset', types.join(' '));
    const tail = live.seqs().slice(1);
    assert.ok(tail.length >= 10 && tail.length < 298, `${tail.length} events retained`);
    assert.deepEqual(tail, range(299 - tail.length, tail.length), 'contiguous up to the newest');
  });

  it("answers from the global stream when a run's stream is gone, or began after the resume point", async () => {
    const keyPrefix = newKeyPrefix();
    const relay = await fixture.open('redis', { keyPrefix });
    const runId = randomUUID();
    const live = subscribe(relay, { runId });
    relay.publish([...nodeEvents(runId, 0, 5), nodeEvent(randomUUID(), 99)]);
    await live.until(() => live.events.length === 5, 'five events');
    const redis = new Redis(await redisUrl(), { lazyConnect: true });
    await redis.connect();
    try {
      assert.equal(await redis.xlen(`${keyPrefix}:run:${runId}`), 5);
      assert.ok((await redis.ttl(`${keyPrefix}:run:${runId}`)) > 6 * 24 * 3600, "a run's stream expires, a week after its last event");
      await redis.del(`${keyPrefix}:run:${runId}`);
    } finally {
      redis.disconnect();
    }
    const resumed = subscribe(relay, { runId, lastId: live.events[1]?.id });
    await settle(relay, runId, resumed);
    assert.deepEqual(resumed.seqs(), [2, 3, 4], resumed.types().join(' '));

    // Expired, then created again by a newer event: the new stream alone would miss 2, 3, 4.
    relay.publish([nodeEvent(runId, 5)]);
    await live.until(() => live.events.length === 7, 'the event that re-creates the run stream');
    const afterRecreation = subscribe(relay, { runId, lastId: live.events[1]?.id });
    await settle(relay, runId, afterRecreation);
    assert.deepEqual(afterRecreation.seqs(), [2, 3, 4, 5], afterRecreation.types().join(' '));
  });

  it('pauses subscribers while Redis is down, keeps publish() instant, buffers (dropping beyond the bound) and resumes without gaps', async () => {
    const server = await controllableRedis();
    const metrics = new SidecarMetrics();
    const relay = await fixture.open('redis', { url: server.url, bufferSize: 5, metrics });
    try {
      const runId = randomUUID();
      const inbox = subscribe(relay, { runId });
      relay.publish([nodeEvent(runId, 0)]);
      await inbox.until(() => inbox.events.length === 1, 'the first event');
      const healthy = await relay.check();
      assert.equal(healthy.status, 'ok', healthy.message);
      assert.match(healthy.version ?? '', /^\d+\.\d+\.\d+$/);

      await server.stop();
      await inbox.until(() => inbox.messages.some((m) => m.type === 'paused'), 'paused');
      const paused = inbox.messages.find((m) => m.type === 'paused') as { reason: string };
      assert.match(paused.reason, new RegExp(`^Cannot reach Redis at redis://127\\.0\\.0\\.1:${server.port}`));
      const down = await relay.check();
      assert.equal(down.status, 'unavailable');
      assert.match(down.message, new RegExp(`^Cannot reach Redis at redis://127\\.0\\.0\\.1:${server.port}`));
      const late = subscribe(relay, { runId });
      assert.deepEqual(late.types(), ['paused'], 'a subscriber arriving during the outage hears of it at once');

      const started = performance.now();
      for (let seq = 1; seq <= 20; seq++) relay.publish([nodeEvent(runId, seq)]);
      assert.ok(performance.now() - started < 50, 'publish() does not wait for Redis');
      assert.equal(await counterValue(metrics, 'relayDropped', 'buffer_full'), 15);
      assert.equal((await metrics.relayBuffered.get()).values[0]?.value, 5);

      await server.start();
      await inbox.until(() => inbox.events.length === 6, 'the buffered events', 20_000);
      assert.deepEqual(inbox.types(), ['node:0', 'paused', 'resumed', 'node:16', 'node:17', 'node:18', 'node:19', 'node:20']);
      await late.until(() => late.events.length === 5, 'buffered events on the late subscriber');
      assert.deepEqual(late.types(), ['paused', 'resumed', 'node:16', 'node:17', 'node:18', 'node:19', 'node:20']);
      // The reader may see the entries before the publishing connection sees its reply.
      await eventually(
        () => counterValue(metrics, 'relayPublished'),
        (n) => n === 6,
        5_000,
        'six events acknowledged',
      );
      assert.equal((await metrics.relayBuffered.get()).values[0]?.value, 0);
      const lag = (await metrics.relayLag.get()).values.find((v) => v.metricName === 'runtrail_relay_lag_seconds_count');
      assert.equal(lag?.value, 6, 'every event this relay published was read back and timed');

      await eventually(
        () => relay.check(),
        (health) => health.status === 'ok',
        10_000,
        'relay healthy after restart',
      );
    } finally {
      await server.start();
    }
  });
});
