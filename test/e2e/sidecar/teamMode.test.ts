import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { SidecarHealth } from '../../../protocol/health';
import { Run } from '../../../protocol/runs';
import { compareIds } from '../../../sidecar/relay/relay';
import { controllableRedis, neo4jService } from '../../fixtures/services/testServices';
import { eventually, readJson } from '../../fixtures/sidecarApp';
import { type SidecarProcess, startSidecarProcess } from '../../fixtures/sidecarProcess';
import { SseClient } from '../../fixtures/sseClient';

/**
 * Team mode (DESIGN.md "Scale-out"): two sidecar processes on one Neo4j and one Redis. A node
 * posted to either is stored once and reaches the SSE streams of both; a watcher can resume on
 * the other sidecar; Redis going away pauses live updates without losing an acknowledged node.
 */
describe('team mode: two sidecar processes on one Neo4j and one Redis', function () {
  this.timeout(120_000);
  const token = randomUUID().replaceAll('-', '');
  let a: SidecarProcess;
  let b: SidecarProcess;
  const clients: SseClient[] = [];

  before(async () => {
    const neo4j = await neo4jService();
    const redis = await controllableRedis();
    const env = {
      NEO4J_URI: neo4j.uri,
      NEO4J_USER: neo4j.user,
      NEO4J_PASSWORD: neo4j.password,
      REDIS_URL: redis.url,
      RUNTRAIL_TOKEN: token,
      RUNTRAIL_SSE_HEARTBEAT_MS: '500',
    };
    [a, b] = await Promise.all([startSidecarProcess(env), startSidecarProcess(env)]);
    for (const sidecar of [a, b]) {
      await eventually(
        () => health(sidecar),
        (h) => h.status === 'ok',
        60_000,
        `${sidecar.url} healthy on Neo4j and Redis`,
      );
    }
  });
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  const send = (sidecar: SidecarProcess, method: string, path: string, body?: unknown) =>
    fetch(`${sidecar.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const health = async (sidecar: SidecarProcess) => readJson(await fetch(`${sidecar.url}/api/health`), SidecarHealth);
  const newRun = async (sidecar: SidecarProcess) => {
    const res = await send(sidecar, 'POST', '/api/runs', { workflow: 'team' });
    assert.equal(res.status, 201, await res.clone().text());
    return (await readJson(res, Run)).id;
  };
  const post = async (sidecar: SidecarProcess, runId: string, names: string[]) => {
    const res = await send(sidecar, 'POST', `/api/runs/${runId}/nodes`, { nodes: names.map((name) => ({ id: `${runId}.${name}`, name })) });
    assert.equal(res.status, 200, `POST to ${sidecar.url}: ${await res.text()}`);
  };
  const watch = async (sidecar: SidecarProcess, query: string, lastEventId?: string) => {
    const client = await SseClient.open(`${sidecar.url}/api/events${query}`, {
      authorization: `Bearer ${token}`,
      ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }),
    });
    assert.equal(client.status, 200);
    clients.push(client);
    return client;
  };
  const nodeNames = (client: SseClient) => client.of('node').map((e) => JSON.parse(e.data).name as string);

  it('delivers a node posted to either sidecar to the SSE streams of both, in the same order with the same ids', async () => {
    const runId = await newRun(a);
    const [onA, onB, allOnB] = [await watch(a, `?runId=${runId}`), await watch(b, `?runId=${runId}`), await watch(b, '')];
    const expected: string[] = [];
    for (let i = 0; i < 10; i++) {
      const sidecar = i % 2 === 0 ? a : b;
      await post(sidecar, runId, [`n${i}`]);
      expected.push(`n${i}`);
    }
    for (const client of [onA, onB]) await client.until(() => client.of('node').length >= 10, 10_000, 'ten node events');
    assert.deepEqual(nodeNames(onA), expected);
    assert.deepEqual(nodeNames(onB), expected);
    assert.deepEqual(
      onA.of('node').map((e) => e.id),
      onB.of('node').map((e) => e.id),
      'one stream, one set of ids',
    );
    await allOnB.until(() => allOnB.of('node').filter((e) => JSON.parse(e.data).runId === runId).length >= 10, 10_000, 'unfiltered');

    // One store: either sidecar reads what the other wrote.
    const tree = (await (await send(b, 'GET', `/api/runs/${runId}/tree?format=flat`)).json()) as { nodes: { name: string }[] };
    assert.deepEqual(tree.nodes.map((n) => n.name).sort(), [...expected].sort());
  });

  it('resumes on the other sidecar with Last-Event-ID and gets exactly the missed events', async () => {
    const runId = await newRun(a);
    const first = await watch(a, `?runId=${runId}`);
    await post(a, runId, ['before']);
    await first.until(() => first.of('node').length === 1, 10_000, 'the first event');
    const lastSeen = first.of('node')[0]?.id as string;
    first.close();
    await post(b, runId, ['missed1']);
    await post(a, runId, ['missed2']);

    const resumed = await watch(b, `?runId=${runId}`, lastSeen);
    await post(b, runId, ['live']);
    await resumed.until(() => resumed.of('node').length >= 3, 10_000, 'missed and live events');
    assert.deepEqual(nodeNames(resumed), ['missed1', 'missed2', 'live']);
    assert.equal(resumed.of('reset').length, 0);
    const ids = resumed.of('node').map((e) => e.id as string);
    assert.ok(compareIds(ids[0] as string, lastSeen) > 0);
  });

  it('pauses SSE clients while Redis is down, keeps acknowledging nodes, reports degraded, and resumes without gaps', async () => {
    const redis = await controllableRedis();
    const runId = await newRun(a);
    const [onA, onB] = [await watch(a, `?runId=${runId}`), await watch(b, `?runId=${runId}`)];
    await post(a, runId, ['up']);
    for (const client of [onA, onB]) await client.until(() => client.of('node').length === 1, 10_000, 'the first event');

    await redis.stop();
    try {
      for (const client of [onA, onB]) await client.until(() => client.of('paused').length === 1, 15_000, 'paused');
      assert.match(JSON.parse(onA.of('paused')[0]?.data ?? '{}').reason, /Redis/);
      for (let i = 0; i < 5; i++) await post(i % 2 === 0 ? a : b, runId, [`down${i}`]);
      const degraded = await health(a);
      assert.equal(degraded.status, 'degraded');
      assert.notEqual(degraded.relay.status, 'ok');
    } finally {
      await redis.start();
    }

    for (const client of [onA, onB]) {
      await client.until(
        () => client.of('resumed').length === 1 && client.of('node').length >= 6,
        30_000,
        'resumed and the buffered events',
      );
    }
    // Each sidecar buffered its own events while Redis was away; after recovery both streams
    // carry all of them, each once, in one order.
    for (const client of [onA, onB]) {
      assert.deepEqual(nodeNames(client).slice(1).sort(), ['down0', 'down1', 'down2', 'down3', 'down4']);
      assert.equal(new Set(client.of('node').map((e) => e.id)).size, client.of('node').length, 'no duplicates');
    }
    assert.deepEqual(nodeNames(onA), nodeNames(onB));
    await eventually(
      () => health(a),
      (h) => h.status === 'ok',
      15_000,
      'healthy again',
    );
    // Every acknowledged node is in the store.
    const tree = (await (await send(b, 'GET', `/api/runs/${runId}/tree?format=flat`)).json()) as { nodes: unknown[] };
    assert.equal(tree.nodes.length, 6);
  });
});
