import * as assert from 'node:assert/strict';
import { ImportResponse } from '../../../protocol/bundle';
import { ErrorBody } from '../../../protocol/errors';
import { FlatTree, Node, RunDetail } from '../../../protocol/runs';
import { neo4jService } from '../../fixtures/services/testServices';
import { readJson, startTestSidecar, type TestSidecar } from '../../fixtures/sidecarApp';
import type { StoreKind } from '../../fixtures/stores';
import { seedRichRun, withoutExportedAt } from './bundleRun';

/**
 * Run bundles over HTTP on both stores: GET /api/runs/:id/export and POST /api/import, the
 * lossless round trip SQLite <-> Neo4j, idempotent re-import, conflicts, redaction, and malformed
 * bundles (400 naming the line, nothing written).
 */

async function sidecarOn(kind: StoreKind): Promise<TestSidecar> {
  const sidecar =
    kind === 'sqlite'
      ? await startTestSidecar()
      : await neo4jService().then((neo4j) =>
          startTestSidecar({ NEO4J_URI: neo4j.uri, NEO4J_USER: neo4j.user, NEO4J_PASSWORD: neo4j.password }),
        );
  for (let i = 0; i < 120 && (await sidecar.request('/api/runs')).status === 503; i++) await new Promise((r) => setTimeout(r, 250));
  return sidecar;
}

async function exportText(sidecar: TestSidecar, runId: string, query = ''): Promise<string> {
  const res = await sidecar.request(`/api/runs/${runId}/export${query}`);
  assert.equal(res.status, 200, await res.clone().text());
  return res.text();
}

function importBody(sidecar: TestSidecar, body: string, query = '', type = 'application/x-ndjson'): Promise<Response> {
  return sidecar.request(`/api/import${query}`, { method: 'POST', headers: { 'content-type': type }, body });
}

