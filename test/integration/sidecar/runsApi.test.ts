import * as assert from 'node:assert/strict';
import { SearchResponse } from '../../../protocol/api';
import { ErrorBody } from '../../../protocol/errors';
import {
  FlatTree,
  IngestResponse,
  NestedTree,
  Node,
  NodePage,
  PathResponse,
  Run,
  RunDetail,
  RunPage,
  StatsResponse,
  SubtreeResponse,
} from '../../../protocol/runs';
import { neo4jService } from '../../fixtures/services/testServices';
import { readJson, startTestSidecar, type TestSidecar } from '../../fixtures/sidecarApp';
import { type StoreKind, storeKinds } from '../../fixtures/stores';

/**
 * The REST API for runs and nodes, tried as a client would, on both stores: every route, and
 * every kind of bad input with its precise status and message.
 */

async function sidecarOn(kind: StoreKind): Promise<TestSidecar> {
  if (kind === 'sqlite') return startTestSidecar();
  const neo4j = await neo4jService();
  return startTestSidecar({ NEO4J_URI: neo4j.uri, NEO4J_USER: neo4j.user, NEO4J_PASSWORD: neo4j.password });
}

async function expectError(res: Response, status: number, code: string, message?: RegExp) {
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${await res.clone().text()}`);
  const body = await readJson(res, ErrorBody);
  assert.equal(body.error.code, code);
  if (message) assert.match(body.error.message, message);
  return body;
}

for (const kind of storeKinds) {
  describe(`REST API for runs and nodes (${kind} store)`, function () {
    this.timeout(60_000);
    let sidecar: TestSidecar;
    let seq = 0;
    const fresh = (prefix: string) => `${prefix}-${kind}-${Date.now().toString(36)}-${seq++}`;

    before(async () => {
      sidecar = await sidecarOn(kind);
      // Neo4j sets its schema up in the background; wait until data routes answer.
      for (let i = 0; i < 120 && (await sidecar.request('/api/runs')).status === 503; i++) await new Promise((r) => setTimeout(r, 250));
    });
    after(async () => {
      await sidecar?.close();
    });

    async function createRun(body: Record<string, unknown> = {}) {
      const res = await sidecar.send('POST', '/api/runs', { workflow: 'triage', ...body });
      assert.equal(res.status, 201, await res.clone().text());
      return readJson(res, Run);
    }

    async function postNodes(runId: string, nodes: unknown[]) {
      return sidecar.send('POST', `/api/runs/${runId}/nodes`, { nodes });
    }

    describe('runs', () => {
      it('creates a run (201) with its context, and repeats idempotently for a client id (200)', async () => {
        const id = fresh('run');
        const res = await sidecar.send('POST', '/api/runs', {
          id,
          workflow: 'triage',
          command: ['python3', 'triage.py', 'issue.md'],
          cwd: '/work',
          git: { repo: 'acme/agent', branch: 'main', commit: 'abc123', dirty: true },
          labels: ['nightly'],
          startedAt: '2026-01-01T12:00:00.000Z',
        });
        assert.equal(res.status, 201);
        assert.equal(res.headers.get('location'), `/api/runs/${id}`);
        const run = await readJson(res, Run);
        assert.deepEqual(run, {
          id,
          workflow: 'triage',
          status: 'running',
          startedAt: '2026-01-01T12:00:00.000Z',
          endedAt: null,
          durationMs: null,
          error: null,
          command: ['python3', 'triage.py', 'issue.md'],
          cwd: '/work',
          git: { repo: 'acme/agent', branch: 'main', commit: 'abc123', dirty: true },
          labels: ['nightly'],
          replayOf: null,
          forkedFromNode: null,
          nodeCount: 0,
          tokensIn: 0,
          tokensOut: 0,
          costUsd: 0,
        });
        const again = await sidecar.send('POST', '/api/runs', { id, workflow: 'triage' });
        assert.equal(again.status, 200);
        await expectError(
          await sidecar.send('POST', '/api/runs', { id, workflow: 'other' }),
          409,
          'conflict',
          /is taken by a run of workflow "triage"/,
        );
      });

      it('generates an id when none is given', async () => {
        const run = await createRun();
        assert.match(run.id, /^run_[0-9a-z]+$/);
      });

      it('rejects bad run input precisely', async () => {
        await expectError(await sidecar.send('POST', '/api/runs', {}), 400, 'invalid', /workflow/);
        await expectError(await sidecar.send('POST', '/api/runs', { workflow: 'w', colour: 'red' }), 400, 'invalid', /colour/);
        await expectError(
          await sidecar.send('POST', '/api/runs', { workflow: 'w', id: 'has space' }),
          400,
          'invalid',
          /^Invalid body: id: must be 1-128 characters/,
        );
        await expectError(await sidecar.send('POST', '/api/runs', { workflow: 'w', startedAt: 'yesterday' }), 400, 'invalid', /startedAt/);
        const notJson = await sidecar.request('/api/runs', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"workflow": ',
        });
        await expectError(notJson, 400, 'invalid', /not valid JSON/);
        const wrongType = await sidecar.request('/api/runs', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hi' });
        await expectError(wrongType, 415, 'unsupported_media_type', /application\/json/);
        const empty = await sidecar.request('/api/runs', { method: 'POST', headers: { 'content-type': 'application/json' } });
        await expectError(empty, 400, 'invalid', /empty/);
      });

      it('reads a run with node counts, and 404s an unknown one', async () => {
        const run = await createRun();
        await postNodes(run.id, [
          { id: fresh('n'), kind: 'llm', status: 'ok' },
          { id: fresh('n'), kind: 'tool' },
        ]);
        const detail = await readJson(await sidecar.request(`/api/runs/${run.id}`), RunDetail);
        assert.equal(detail.nodeCount, 2);
        assert.deepEqual(detail.counts, { total: 2, byStatus: { ok: 1, running: 1 }, byKind: { llm: 1, tool: 1 } });
        await expectError(await sidecar.request('/api/runs/nope'), 404, 'not_found', /No run nope/);
        await expectError(await sidecar.request('/api/runs/bad%20id'), 400, 'invalid', /runId/);
      });

      it('finishes a run once; the same status again is a no-op, another is a conflict', async () => {
        const run = await createRun({ startedAt: 1_000 });
        const finished = await readJson(
          await sidecar.send('PATCH', `/api/runs/${run.id}`, { status: 'error', error: { message: 'boom' }, endedAt: 4_000 }),
          Run,
        );
        assert.equal(finished.status, 'error');
        assert.equal(finished.durationMs, 3_000);
        assert.deepEqual(finished.error, { message: 'boom' });
        assert.equal((await sidecar.send('PATCH', `/api/runs/${run.id}`, { status: 'error' })).status, 200);
        await expectError(
          await sidecar.send('PATCH', `/api/runs/${run.id}`, { status: 'ok' }),
          409,
          'conflict',
          /already finished as error/,
        );
        const relabeled = await readJson(await sidecar.send('PATCH', `/api/runs/${run.id}`, { labels: ['flaky'] }), Run);
        assert.deepEqual(relabeled.labels, ['flaky']);
        await expectError(await sidecar.send('PATCH', `/api/runs/${run.id}`, {}), 400, 'invalid', /at least one/);
        await expectError(await sidecar.send('PATCH', `/api/runs/${run.id}`, { status: 'done' }), 400, 'invalid', /status/);
        await expectError(await sidecar.send('PATCH', '/api/runs/nope', { status: 'ok' }), 404, 'not_found');
      });

      it('lists with filters and follows cursors to the end', async () => {
        const workflow = fresh('wf');
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) ids.push((await createRun({ workflow, startedAt: 10_000 + i, labels: i % 2 ? ['odd'] : [] })).id);
        const seen: string[] = [];
        let cursor: string | null = null;
        do {
          const query: string = `/api/runs?workflow=${workflow}&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
          const page = await readJson(await sidecar.request(query), RunPage);
          seen.push(...page.runs.map((r) => r.id));
          cursor = page.nextCursor;
        } while (cursor);
        assert.deepEqual(seen, [...ids].reverse());
        const odd = await readJson(await sidecar.request(`/api/runs?workflow=${workflow}&label=odd`), RunPage);
        assert.equal(odd.runs.length, 2);
        const text = await readJson(await sidecar.request(`/api/runs?q=${workflow.toUpperCase()}&status=running`), RunPage);
        assert.equal(text.runs.length, 5);
        await expectError(await sidecar.request('/api/runs?limit=0'), 400, 'invalid', /limit/);
        await expectError(await sidecar.request('/api/runs?status=maybe'), 400, 'invalid', /status/);
        await expectError(await sidecar.request('/api/runs?cursor=garbage'), 400, 'invalid', /Invalid cursor/);
        await expectError(await sidecar.request('/api/runs?sort=asc'), 400, 'invalid', /sort/);
      });

      it('deletes a run and its nodes', async () => {
        const run = await createRun();
        const nodeId = fresh('n');
        await postNodes(run.id, [{ id: nodeId }]);
        assert.equal((await sidecar.send('DELETE', `/api/runs/${run.id}`)).status, 204);
        await expectError(await sidecar.request(`/api/runs/${run.id}`), 404, 'not_found');
        await expectError(await sidecar.request(`/api/nodes/${nodeId}`), 404, 'not_found');
        await expectError(await sidecar.send('DELETE', `/api/runs/${run.id}`), 404, 'not_found');
      });
    });

    describe('nodes', () => {
      let runId: string;
      const id = (name: string) => `${runId}.${name}`;
      beforeEach(async () => {
        runId = (await createRun()).id;
      });

      it('ingests a batch and answers with what it committed', async () => {
        const res = await postNodes(runId, [
          { id: id('root'), kind: 'step', name: 'plan', seq: 0, input: { goal: 'triage' }, source: { file: 'agent.py', line: 3 } },
          { id: id('llm'), parentId: id('root'), kind: 'llm', name: 'ask', seq: 1, tokensIn: 12, tokensOut: 30, costUsd: 0.001 },
        ]);
        assert.equal(res.status, 200);
        assert.deepEqual(await readJson(res, IngestResponse), { runId, accepted: 2, created: 2 });
        const node = await readJson(await sidecar.request(`/api/nodes/${id('root')}`), Node);
        assert.deepEqual(node.input, { goal: 'triage' });
        assert.deepEqual(node.source, { file: 'agent.py', line: 3, column: null, function: null });
        const run = await readJson(await sidecar.request(`/api/runs/${runId}`), Run);
        assert.equal(run.tokensOut, 30);
      });

      it('returns the tree flat and nested, the path, the subtree and paged children', async () => {
        await postNodes(runId, [
          { id: id('r'), seq: 0 },
          { id: id('a'), parentId: id('r'), seq: 1 },
          { id: id('b'), parentId: id('r'), seq: 2 },
          { id: id('a1'), parentId: id('a'), seq: 3, output: 'x' },
        ]);
        const flat = await readJson(await sidecar.request(`/api/runs/${runId}/tree`), FlatTree);
        assert.deepEqual(
          flat.nodes.map((n) => n.id),
          [id('r'), id('a'), id('b'), id('a1')],
        );
        assert.equal('output' in (flat.nodes[3] ?? {}), false, 'trees carry no payloads');
        const nested = await readJson(await sidecar.request(`/api/runs/${runId}/tree?format=nested`), NestedTree);
        assert.deepEqual(
          nested.roots[0]?.children.map((c) => [c.id, c.children.map((g) => g.id)]),
          [
            [id('a'), [id('a1')]],
            [id('b'), []],
          ],
        );
        const path = await readJson(await sidecar.request(`/api/nodes/${id('a1')}/path`), PathResponse);
        assert.deepEqual(
          path.nodes.map((n) => n.id),
          [id('r'), id('a'), id('a1')],
        );
        const sub = await readJson(await sidecar.request(`/api/nodes/${id('r')}/subtree?depth=1`), SubtreeResponse);
        assert.deepEqual(
          sub.nodes?.map((n) => [n.id, n.depth]),
          [
            [id('r'), 0],
            [id('a'), 1],
            [id('b'), 1],
          ],
        );
        assert.equal(sub.truncated, true);
        const subNested = await readJson(await sidecar.request(`/api/nodes/${id('a')}/subtree?format=nested`), SubtreeResponse);
        assert.equal(subNested.root?.children[0]?.id, id('a1'));
        const page1 = await readJson(await sidecar.request(`/api/nodes/${id('r')}/children?limit=1`), NodePage);
        assert.deepEqual(
          page1.nodes.map((n) => n.id),
          [id('a')],
        );
        const page2 = await readJson(await sidecar.request(`/api/nodes/${id('r')}/children?limit=1&cursor=${page1.nextCursor}`), NodePage);
        assert.deepEqual(
          page2.nodes.map((n) => n.id),
          [id('b')],
        );
        assert.equal(page2.nextCursor, null);
        const roots = await readJson(await sidecar.request(`/api/runs/${runId}/children`), NodePage);
        assert.deepEqual(
          roots.nodes.map((n) => n.id),
          [id('r')],
        );
        await expectError(await sidecar.request(`/api/nodes/${id('r')}/subtree?depth=-1`), 400, 'invalid', /depth/);
        await expectError(await sidecar.request(`/api/runs/${runId}/tree?format=xml`), 400, 'invalid', /format/);
        await expectError(await sidecar.request('/api/nodes/nope/path'), 404, 'not_found', /No node nope/);
        await expectError(await sidecar.request('/api/nodes/nope/subtree'), 404, 'not_found');
        await expectError(await sidecar.request('/api/nodes/nope/children'), 404, 'not_found');
        await expectError(await sidecar.request('/api/runs/nope/tree'), 404, 'not_found');
      });

      it('rejects bad records: 400 naming the field, 404 unknown run, 409 and 422 with details', async () => {
        await expectError(await postNodes(runId, [{ id: id('x'), kind: 'LLM' }]), 400, 'invalid', /nodes\[0\]\.kind/);
        await expectError(await postNodes(runId, [{ id: id('x'), tokensIn: -1 }]), 400, 'invalid', /nodes\[0\]\.tokensIn/);
        await expectError(await postNodes(runId, [{ name: 'no id' }]), 400, 'invalid', /nodes\[0\]\.id/);
        await expectError(await postNodes(runId, [{ id: id('x'), status: 'done' }]), 400, 'invalid', /nodes\[0\]\.status/);
        await expectError(await postNodes(runId, []), 400, 'invalid', /nodes/);
        await expectError(await sidecar.send('POST', `/api/runs/${runId}/nodes`, [{ id: 'a' }]), 400, 'invalid');
        await expectError(await postNodes('no-such-run', [{ id: id('x') }]), 404, 'not_found', /No run no-such-run/);

        await postNodes(runId, [{ id: id('p1') }, { id: id('p2') }, { id: id('c'), parentId: id('p1') }]);
        const conflict = await expectError(await postNodes(runId, [{ id: id('c'), parentId: id('p2') }]), 409, 'conflict', /immutable/);
        assert.deepEqual(conflict.error.details, {
          records: [
            {
              index: 0,
              id: id('c'),
              reason: `parentId of node ${id('c')} is immutable: it was reported under ${id('p1')}, now under ${id('p2')}`,
            },
          ],
        });
        await expectError(await postNodes(runId, [{ id: id('p1'), parentId: id('c') }]), 409, 'conflict');
        const other = await createRun();
        await expectError(await postNodes(other.id, [{ id: fresh('o'), parentId: id('p1') }]), 422, 'unprocessable', /is in run/);
      });

      it('rejects a payload over the field limit with 413 naming the field and the limit', async () => {
        const big = 'x'.repeat(300 * 1024);
        const body = await expectError(
          await postNodes(runId, [{ id: id('ok') }, { id: id('big'), output: big }]),
          413,
          'payload_too_large',
        );
        assert.match(
          body.error.message,
          /^nodes\[1\]\.output of node .*big is 307,202 bytes as JSON; the limit is 262,144 bytes \(RUNTRAIL_MAX_FIELD_BYTES\)/,
        );
        await expectError(await sidecar.request(`/api/nodes/${id('ok')}`), 404, 'not_found', undefined);
      });

      it('searches and aggregates', async () => {
        const workflow = fresh('stats');
        const run = await createRun({ workflow });
        await postNodes(run.id, [
          { id: `${run.id}.s1`, name: 'fetch weather', kind: 'tool', status: 'error', error: 'timeout' },
          { id: `${run.id}.s2`, name: 'summarize', kind: 'llm', tokensIn: 5, tokensOut: 7 },
        ]);
        await sidecar.send('PATCH', `/api/runs/${run.id}`, { status: 'ok' });
        const hits = await readJson(await sidecar.request(`/api/search?q=WEATHER&workflow=${workflow}`), SearchResponse);
        assert.deepEqual(
          hits.nodes.map((n) => [n.id, n.workflow]),
          [[`${run.id}.s1`, workflow]],
        );
        const byKind = await readJson(await sidecar.request(`/api/search?kind=llm&runId=${run.id}`), SearchResponse);
        assert.deepEqual(
          byKind.nodes.map((n) => n.id),
          [`${run.id}.s2`],
        );
        const stats = await readJson(await sidecar.request(`/api/stats?workflow=${workflow}`), StatsResponse);
        assert.equal(stats.workflows.length, 1);
        assert.equal(stats.workflows[0]?.runs, 1);
        assert.equal(stats.workflows[0]?.errorRate, 0);
        assert.equal(stats.workflows[0]?.tokensOut, 7);
        await expectError(await sidecar.request('/api/search?kind=BAD'), 400, 'invalid', /kind/);
        await expectError(await sidecar.request('/api/stats?since=tomorrow'), 400, 'invalid', /since/);
      });

      it("keeps the original plan's routes as aliases", async () => {
        const legacyRun = fresh('legacy');
        const res = await sidecar.send('POST', '/api/workflow/node', {
          workflowId: legacyRun,
          id: `${legacyRun}.n1`,
          name: 'first',
          output: 42,
        });
        assert.equal(res.status, 201);
        assert.equal((await readJson(res, Node)).output, 42);
        await sidecar.send('POST', '/api/workflow/node', { workflowId: legacyRun, id: `${legacyRun}.n2`, parentId: `${legacyRun}.n1` });
        const node = await readJson(await sidecar.request(`/api/workflow/node/${legacyRun}.n2`), Node);
        assert.equal(node.parentId, `${legacyRun}.n1`);
        const tree = await readJson(await sidecar.request(`/api/workflow/tree/${legacyRun}`), NestedTree);
        assert.equal(tree.roots[0]?.children[0]?.id, `${legacyRun}.n2`);
        await expectError(await sidecar.request('/api/workflow/tree/nope'), 404, 'not_found');
        await expectError(await sidecar.send('POST', '/api/workflow/node', { id: 'x' }), 400, 'invalid', /workflowId/);
      });
    });

    it('serves an OpenAPI 3.1 document generated from the schemas, without a token', async () => {
      const res = await sidecar.request('/api/openapi.json', { auth: false });
      assert.equal(res.status, 200);
      const doc = (await res.json()) as {
        openapi: string;
        paths: Record<string, Record<string, { requestBody?: unknown; parameters?: Array<{ name: string }> }>>;
      };
      assert.equal(doc.openapi, '3.1.0');
      assert.ok(doc.paths['/api/runs/{runId}/nodes']?.post?.requestBody, 'ingest documents its body');
      assert.deepEqual(
        doc.paths['/api/nodes/{id}/subtree']?.get?.parameters?.map((p) => p.name),
        ['id', 'depth', 'limit', 'format'],
      );
      assert.ok(doc.paths['/v1/traces']?.post?.requestBody, 'the OTLP route is documented too');
      assert.ok(doc.paths['/api/import']?.post, 'bundle import is documented');
    });
  });
}
