import * as assert from 'node:assert/strict';
import { Run } from '../../../protocol/runs';
import { MemoryRelay } from '../../../sidecar/relay/memory/memoryRelay';
import { compareIds } from '../../../sidecar/relay/relay';
import { readJson, startTestSidecar, type TestSidecar } from '../../fixtures/sidecarApp';
import { SseClient } from '../../fixtures/sseClient';

describe('GET /api/events (Server-Sent Events, in-process relay)', function () {
  this.timeout(60_000);
  let sidecar: TestSidecar;
  const open = (query = '', headers: Record<string, string> = {}) =>
    SseClient.open(`${sidecar.url}/api/events${query}`, { authorization: `Bearer ${sidecar.token}`, ...headers });
  const newRun = async () => (await readJson(await sidecar.send('POST', '/api/runs', { workflow: 'live' }), Run)).id;
  const post = (runId: string, ids: string[]) =>
    sidecar.send('POST', `/api/runs/${runId}/nodes`, { nodes: ids.map((id) => ({ id: `${runId}.${id}`, name: id })) });

  before(async () => {
    sidecar = await startTestSidecar({ RUNTRAIL_SSE_HEARTBEAT_MS: '200' });
  });
  after(async () => {
    await sidecar?.close();
  });

  it('streams committed upserts of one run in order, with increasing ids, without payloads', async () => {
    const runId = await newRun();
    const other = await newRun();
    const client = await open(`?runId=${runId}`);
    assert.equal(client.status, 200);
    for (let i = 0; i < 10; i++) {
      assert.equal((await post(runId, [`a${i}`, `b${i}`])).status, 200);
      await post(other, [`x${i}`]);
    }
    await sidecar.send('POST', `/api/runs/${runId}/nodes`, { nodes: [{ id: `${runId}.a0`, status: 'ok', output: 'secret payload' }] });
    await client.until(() => client.of('node').length >= 21, 5_000, '21 node events');
    const nodes = client.of('node');
    assert.deepEqual(
      nodes.slice(0, 4).map((e) => JSON.parse(e.data).id),
      [`${runId}.a0`, `${runId}.b0`, `${runId}.a1`, `${runId}.b1`],
    );
    assert.ok(
      nodes.every((e) => JSON.parse(e.data).runId === runId),
      'only the subscribed run',
    );
    for (let i = 1; i < nodes.length; i++) assert.ok(compareIds(nodes[i]?.id ?? '', nodes[i - 1]?.id ?? '') > 0, 'ids increase');
    const last = JSON.parse(nodes[20]?.data ?? '{}');
    assert.equal(last.status, 'ok');
    assert.equal('output' in last, false, 'payloads are fetched, not streamed');
    client.close();
  });

  it('announces runs created, finished and deleted', async () => {
    const client = await open();
    const runId = await newRun();
    await sidecar.send('PATCH', `/api/runs/${runId}`, { status: 'ok' });
    await sidecar.send('DELETE', `/api/runs/${runId}`);
    await client.until(() => client.of('run').filter((e) => JSON.parse(e.data).id === runId).length === 3, 5_000, 'three run events');
    const runEvents = client.of('run').filter((e) => JSON.parse(e.data).id === runId);
    assert.deepEqual(
      runEvents.map((e) => JSON.parse(e.data).status ?? 'deleted'),
      ['running', 'ok', 'deleted'],
    );
    client.close();
  });

  it('resumes with Last-Event-ID after a forced disconnect and gets exactly the missed events', async () => {
    const runId = await newRun();
    const first = await open(`?runId=${runId}`);
    await post(runId, ['n0', 'n1']);
    await first.until(() => first.of('node').length === 2, 5_000, 'two events');
    const lastSeen = first.of('node')[1]?.id as string;
    first.close();
    await post(runId, ['n2', 'n3']);
    await post(runId, ['n4']);
    const resumed = await open(`?runId=${runId}`, { 'last-event-id': lastSeen });
    await post(runId, ['n5']);
    await resumed.until(() => resumed.of('node').length >= 4, 5_000, 'missed and new events');
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(
      resumed.of('node').map((e) => JSON.parse(e.data).id),
      ['n2', 'n3', 'n4', 'n5'].map((n) => `${runId}.${n}`),
    );
    resumed.close();
  });

  it('sends heartbeats on an idle stream', async () => {
    const client = await open('?runId=quiet-run');
    await client.until(() => client.comments >= 3, 5_000, 'heartbeats');
    client.close();
  });

  it('rejects a bad query and a missing token like any other route', async () => {
    const bad = await open('?runId=has%20space');
    assert.equal(bad.status, 400);
    const anonymous = await SseClient.open(`${sidecar.url}/api/events`, {});
    assert.equal(anonymous.status, 401);
  });

  it('lets 100 clients connect and disconnect without leaking subscriptions or sockets', async () => {
    const relay = sidecar.backends.relay as MemoryRelay;
    const before = relay.subscriberCount;
    const clients = await Promise.all(Array.from({ length: 100 }, () => open()));
    assert.equal(relay.subscriberCount, before + 100);
    const runId = await newRun();
    await post(runId, ['fan-out']);
    await Promise.all(clients.map((c) => c.until(() => c.of('node').length === 1, 5_000, 'the fanned-out event')));
    for (const c of clients) c.close();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(relay.subscriberCount, before, 'every subscription released');
    const metrics = await (await sidecar.request('/metrics')).text();
    assert.match(metrics, new RegExp(`runtrail_sse_clients ${before}\\b`));
  });
});

describe('GET /api/events when the sidecar stops', function () {
  // The stop below is given a grace period longer than this timeout: only ending the streams
  // at once lets it finish in time.
  this.timeout(20_000);

  it('ends open event streams at once instead of waiting out the grace period for them', async () => {
    const sidecar = await startTestSidecar();
    const clients = await Promise.all(
      ['', '?runId=some-run'].map((query) =>
        SseClient.open(`${sidecar.url}/api/events${query}`, { authorization: `Bearer ${sidecar.token}` }),
      ),
    );
    const relay = sidecar.backends.relay as MemoryRelay;
    assert.equal(relay.subscriberCount, 2);
    await sidecar.close(120_000);
    for (const client of clients) await client.until(() => client.closed, 5_000, 'the stream ended');
    assert.equal(relay.subscriberCount, 0);
  });
});

describe('MemoryRelay', () => {
  it('sends reset when the Last-Event-ID is older than what the ring retains', () => {
    const relay = new MemoryRelay(3);
    relay.publish([1, 2, 3, 4, 5].map((i) => ({ type: 'node' as const, runId: 'r', data: { i } })));
    const seen: string[] = [];
    relay.subscribe({ lastId: '0-0' }, (m) => seen.push(m.type === 'event' ? String((m.event.data as { i: number }).i) : m.type));
    assert.deepEqual(seen, ['reset']);
    relay.publish([{ type: 'node', runId: 'r', data: { i: 6 } }]);
    assert.deepEqual(seen, ['reset', '6']);
  });
});