async function expectError(res: Response, status: number, code: string, message?: RegExp) {
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${await res.clone().text()}`);
  const body = await readJson(res, ErrorBody);
  assert.equal(body.error.code, code);
  if (message) assert.match(body.error.message, message);
  return body;
}

const lines = (text: string) => text.trimEnd().split('\n');
const parseLines = (text: string) => lines(text).map((line) => JSON.parse(line) as Record<string, unknown>);

describe('Run bundles (export / import, SQLite and Neo4j)', function () {
  this.timeout(120_000);
  const stores: Record<StoreKind, TestSidecar> = {} as Record<StoreKind, TestSidecar>;
  const suffix = Date.now().toString(36);
  let counter = 0;
  const fresh = (prefix: string) => `${prefix}-${suffix}-${counter++}`;

  before(async () => {
    stores.sqlite = await sidecarOn('sqlite');
    stores.neo4j = await sidecarOn('neo4j');
  });
  after(async () => {
    await stores.sqlite?.close();
    await stores.neo4j?.close();
  });

  for (const kind of ['sqlite', 'neo4j'] as const) {
    it(`exports every field of a run as JSON Lines in the documented order (${kind})`, async () => {
      const sidecar = stores[kind];
      const runId = fresh(`rich-${kind}`);
      const p = `${runId}.`;
      await seedRichRun(sidecar, runId, p);
      const res = await sidecar.request(`/api/runs/${runId}/export`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^application\/x-ndjson/);
      assert.equal(res.headers.get('content-disposition'), `attachment; filename="${runId}.runtrail.jsonl"`);
      const [header, run, ...rest] = parseLines(await res.text());
      assert.equal(header?.format, 'runtrail-bundle');
      assert.equal(header?.version, 1);
      assert.match(String(header?.producer), /^runtrail \S+$/);
      assert.deepEqual(header?.redacted, []);
      assert.deepEqual(run, {
        type: 'run',
        run: {
          id: runId,
          workflow: 'triage ✓',
          status: 'error',
          startedAt: '2026-01-01T12:00:00.000Z',
          endedAt: '2026-01-01T12:00:03.000Z',
          error: { message: 'run failed', stack: 'Error: run failed\n    at main (triage.py:30)', apiKey: 'sk-run' },
          command: ['python3', 'triage.py', '--issue', 'naïve "quoted"'],
          cwd: '/work/agent',
          git: { repo: 'git@example.com:acme/agent.git', branch: 'feature/ünïcode', commit: 'abc123def456', dirty: true },
          labels: ['nightly', 'bundle'],
          replayOf: 'run-original-elsewhere',
          forkedFromNode: 'node-of-the-original',
        },
      });
      const nodes = rest.filter((l) => l.type === 'node').map((l) => l.node as Record<string, unknown>);
      const edges = rest.filter((l) => l.type === 'edge').map((l) => l.edge);
      assert.deepEqual(
        nodes.map((n) => n.id),
        ['root', 'llm', 'choice', 'tool', 'orphan'].map((id) => p + id),
        'seq order; the placeholder has no line',
      );
      assert.deepEqual(nodes[1], {
        id: `${p}llm`,
        parentId: `${p}root`,
        key: '/triage#0/classify#0',
        kind: 'llm',
        name: 'classify',
        status: 'ok',
        seq: 1,
        startedAt: '2026-01-01T12:00:00.200Z',
        endedAt: '2026-01-01T12:00:01.450Z',
        input: [{ role: 'user', content: 'Ünïcödé — "quotes" \\ backslash\nnewline' }],
        output: { label: 'bug', confidence: 0.93, password: 'hunter2' },
        attributes: { model: 'gpt-x', temperature: 0 },
        tokensIn: 120,
        tokensOut: 35,
        costUsd: 0.00123,
        source: { file: 'triage.py', line: 20, column: null, function: null },
        replayed: false,
        diverged: false,
      });
      assert.equal(nodes[3]?.input, null, 'a recorded null stays');
      assert.ok('input' in (nodes[3] ?? {}));
      assert.ok(!('input' in (nodes[2] ?? {})), 'a payload never recorded is left out');
      assert.deepEqual(nodes[3]?.error, {
        message: 'tests failed',
        type: 'AssertionError',
        stack: 'AssertionError: tests failed\n    at run (tests.py:3)',
      });
      assert.equal(nodes[2]?.replayed, true);
      assert.equal(nodes[3]?.diverged, true);
      assert.deepEqual(edges, [
        { type: 'CHILD_OF', from: `${p}llm`, to: `${p}root` },
        { type: 'CHILD_OF', from: `${p}choice`, to: `${p}root` },
        { type: 'CHILD_OF', from: `${p}tool`, to: `${p}root` },
        { type: 'CHILD_OF', from: `${p}orphan`, to: `${p}ghost` },
        { type: 'NEXT', from: `${p}llm`, to: `${p}choice` },
        { type: 'NEXT', from: `${p}choice`, to: `${p}tool` },
        { type: 'REPLAY_OF', from: runId, to: 'run-original-elsewhere' },
        { type: 'FORKED_AT', from: runId, to: 'node-of-the-original' },
      ]);
      await expectError(await sidecar.request('/api/runs/no-such-run/export'), 404, 'not_found', /No run no-such-run/);
    });
  }

  for (const [from, to] of [
    ['sqlite', 'neo4j'],
    ['neo4j', 'sqlite'],
  ] as const) {
    it(`round-trips ${from} -> ${to} -> export losslessly (same bytes but exportedAt)`, async () => {
      const runId = fresh(`trip-${from}`);
      await seedRichRun(stores[from], runId, `${runId}.`);
      const first = await exportText(stores[from], runId);
      const imported = await importBody(stores[to], first);
      assert.equal(imported.status, 201, await imported.clone().text());
      assert.deepEqual(await readJson(imported, ImportResponse), { runId, nodes: 5, edges: 8 });
      assert.equal(imported.headers.get('location'), `/api/runs/${runId}`);
      const second = await exportText(stores[to], runId);
      assert.equal(withoutExportedAt(second), withoutExportedAt(first));

      // What users see is the same too: the tree (placeholder included), counts and sums.
      const treeA = await readJson(await stores[from].request(`/api/runs/${runId}/tree`), FlatTree);
      const treeB = await readJson(await stores[to].request(`/api/runs/${runId}/tree`), FlatTree);
      assert.deepEqual(treeB, treeA);
      const detailB = await readJson(await stores[to].request(`/api/runs/${runId}`), RunDetail);
      assert.equal(detailB.nodeCount, 6, 'five nodes and the placeholder');
      assert.equal(detailB.tokensIn, 120);
      assert.equal(detailB.durationMs, 3000);
      const node = await readJson(await stores[to].request(`/api/nodes/${runId}.root`), Node);
      assert.deepEqual(node.input, {
        issue: 'Crash on 日本語 input 🚀',
        nested: { deep: [1, 2.5, { apiKey: 'sk-secret', ok: true }], empty: {} },
      });

      // Importing the same bundle again changes nothing.
      const again = await importBody(stores[to], first);
      assert.equal(again.status, 200, await again.clone().text());
      assert.deepEqual(await readJson(again, ImportResponse), { runId, nodes: 5, edges: 8 });
    });
  }

  it('answers 409 for another run under the id, and imports it under ?as=<newRunId>', async () => {
    const sidecar = stores.sqlite;
    const runId = fresh('taken');
    await seedRichRun(sidecar, runId, `${runId}.`);
    const text = await exportText(sidecar, runId);
    // The same run id with other content.
    const changed = text.replace('"name":"classify"', '"name":"classify-v2"');
    await expectError(await importBody(sidecar, changed), 409, 'conflict', /already exists with other content: .*\?as=<newRunId>/);
    const copyId = fresh('copy');
    const res = await importBody(sidecar, changed, `?as=${copyId}`);
    assert.equal(res.status, 201, await res.clone().text());
    assert.deepEqual(await readJson(res, ImportResponse), { runId: copyId, nodes: 5, edges: 8 });
    const tree = await readJson(await sidecar.request(`/api/runs/${copyId}/tree`), FlatTree);
    assert.deepEqual(
      tree.nodes.map((n) => n.id).sort(),
      ['root', 'llm', 'choice', 'tool', 'orphan', 'ghost'].map((id) => `${copyId}:${runId}.${id}`).sort(),
    );
    assert.equal(tree.run.replayOf, 'run-original-elsewhere', 'replayOf still names the original');
    assert.equal(tree.nodes.find((n) => n.name === 'classify-v2')?.parentId, `${copyId}:${runId}.root`);
    // Same again under the same new id: idempotent.
    assert.equal((await importBody(sidecar, changed, `?as=${copyId}`)).status, 200);
  });

  it('redacts the values of the named keys at any depth and lists them in the header', async () => {
    const sidecar = stores.neo4j;
    const runId = fresh('redact');
    await seedRichRun(sidecar, runId, `${runId}.`);
    const [header, run, root, llm] = parseLines(await exportText(sidecar, runId, '?redact=apiKey,password, stack'));
    assert.deepEqual(header?.redacted, ['apiKey', 'password', 'stack']);
    const runError = ((run as { run: unknown }).run as { error: Record<string, unknown> }).error;
    assert.deepEqual(runError, { message: 'run failed', stack: '[redacted]', apiKey: '[redacted]' });
    assert.deepEqual(((root as { node: unknown }).node as { input: unknown }).input, {
      issue: 'Crash on 日本語 input 🚀',
      nested: { deep: [1, 2.5, { apiKey: '[redacted]', ok: true }], empty: {} },
    });
    assert.deepEqual(((llm as { node: unknown }).node as { output: unknown }).output, {
      label: 'bug',
      confidence: 0.93,
      password: '[redacted]',
    });
    // The stored run is untouched.
    const node = await readJson(await sidecar.request(`/api/nodes/${runId}.llm`), Node);
    assert.deepEqual(node.output, { label: 'bug', confidence: 0.93, password: 'hunter2' });
  });

  describe('malformed bundles: 400 naming the line and field, nothing written', () => {
    let good: string[];
    let runId: string;
    before(async () => {
      runId = fresh('source');
      await seedRichRun(stores.sqlite, runId, `${runId}.`);
      good = lines(await exportText(stores.sqlite, runId));
    });

    async function rejects(bundleLines: string[], status: number, code: string, message: RegExp, target = stores.neo4j) {
      const body = await expectError(await importBody(target, `${bundleLines.join('\n')}\n`), status, code, message);
      const res = await target.request(`/api/runs/${runId}`);
      assert.equal(res.status, 404, 'nothing was written');
      return body;
    }
    const replaceLine = (index: number, line: string) => good.map((l, i) => (i === index ? line : l));
    const edit = (index: number, change: (value: Record<string, unknown>) => void) => {
      const value = JSON.parse(good[index] as string) as Record<string, unknown>;
      change(value);
      return replaceLine(index, JSON.stringify(value));
    };

    it('rejects a line that is not JSON, a missing field, a wrong type', async () => {
      await rejects(replaceLine(3, '{"type":"node",'), 400, 'invalid', /^Invalid bundle: line 4: not JSON/);
      const body = await rejects(
        edit(4, (v) => {
          delete (v.node as Record<string, unknown>).kind;
        }),
        400,
        'invalid',
        /^Invalid bundle: line 5: node\.kind: /,
      );
      assert.deepEqual(body.error.details, { line: 5, field: 'node.kind' });
      await rejects(
        edit(2, (v) => {
          (v.node as Record<string, unknown>).seq = 'first';
        }),
        400,
        'invalid',
        /line 3: node\.seq:/,
      );
      await rejects(
        edit(1, (v) => {
          (v.run as Record<string, unknown>).startedAt = 'yesterday';
        }),
        400,
        'invalid',
        /line 2: run\.startedAt:/,
      );
      await rejects(['{"hello":"world"}'], 400, 'invalid', /line 1: not a Runtrail bundle/);
      await rejects([good[0] as string], 400, 'invalid', /line 2: the run line is missing/);
    });

    it('rejects an unknown version, saying which are supported', async () => {
      await rejects(
        edit(0, (v) => {
          v.version = 2;
        }),
        400,
        'invalid',
        /line 1: bundle version 2 is not supported: this Runtrail reads version 1/,
      );
    });

    it('rejects edges that contradict the nodes, duplicate ids and cycles', async () => {
      const edgeIndex = good.findIndex((l) => l.includes('"CHILD_OF"'));
      await rejects(
        replaceLine(edgeIndex, JSON.stringify({ type: 'edge', edge: { type: 'CHILD_OF', from: `${runId}.llm`, to: `${runId}.tool` } })),
        400,
        'invalid',
        new RegExp(`line ${edgeIndex + 1}: edge CHILD_OF ${runId}\\.llm -> ${runId}\\.tool contradicts`),
      );
      await rejects([...good.slice(0, 4), good[3] as string, ...good.slice(4)], 400, 'invalid', /line 5: node\.id .* repeats line 4/);
      const cyclic = edit(2, (v) => {
        (v.node as Record<string, unknown>).parentId = `${runId}.llm`;
      }).filter((l) => !l.includes('"type":"edge"'));
      await rejects(cyclic, 400, 'invalid', /cycle/);
      // Edges are optional: the nodes alone import.
      const res = await importBody(
        stores.neo4j,
        `${good.filter((l) => !l.includes('"type":"edge"')).join('\n')}\n`,
        `?as=${fresh('noedges')}`,
      );
      assert.equal(res.status, 201, await res.clone().text());
    });

    it('rejects another content type (415)', async () => {
      await expectError(await importBody(stores.neo4j, good.join('\n'), '', 'application/json'), 415, 'unsupported_media_type', /x-ndjson/);
    });

    it('cleans up when a write fails halfway (node ids taken by another run: 409)', async () => {
      const sidecar = stores.sqlite;
      const bigId = fresh('big');
      const created = await sidecar.send('POST', '/api/runs', { id: bigId, workflow: 'wide' });
      assert.equal(created.status, 201);
      const nodes = Array.from({ length: 1_500 }, (_, i) => ({ id: `${bigId}-n${i}`, kind: 'step', name: `n${i}`, seq: i, status: 'ok' }));
      assert.equal((await sidecar.send('POST', `/api/runs/${bigId}/nodes`, { nodes })).status, 200);
      const text = await exportText(sidecar, bigId);
      // Another run owns node n1200 in the target: the second ingest chunk fails.
      const target = stores.neo4j;
      const otherId = fresh('owner');
      assert.equal((await target.send('POST', '/api/runs', { id: otherId, workflow: 'other' })).status, 201);
      assert.equal((await target.send('POST', `/api/runs/${otherId}/nodes`, { nodes: [{ id: `${bigId}-n1200` }] })).status, 200);
      await expectError(await importBody(target, text), 409, 'conflict', /node ids are unique across runs: .*\?as=/);
      assert.equal((await target.request(`/api/runs/${bigId}`)).status, 404, 'the half-imported run was removed');
      assert.equal((await target.request(`/api/nodes/${bigId}-n0`)).status, 404, 'with its nodes');
    });
  });

  it('exports and imports a 50,000-node run', async function () {
    this.timeout(300_000);
    const source = stores.sqlite;
    const runId = fresh('huge');
    assert.equal((await source.send('POST', '/api/runs', { id: runId, workflow: 'huge' })).status, 201);
    for (let batch = 0; batch < 5; batch++) {
      const nodes = Array.from({ length: 10_000 }, (_, j) => {
        const i = batch * 10_000 + j;
        return {
          id: `${runId}-${i}`,
          parentId: i === 0 ? null : `${runId}-${Math.floor((i - 1) / 10)}`,
          kind: 'step',
          name: `step ${i}`,
          seq: i,
          status: 'ok',
          input: { i, text: 'x'.repeat(40) },
        };
      });
      const res = await source.send('POST', `/api/runs/${runId}/nodes`, { nodes });
      assert.equal(res.status, 200, await res.clone().text());
    }
    const text = await exportText(source, runId);
    const all = lines(text);
    assert.equal(all.filter((l) => l.startsWith('{"type":"node"')).length, 50_000);
    // CHILD_OF for every node but the root; NEXT within each of the 5,001 sibling groups.
    assert.equal(all.filter((l) => l.startsWith('{"type":"edge"')).length, 49_999 + (50_000 - 5_001));
    const target = stores.neo4j;
    const res = await importBody(target, text);
    assert.equal(res.status, 201, await res.clone().text());
    const body = await readJson(res, ImportResponse);
    assert.equal(body.nodes, 50_000);
    assert.equal(withoutExportedAt(await exportText(target, runId)), withoutExportedAt(text));
  });
});
