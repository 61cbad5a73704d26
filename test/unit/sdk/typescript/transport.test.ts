import * as assert from 'node:assert/strict';
import { Node } from '../../../../protocol/runs';
import { parseRetryAfter, Transport } from '../../../../sdk/typescript/src/transport';
import { freePort } from '../../../fixtures/services/freePort';
import { readJson, startTestSidecar, type TestSidecar } from '../../../fixtures/sidecarApp';

/** A transport whose warnings are collected instead of printed, and that only sends on flush(). */
function transportTo(url: string, token: string | undefined, runId: string, capacity?: number) {
  const warnings: string[] = [];
  const transport = new Transport({ url, token, runId, capacity, lingerMs: 60_000, warn: (_topic, message) => warnings.push(message) });
  return { transport, warnings };
}

describe('TypeScript SDK transport', function () {
  this.timeout(20_000);
  let sidecar: TestSidecar;
  let runs = 0;

  before(async () => {
    sidecar = await startTestSidecar();
  });
  after(async () => {
    await sidecar?.close();
  });

  async function newRun(): Promise<string> {
    const id = `transport-${++runs}`;
    assert.equal((await sidecar.send('POST', '/api/runs', { id, workflow: 'transport' })).status, 201);
    return id;
  }

  it("merges a node's start and end while both wait, and delivers the result", async () => {
    const runId = await newRun();
    const { transport, warnings } = transportTo(sidecar.url, sidecar.token, runId);
    transport.send({ id: 'n1', key: '/a#0', kind: 'step', name: 'a', status: 'running', seq: 0, startedAt: Date.now() });
    transport.send({ id: 'n1', status: 'ok', endedAt: Date.now(), output: { answer: 42 } });
    assert.equal(transport.waiting, 1);
    assert.equal(await transport.flush(), true);
    assert.equal(transport.waiting, 0);
    const node = await readJson(await sidecar.request('/api/nodes/n1'), Node);
    assert.deepEqual([node.key, node.status, node.output], ['/a#0', 'ok', { answer: 42 }]);
    assert.deepEqual(warnings, []);
  });

  it('drops only the record the sidecar rejects, with one warning naming its message', async () => {
    const other = await newRun();
    assert.equal((await sidecar.send('POST', `/api/runs/${other}/nodes`, { nodes: [{ id: 'elsewhere' }] })).status, 200);
    const runId = await newRun();
    const { transport, warnings } = transportTo(sidecar.url, sidecar.token, runId);
    for (let i = 0; i < 7; i++) transport.send({ id: `good-${i}`, kind: 'step', name: `good ${i}` });
    transport.send({ id: 'bad', parentId: 'elsewhere', kind: 'step', name: 'bad' });
    for (let i = 7; i < 10; i++) transport.send({ id: `good-${i}`, kind: 'step', name: `good ${i}` });
    assert.equal(await transport.flush(), true);
    const tree = (await (await sidecar.request(`/api/runs/${runId}/tree`)).json()) as { nodes: { id: string }[] };
    assert.deepEqual(tree.nodes.map((n) => n.id).sort(), Array.from({ length: 10 }, (_, i) => `good-${i}`).sort());
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0] ?? '', /rejected a node record of run transport-\d+ \(422 .*elsewhere.*\); dropped/);
  });

  it('retries a 503 (Retry-After) instead of dropping it', async () => {
    const busy = await startTestSidecar({ RUNTRAIL_INGEST_QUEUE_RECORDS: '1' });
    try {
      assert.equal((await busy.send('POST', '/api/runs', { id: 'busy', workflow: 'transport' })).status, 201);
      const { transport, warnings } = transportTo(busy.url, busy.token, 'busy');
      transport.send({ id: 'a' });
      transport.send({ id: 'b' });
      assert.equal(await transport.flush(2_500), false);
      assert.equal(transport.waiting, 2, 'kept for later');
      assert.deepEqual(warnings, []);
      const rejected = (await busy.metrics.ingestRejected.get()).values.reduce((n, v) => n + v.value, 0);
      assert.ok(rejected >= 2, `retried after Retry-After (${rejected} attempts answered 503)`);
    } finally {
      await busy.close();
    }
  });

  it('warns once when the sidecar is unreachable, keeps a bounded buffer and reports what it dropped', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const { transport, warnings } = transportTo(url, 'token', 'nowhere', 3);
    transport.createRun({ id: 'nowhere', workflow: 'transport' });
    for (let i = 0; i < 5; i++) transport.send({ id: `n${i}` });
    assert.equal(await transport.flush(), false);
    assert.equal(await transport.flush(), false);
    assert.equal(transport.waiting, 3);
    transport.reportUndelivered();
    assert.equal(warnings.length, 2, warnings.join('\n'));
    assert.match(warnings[0] ?? '', new RegExp(`^cannot reach the sidecar at ${url} \\(ECONNREFUSED\\)`));
    assert.match(
      warnings[1] ?? '',
      /^2 records of run nowhere were dropped \(the buffer keeps at most 3 .*\), and 3 more were not delivered\.$/,
    );
  });

  it('stops with one warning when the sidecar refuses the run (wrong token)', async () => {
    const { transport, warnings } = transportTo(sidecar.url, 'not-the-token', 'refused');
    transport.createRun({ id: 'refused', workflow: 'transport' });
    transport.send({ id: 'x' });
    assert.equal(await transport.flush(), true, 'nothing is left to send');
    assert.equal(transport.waiting, 0);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /refused to create run refused \(401 .*: check RUNTRAIL_TOKEN\); nothing of this run is recorded/);
    assert.equal((await sidecar.request('/api/runs/refused')).status, 404);
  });

  it('reads Retry-After as seconds or an HTTP date, capped at a minute', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('2', now), 2_000);
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now), 5_000);
    assert.equal(parseRetryAfter('3600', now), 60_000);
    assert.equal(parseRetryAfter(null, now), undefined);
    assert.equal(parseRetryAfter('soon', now), undefined);
  });
});
