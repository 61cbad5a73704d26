import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SidecarRequestError, SidecarUnavailableError } from '../../../../extension/services';
import { RuntrailClient } from '../../../../extension/sidecar/runtrailClient';
import { uniqueId } from '../../../fixtures/builders';
import { freePort } from '../../../fixtures/services/freePort';
import { startTestSidecar, type TestSidecar } from '../../../fixtures/sidecarApp';

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => assert.fail('expected a rejection'),
    (error: unknown) => error,
  );
}

describe("RuntrailClient (the extension's REST client) against a real sidecar", function () {
  this.timeout(20_000);
  let sidecar: TestSidecar;
  let client: RuntrailClient;

  before(async () => {
    sidecar = await startTestSidecar();
    client = new RuntrailClient(sidecar.url, sidecar.token);
  });

  after(() => sidecar.close());

  it('lists, reads and deletes runs and reads trees and nodes, checked against the protocol schemas', async () => {
    const runId = uniqueId('client');
    assert.equal((await sidecar.send('POST', '/api/runs', { id: runId, workflow: 'triage', git: { branch: 'main' } })).status, 201);
    const ingest = await sidecar.send('POST', `/api/runs/${runId}/nodes`, {
      nodes: [
        { id: `${runId}-plan`, kind: 'llm', name: 'plan', input: { q: 'why?' }, source: { file: 'agent.py', line: 12 } },
        { id: `${runId}-grep`, parentId: `${runId}-plan`, kind: 'tool', name: 'grep', status: 'ok', output: [1, 2] },
      ],
    });
    assert.equal(ingest.status, 200);

    const page = await client.listRuns({ workflow: 'triage', limit: 10 });
    assert.ok(page.runs.some((run) => run.id === runId));
    const detail = await client.getRun(runId);
    assert.equal(detail.counts.total, 2);
    assert.equal(detail.git.branch, 'main');
    const tree = await client.tree(runId);
    assert.equal(tree.format, 'flat');
    assert.deepEqual(tree.nodes.map((node) => node.name).sort(), ['grep', 'plan']);
    const node = await client.node(`${runId}-plan`);
    assert.deepEqual(node.input, { q: 'why?' });
    assert.deepEqual(node.source, { file: 'agent.py', line: 12, column: null, function: null });

    await client.deleteRun(runId);
    const gone = await rejection(client.getRun(runId));
    assert.ok(gone instanceof SidecarRequestError);
    assert.equal(gone.status, 404);
    assert.equal(gone.code, 'not_found');
    assert.match(gone.message, new RegExp(runId));
  });

  it('diffs two runs (RunDiff), returns a family and refuses to replay a run the runner did not start (422)', async () => {
    const [a, b] = [uniqueId('client-a'), uniqueId('client-b')];
    for (const [runId, answer] of [
      [a, 'yes'],
      [b, 'no'],
    ] as const) {
      assert.equal((await sidecar.send('POST', '/api/runs', { id: runId, workflow: 'triage' })).status, 201);
      const nodes = [{ id: `${runId}-ask`, key: '/ask#0', kind: 'llm', name: 'ask', status: 'ok', seq: 0, output: answer }];
      assert.equal((await sidecar.send('POST', `/api/runs/${runId}/nodes`, { nodes })).status, 200);
    }
    const diff = await client.diffRuns(a, b);
    assert.equal(diff.a, a);
    assert.equal(diff.b, b);
    assert.deepEqual(diff.counts, { added: 0, removed: 0, changed: 1, same: 0 });
    assert.equal(diff.firstDivergence?.key, '/ask#0');

    assert.equal((await sidecar.send('POST', '/api/runs', { id: `${b}-replay`, workflow: 'triage', replayOf: b })).status, 201);
    const family = await client.family(`${b}-replay`);
    assert.equal(family.rootId, b);
    assert.deepEqual(
      family.runs.map((m) => [m.run.id, m.parentId, m.depth]),
      [
        [b, null, 0],
        [`${b}-replay`, b, 1],
      ],
    );

    const refused = await rejection(client.replayRun(a, {}));
    assert.ok(refused instanceof SidecarRequestError);
    assert.equal(refused.status, 422);
    const missing = await rejection(client.replayRun(uniqueId('no-such-run'), { untilNodeId: 'x' }));
    assert.ok(missing instanceof SidecarRequestError);
    assert.equal(missing.status, 404);
  });

  it('passes ids safely in paths and lists workflows (none without runtrail.json)', async () => {
    const error = await rejection(client.getRun('a/b?c'));
    assert.ok(error instanceof SidecarRequestError);
    assert.ok([400, 404].includes(error.status), `status ${error.status}`);
    const workflows = await client.listWorkflows();
    assert.ok(Array.isArray(workflows.workflows));
  });

  it("turns the sidecar's error body into SidecarRequestError: a wrong token is 401 unauthorized", async () => {
    const wrong = new RuntrailClient(sidecar.url, 'not-the-token-0000');
    const error = await rejection(wrong.listRuns());
    assert.ok(error instanceof SidecarRequestError);
    assert.equal(error.status, 401);
    assert.equal(error.code, 'unauthorized');
    const health = await wrong.health();
    assert.equal(health.store.service, 'sqlite');
  });

  it('reports an unreachable sidecar as SidecarUnavailableError with the cause', async () => {
    const port = await freePort();
    const error = await rejection(new RuntrailClient(`http://127.0.0.1:${port}`, 'x').listRuns());
    assert.ok(error instanceof SidecarUnavailableError);
    assert.match(error.message, new RegExp(`Cannot reach the Runtrail sidecar at http://127.0.0.1:${port}: connection refused`));
  });

  it('refuses an answer of the wrong shape and a non-JSON error, naming what was wrong', async () => {
    // Another program on the port: not a sidecar (or one of another version).
    const server = http.createServer((req, res) => {
      if (req.url?.startsWith('/api/runs?')) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ runs: 'nope', nextCursor: null }));
      } else {
        res.writeHead(502, 'Bad Gateway', { 'content-type': 'text/html' }).end('<h1>proxy error</h1>');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const shape = await rejection(new RuntrailClient(url, 't').listRuns({ limit: 1 }));
      assert.ok(shape instanceof SidecarRequestError);
      assert.equal(shape.code, 'invalid_response');
      assert.match(
        shape.message,
        /answered GET \/api\/runs in an unexpected shape \(runs: .*\): is it the same version as the extension\?/,
      );
      const html = await rejection(new RuntrailClient(url, 't').getRun('r1'));
      assert.ok(html instanceof SidecarRequestError);
      assert.deepEqual({ status: html.status, code: html.code }, { status: 502, code: 'http_502' });
      assert.match(html.message, /answered GET \/api\/runs\/r1 with 502 Bad Gateway/);
    } finally {
      server.close();
    }
  });

  it('times out a request to a sidecar that does not answer', async () => {
    const server = http.createServer(() => {});
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const error = await rejection(new RuntrailClient(url, 't', { timeoutMs: 200 }).listRuns());
      assert.ok(error instanceof SidecarUnavailableError);
      assert.match(error.message, /no answer to GET \/api\/runs within 200 ms/);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
