import * as assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { FlatTree, Node, NodePage, type NodeSummary, Run, RunPage } from '../../../protocol/runs';
import { decodeTraceRequest } from '../../../sidecar/otlp/otlpProto';
import { ProtoReader } from '../../../sidecar/otlp/protoWire';
import { agentTrace, captureExport, emitAgentTrace, hexId, jsonRequest, postTraces, type SpanSpec } from '../../fixtures/otlp/otlpBuilders';
import { neo4jService } from '../../fixtures/services/testServices';
import { readJson, startTestSidecar, type TestSidecar } from '../../fixtures/sidecarApp';
import { storeKinds } from '../../fixtures/stores';

/**
 * POST /v1/traces against a real sidecar on both stores: JSON, protobuf (the real JS exporter's
 * bytes), gzip, malformed bodies (400, nothing written), partial success, one trace spread out of
 * order over several requests, a 10,000-span trace, and spans sent into an existing run.
 */

const maxBodyBytes = 8 * 1024 * 1024;

for (const kind of storeKinds) {
  describe(`OTLP ingest (${kind} store)`, function () {
    this.timeout(120_000);
    let sidecar: TestSidecar;
    const post = (body: unknown, options?: Parameters<typeof postTraces>[3]) => postTraces(sidecar.url, sidecar.token, body, options);

    before(async () => {
      const env: Record<string, string> = { RUNTRAIL_MAX_BODY_BYTES: String(maxBodyBytes) };
      if (kind === 'neo4j') {
        const neo4j = await neo4jService();
        Object.assign(env, { NEO4J_URI: neo4j.uri, NEO4J_USER: neo4j.user, NEO4J_PASSWORD: neo4j.password });
      }
      sidecar = await startTestSidecar(env);
      for (let i = 0; i < 120 && (await sidecar.request('/api/runs')).status === 503; i++) {
        await new Promise((r) => setTimeout(r, 250));
      }
    });
    after(async () => {
      await sidecar?.close();
    });

    async function getRun(runId: string): Promise<Run> {
      const res = await sidecar.request(`/api/runs/${runId}`);
      assert.equal(res.status, 200, await res.clone().text());
      return readJson(res, Run);
    }
    async function tree(runId: string): Promise<NodeSummary[]> {
      const res = await sidecar.request(`/api/runs/${runId}/tree`);
      assert.equal(res.status, 200, await res.clone().text());
      return (await readJson(res, FlatTree)).nodes;
    }
    async function runCount(): Promise<number> {
      const page = await readJson(await sidecar.request('/api/runs?limit=200'), RunPage);
      return page.runs.length;
    }
    async function expectOk(res: Response): Promise<unknown> {
      const text = await res.text();
      assert.equal(res.status, 200, text);
      return text === '' ? {} : JSON.parse(text);
    }

    const t0 = Date.now() - 60_000;

    it('records a JSON export: one run per trace, a node per span, events as log nodes, the run finished by its root', async () => {
      const a = hexId(16);
      const b = hexId(16);
      const [root, chat, tool] = [hexId(8), hexId(8), hexId(8)];
      const other = hexId(8);
      const spans: SpanSpec[] = [
        {
          traceId: a,
          spanId: chat,
          parentSpanId: root,
          name: 'chat',
          startMs: t0 + 10,
          endMs: t0 + 20,
          attributes: {
            'gen_ai.operation.name': 'chat',
            'gen_ai.request.model': 'm1',
            'gen_ai.usage.input_tokens': 30,
            'gen_ai.usage.output_tokens': 5,
            'code.file.path': '/src/agent.ts',
            'code.line.number': 12,
          },
        },
        {
          traceId: a,
          spanId: tool,
          parentSpanId: root,
          name: 'search',
          startMs: t0 + 30,
          endMs: t0 + 40,
          attributes: { 'gen_ai.operation.name': 'execute_tool' },
          events: [{ name: 'cache miss', timeMs: t0 + 35 }],
          status: { code: 2, message: 'no results' },
        },
        { traceId: a, spanId: root, name: 'agent', startMs: t0, endMs: t0 + 50, attributes: { 'gen_ai.operation.name': 'invoke_agent' } },
        { traceId: b, spanId: other, name: 'other trace', startMs: t0 + 5, endMs: t0 + 6 },
      ];
      assert.deepEqual(await expectOk(await post(jsonRequest(spans, { 'service.name': 'json-agent' }))), {});

      const run = await getRun(a);
      assert.equal(run.workflow, 'json-agent');
      assert.equal(run.status, 'ok');
      assert.equal(run.startedAt, new Date(t0).toISOString());
      assert.equal(run.endedAt, new Date(t0 + 50).toISOString());
      assert.equal(run.tokensIn, 30);
      assert.equal(run.tokensOut, 5);
      const nodes = await tree(a);
      const byName = new Map(nodes.map((n) => [n.name, n]));
      assert.deepEqual(
        nodes.map((n) => [n.name, n.kind, n.status, n.parentId === null ? null : nodes.find((p) => p.id === n.parentId)?.name]),
        [
          ['agent', 'agent', 'ok', null],
          ['chat', 'llm', 'ok', 'agent'],
          ['search', 'tool', 'error', 'agent'],
          ['cache miss', 'log', 'ok', 'search'],
        ],
      );
      assert.equal(byName.get('chat')?.id, `${a}-${chat}`);
      assert.deepEqual(byName.get('chat')?.source, { file: '/src/agent.ts', line: 12, column: null, function: null });
      assert.deepEqual(byName.get('search')?.error, { message: 'no results' });
      assert.equal((await getRun(b)).workflow, 'json-agent');

      const node = await readJson(await sidecar.request(`/api/nodes/${a}-${chat}`), Node);
      assert.equal(node.attributes?.model, 'm1');
      assert.equal(node.tokensIn, 30);
    });

    it('records the real JS protobuf exporter, gzip or not, and answers in protobuf', async () => {
      const bodies = await captureExport('protobuf', emitAgentTrace, { 'service.name': 'proto-agent' });
      const traceId = decodeTraceRequest(bodies[0]?.body as Buffer).resourceSpans[0]?.scopeSpans[0]?.spans[0]?.traceId as string;
      for (const [i, body] of bodies.entries()) {
        const res = await post(body.body, { gzip: i % 2 === 0 });
        assert.equal(res.status, 200, await res.clone().text());
        assert.equal(res.headers.get('content-type'), 'application/x-protobuf');
        assert.equal((await res.arrayBuffer()).byteLength, 0, 'full success is an empty ExportTraceServiceResponse');
      }
      const run = await getRun(traceId);
      assert.equal(run.workflow, 'proto-agent');
      assert.equal(run.status, 'ok');
      assert.equal(run.tokensIn, 120);
      const nodes = await tree(traceId);
      const byName = new Map(nodes.map((n) => [n.name, n]));
      assert.equal(byName.get(agentTrace.root)?.kind, 'agent');
      assert.deepEqual(byName.get(agentTrace.root)?.source, { file: agentTrace.sourceFile, line: 10, column: null, function: 'agent.run' });
      assert.equal(byName.get(agentTrace.chat)?.kind, 'llm');
      assert.deepEqual(byName.get(agentTrace.chat)?.source, { file: agentTrace.sourceFile, line: 20, column: 5, function: 'plan' });
      assert.equal(byName.get(agentTrace.failing)?.status, 'error');
      assert.equal((byName.get(agentTrace.failing)?.error as { type?: string } | undefined)?.type, 'TypeError');
      assert.equal(byName.get('exception')?.status, 'error');
      assert.equal(nodes.filter((n) => n.placeholder).length, 0);
    });

    it('answers 400 for undecodable bodies and writes nothing', async () => {
      const before = await runCount();
      const good = jsonRequest([{ traceId: hexId(16), spanId: hexId(8), name: 'ok', startMs: t0, endMs: t0 + 1 }]) as {
        resourceSpans: unknown[];
      };
      // A valid first resource, then a broken second one: nothing of the request is written.
      const mixed = { resourceSpans: [...good.resourceSpans, { scopeSpans: [{ spans: [{ traceId: 42 }] }] }] };
      const cases: Array<[unknown, Parameters<typeof postTraces>[3]]> = [
        [mixed, {}],
        ['{not json', {}],
        ['', {}],
        [Buffer.from([0x0a, 0x50, 0x01]), {}],
        [Buffer.from('definitely not gzip'), { contentType: 'application/x-protobuf' }],
      ];
      for (const [body, options] of cases) {
        const res = await post(body, options);
        const error = (await res.json()) as { error: { code: string; message: string } };
        assert.equal(res.status, 400, JSON.stringify(error));
        assert.equal(error.error.code, 'invalid');
      }
      const notGzip = await fetch(`${sidecar.url}/v1/traces`, {
        method: 'POST',
        headers: { authorization: `Bearer ${sidecar.token}`, 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body: '{}',
      });
      assert.equal(notGzip.status, 400);
      assert.match(((await notGzip.json()) as { error: { message: string } }).error.message, /not valid gzip/);
      assert.equal(await runCount(), before);
    });

    it('answers 401 without the token, 415 for other content types, 413 for a gzip bomb', async () => {
      const body = jsonRequest([{ traceId: hexId(16), spanId: hexId(8), name: 'x', startMs: t0, endMs: t0 + 1 }]);
      assert.equal((await post(body, { token: null })).status, 401);
      assert.equal((await post(body, { token: 'wrong' })).status, 401);
      assert.equal((await post(body, { contentType: 'text/plain' })).status, 415);
      const bomb = gzipSync(Buffer.alloc(maxBodyBytes * 2));
      assert.ok(bomb.length < maxBodyBytes);
      const res = await fetch(`${sidecar.url}/v1/traces`, {
        method: 'POST',
        headers: { authorization: `Bearer ${sidecar.token}`, 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' },
        body: bomb,
      });
      assert.equal(res.status, 413);
      assert.match(((await res.json()) as { error: { message: string } }).error.message, /decompressed request body/);
    });

    it('takes the good spans and reports the rest as partial success', async () => {
      const traceId = hexId(16);
      const root = hexId(8);
      const body = jsonRequest([
        { traceId, spanId: root, name: 'root', startMs: t0, endMs: t0 + 10 },
        { traceId, spanId: hexId(8), parentSpanId: root, name: 'child', startMs: t0 + 1, endMs: t0 + 2 },
        { traceId: 'abc', spanId: hexId(8), name: 'bad trace id', startMs: t0, endMs: t0 + 1 },
        { traceId, spanId: hexId(8), parentSpanId: root, name: 'backwards', startMs: t0 + 5, endMs: t0 + 1 },
        { traceId, spanId: hexId(8), parentSpanId: root, name: '', startMs: t0 + 5, endMs: t0 + 6 },
      ]);
      const answer = (await expectOk(await post(body))) as { partialSuccess: { rejectedSpans: string; errorMessage: string } };
      assert.equal(answer.partialSuccess.rejectedSpans, '3');
      assert.match(answer.partialSuccess.errorMessage, /invalid traceId "abc"/);
      assert.match(answer.partialSuccess.errorMessage, /before it starts/);
      assert.match(answer.partialSuccess.errorMessage, /has no name/);
      assert.deepEqual((await tree(traceId)).map((n) => n.name).sort(), ['child', 'root']);

      // The same in protobuf: the response is an ExportTraceServiceResponse with partial_success.
      const protoBodies = await captureExport('protobuf', (tracer) => tracer.startSpan('fine').end());
      const withBadRun = await captureExport('protobuf', (tracer) => tracer.startSpan('lost').end(), {
        'runtrail.run.id': 'run_does_not_exist',
      });
      const res = await post(Buffer.concat([protoBodies[0]?.body as Buffer, withBadRun[0]?.body as Buffer]));
      assert.equal(res.status, 200);
      const reader = new ProtoReader(Buffer.from(await res.arrayBuffer()));
      assert.deepEqual(reader.tag(), { number: 1, wireType: 2 });
      const partial = reader.message();
      assert.deepEqual(partial.tag(), { number: 1, wireType: 0 });
      assert.equal(partial.varint(), 1n);
      partial.tag();
      assert.match(partial.string(), /no run run_does_not_exist/);
    });

    it('leaves no empty run behind when the store refuses every span of a new trace', async () => {
      const traceId = hexId(16);
      const spanId = hexId(8);
      // The span's node id already belongs to another run: the store refuses it (cross-run).
      const other = await sidecar.send('POST', '/api/runs', { workflow: 'squatter' });
      const otherId = ((await other.json()) as { id: string }).id;
      const taken = await sidecar.send('POST', `/api/runs/${otherId}/nodes`, { nodes: [{ id: `${traceId}-${spanId}`, name: 'taken' }] });
      assert.equal(taken.status, 200, await taken.clone().text());
      const answer = (await expectOk(await post(jsonRequest([{ traceId, spanId, name: 'root', startMs: t0, endMs: t0 + 1 }])))) as {
        partialSuccess: { rejectedSpans: string };
      };
      assert.equal(answer.partialSuccess.rejectedSpans, '1');
      assert.equal((await sidecar.request(`/api/runs/${traceId}`)).status, 404, 'the trace run made for the refused span is gone');
    });

    it('merges one trace sent out of order over three requests into one run with the right tree', async () => {
      const traceId = hexId(16);
      const [root, a, b, a1, late] = [hexId(8), hexId(8), hexId(8), hexId(8), hexId(8)];
      // Grandchild first, then the root (which finishes the run), then the children, then a straggler.
      await expectOk(await post(jsonRequest([{ traceId, spanId: a1, parentSpanId: a, name: 'a1', startMs: t0 + 2, endMs: t0 + 3 }])));
      assert.equal((await getRun(traceId)).status, 'running');
      const placeholders = (await tree(traceId)).filter((n) => n.placeholder);
      assert.deepEqual(
        placeholders.map((n) => n.id),
        [`${traceId}-${a}`],
      );
      await expectOk(
        await post(
          jsonRequest([
            { traceId, spanId: root, name: 'root', startMs: t0, endMs: t0 + 100, status: { code: 2, message: 'failed at the end' } },
          ]),
        ),
      );
      const finished = await getRun(traceId);
      assert.equal(finished.status, 'error');
      assert.deepEqual(finished.error, { message: 'failed at the end' });
      await expectOk(
        await post(
          jsonRequest([
            { traceId, spanId: b, parentSpanId: root, name: 'b', startMs: t0 + 50, endMs: t0 + 60 },
            { traceId, spanId: a, parentSpanId: root, name: 'a', startMs: t0 + 1, endMs: t0 + 40 },
            { traceId, spanId: late, parentSpanId: b, name: 'late', startMs: t0 + 55, endMs: t0 + 56 },
          ]),
        ),
      );
      const nodes = await tree(traceId);
      const nameOf = (id: string | null) => (id === null ? null : nodes.find((n) => n.id === id)?.name);
      assert.deepEqual(
        nodes.map((n) => [n.name, nameOf(n.parentId), n.placeholder]),
        [
          ['root', null, false],
          ['a', 'root', false],
          ['a1', 'a', false],
          ['b', 'root', false],
          ['late', 'b', false],
        ],
      );
      // Tree and sibling order are start order, whatever the arrival order.
      const children = await readJson(await sidecar.request(`/api/nodes/${traceId}-${root}/children`), NodePage);
      assert.deepEqual(
        children.nodes.map((n) => n.name),
        ['a', 'b'],
      );
      const run = await getRun(traceId);
      assert.equal(run.status, 'error');
      assert.equal(run.nodeCount, 5);
    });

    it('records a 10,000-span trace sent in one request', async () => {
      const traceId = hexId(16);
      const root = hexId(8);
      const spans: SpanSpec[] = [{ traceId, spanId: root, name: 'root', startMs: t0, endMs: t0 + 20_000 }];
      for (let i = 0; i < 99; i++) {
        const parent = hexId(8);
        spans.push({ traceId, spanId: parent, parentSpanId: root, name: `group ${i}`, startMs: t0 + i * 100, endMs: t0 + i * 100 + 99 });
        for (let j = 0; j < 100 && spans.length < 10_000; j++) {
          spans.push({
            traceId,
            spanId: hexId(8),
            parentSpanId: parent,
            name: `leaf ${i}.${j}`,
            startMs: t0 + i * 100 + j,
            endMs: t0 + i * 100 + j + 1,
          });
        }
      }
      assert.equal(spans.length, 10_000);
      assert.deepEqual(await expectOk(await post(jsonRequest(spans), { gzip: true })), {});
      const run = await getRun(traceId);
      assert.equal(run.nodeCount, 10_000);
      assert.equal(run.status, 'ok');
      const nodes = await tree(traceId);
      assert.equal(nodes.length, 10_000);
      assert.equal(nodes.filter((n) => n.placeholder).length, 0);
      assert.equal(nodes.filter((n) => n.parentId === null).length, 1);
    });

    it('sends spans of a resource with runtrail.run.id into that run, without finishing it', async () => {
      const created = await sidecar.send('POST', '/api/runs', { workflow: 'runner-made' });
      const run = await readJson(created, Run);
      const traceId = hexId(16);
      const root = hexId(8);
      const body = jsonRequest(
        [
          { traceId, spanId: root, name: 'otel root', startMs: t0, endMs: t0 + 10 },
          { traceId, spanId: hexId(8), parentSpanId: root, name: 'otel child', startMs: t0 + 1, endMs: t0 + 2 },
        ],
        { 'service.name': 'ignored', 'runtrail.run.id': run.id },
      );
      assert.deepEqual(await expectOk(await post(body)), {});
      const after = await getRun(run.id);
      assert.equal(after.status, 'running');
      assert.equal(after.workflow, 'runner-made');
      assert.deepEqual((await tree(run.id)).map((n) => n.name).sort(), ['otel child', 'otel root']);
      assert.equal((await sidecar.request(`/api/runs/${traceId}`)).status, 404, 'no run of its own for the trace');
    });
  });
}
