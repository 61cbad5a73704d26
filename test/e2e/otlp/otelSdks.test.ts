import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FlatTree, Node, type NodeSummary, Run, RunPage } from '../../../protocol/runs';
import { pythonOtelVenv } from '../../fixtures/otlp/pythonOtel';
import { track } from '../../fixtures/services/childProcess';
import { type SidecarProcess, startSidecarProcess } from '../../fixtures/sidecarProcess';

/**
 * Interop with real OpenTelemetry SDKs: programs instrumented only with OTel export to a real
 * sidecar process (dist/sidecar.js) over OTLP/HTTP, configured by the standard OTEL_* variables
 * alone. The JS SDK with the http/json and the http/protobuf exporter (examples/otel/agent.mjs),
 * the Python SDK with opentelemetry-exporter-otlp-proto-http (installed from the package index
 * into a cached venv), and the runner handing its OTel variables to a workflow it starts.
 */

const repoRoot = path.resolve(__dirname, '../../..');
const example = path.join(repoRoot, 'examples/otel/agent.mjs');
const pythonAgent = path.join(repoRoot, 'test/fixtures/otlp/otel_agent.py');

/** Runs a program to its end; its exit code and stdout. */
function runProgram(
  command: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    track(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The 1-based line of the first line of `file` containing `needle`. */
function lineOf(file: string, needle: string): number {
  const index = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .findIndex((line) => line.includes(needle));
  assert.ok(index >= 0, `${needle} not in ${file}`);
  return index + 1;
}

describe('OTLP interop with real OpenTelemetry SDKs', function () {
  this.timeout(600_000);
  let sidecar: SidecarProcess;
  const api = (p: string, init: RequestInit = {}) =>
    fetch(`${sidecar.url}${p}`, {
      ...init,
      headers: { authorization: `Bearer ${sidecar.token}`, 'content-type': 'application/json', ...init.headers },
    });
  const otelEnv = (serviceName: string, protocol = 'http/protobuf') => ({
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${sidecar.url}/v1/traces`,
    OTEL_EXPORTER_OTLP_TRACES_HEADERS: `Authorization=Bearer%20${sidecar.token}`,
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: protocol,
    OTEL_SERVICE_NAME: serviceName,
    OTEL_RESOURCE_ATTRIBUTES: '',
  });

  async function onlyRun(workflow: string): Promise<Run> {
    const page = RunPage.parse(await (await api(`/api/runs?workflow=${encodeURIComponent(workflow)}`)).json());
    assert.equal(page.runs.length, 1, `runs of ${workflow}: ${JSON.stringify(page.runs.map((r) => r.id))}`);
    return page.runs[0] as Run;
  }
  async function tree(runId: string): Promise<NodeSummary[]> {
    const res = await api(`/api/runs/${runId}/tree`);
    assert.equal(res.status, 200);
    return FlatTree.parse(await res.json()).nodes;
  }
  const parentName = (nodes: NodeSummary[], node: NodeSummary | undefined) => nodes.find((n) => n.id === node?.parentId)?.name ?? null;

  before(async () => {
    sidecar = await startSidecarProcess({ RUNTRAIL_WORKSPACE: repoRoot });
  });
  after(async () => {
    await sidecar?.stop();
  });

  /** What examples/otel/agent.mjs records, wherever its spans went. */
  function assertExampleTree(nodes: NodeSummary[]): void {
    const spans = nodes.filter((n) => n.kind !== 'log' || n.name === 'cache miss' || n.name === 'exception');
    const root = spans.find((n) => n.name === 'invoke_agent triage');
    const chats = spans.filter((n) => n.name === 'chat gpt-4o-mini');
    const search = spans.find((n) => n.name === 'execute_tool search_issues');
    const fetchPage = spans.find((n) => n.name === 'execute_tool fetch_page');
    assert.equal(root?.kind, 'agent');
    assert.equal(root?.status, 'ok');
    assert.deepEqual(
      chats.map((c) => [c.kind, c.status, c.tokensIn, c.tokensOut, parentName(nodes, c)]),
      [
        ['llm', 'ok', 52, 11, 'invoke_agent triage'],
        ['llm', 'ok', 120, 42, 'invoke_agent triage'],
      ],
    );
    assert.equal(search?.kind, 'tool');
    assert.equal(
      parentName(
        nodes,
        spans.find((n) => n.name === 'cache miss'),
      ),
      'execute_tool search_issues',
    );
    assert.equal(fetchPage?.kind, 'tool');
    assert.equal(fetchPage?.status, 'error');
    const fetchError = (fetchPage?.error ?? {}) as { message?: string; type?: string };
    assert.deepEqual(
      { message: fetchError.message, type: fetchError.type },
      { message: 'fetch failed: getaddrinfo ENOTFOUND example.invalid', type: 'TypeError' },
    );
    const exception = spans.find((n) => n.name === 'exception');
    assert.equal(exception?.status, 'error');
    assert.equal(parentName(nodes, exception), 'execute_tool fetch_page');
    // Jump-to-source: each span points at the line of the example that made it.
    assert.deepEqual(root?.source, {
      file: example,
      line: lineOf(example, "await inSpan('invoke_agent triage'"),
      column: 9,
      function: 'main',
    });
    assert.equal(chats[0]?.source?.line, lineOf(example, 'const plan = await chat('));
    assert.equal(search?.source?.line, lineOf(example, "await tool('search_issues'"));
    assert.equal(fetchPage?.source?.file, example);
    // Tree order is start order.
    assert.deepEqual(
      spans.filter((n) => n.parentId === root?.id).map((n) => n.name),
      ['chat gpt-4o-mini', 'execute_tool search_issues', 'execute_tool fetch_page', 'chat gpt-4o-mini'],
    );
  }

  for (const protocol of ['http/json', 'http/protobuf']) {
    it(`records the JS SDK's ${protocol} exporter: tree, kinds, tokens, errors and source locations`, async () => {
      const workflow = `otel-js-${protocol.replace('/', '-')}`;
      const result = await runProgram(process.execPath, [example, 'is it the heartbeat?'], otelEnv(workflow, protocol));
      assert.equal(result.code, 0, result.stderr);
      const run = await onlyRun(workflow);
      assert.match(run.id, /^[0-9a-f]{32}$/, 'a trace run is named by its trace id');
      assert.equal(run.status, 'ok');
      assert.equal(run.tokensIn, 52 + 120);
      assert.equal(run.tokensOut, 11 + 42);
      const nodes = await tree(run.id);
      assertExampleTree(nodes);
      assert.equal(nodes.filter((n) => n.placeholder).length, 0);
    });
  }

  it("records the Python SDK's OTLP/HTTP exporter: old attribute names, OpenInference, exceptions", async () => {
    let python: string;
    try {
      python = pythonOtelVenv();
    } catch (error) {
      // CI must be able to reach the package index; locally without it, say so rather than fail obscurely.
      throw new Error(
        `could not install ${'opentelemetry-sdk'} into the test venv (is the package index reachable?): ${(error as Error).message}`,
      );
    }
    const result = await runProgram(python, [pythonAgent, 'why does ingest 503?'], otelEnv('otel-python'));
    assert.equal(result.code, 0, result.stderr);
    const lines = JSON.parse(result.stdout.trim().split('\n').at(-1) as string) as Record<string, number>;
    const run = await onlyRun('otel-python');
    assert.equal(run.status, 'ok');
    assert.equal(run.tokensIn, 21);
    assert.equal(run.tokensOut, 8);
    const nodes = await tree(run.id);
    const byName = new Map(nodes.map((n) => [n.name, n]));
    assert.deepEqual(
      nodes.map((n) => [n.name, n.kind, n.status, parentName(nodes, n)]),
      [
        ['invoke_agent py', 'agent', 'ok', null],
        ['chat claude', 'llm', 'ok', 'invoke_agent py'],
        ['retrieve docs', 'retriever', 'ok', 'invoke_agent py'],
        ['index hit', 'log', 'ok', 'retrieve docs'],
        ['execute_tool lookup', 'tool', 'error', 'invoke_agent py'],
        ['exception', 'log', 'error', 'execute_tool lookup'],
      ],
    );
    assert.deepEqual(byName.get('chat claude')?.source, { file: pythonAgent, line: lines.chat, column: null, function: 'main' });
    assert.equal(byName.get('retrieve docs')?.source?.line, lines.retrieve);
    assert.equal(byName.get('execute_tool lookup')?.source?.line, lines.tool);
    const toolError = (byName.get('execute_tool lookup')?.error ?? {}) as { message: string; type: string; stack: string };
    assert.equal(toolError.type, 'ValueError');
    assert.match(toolError.message, /lookup failed: no such key/);
    assert.match(toolError.stack, /Traceback/);

    const chat = Node.parse(await (await api(`/api/nodes/${byName.get('chat claude')?.id}`)).json());
    assert.deepEqual(chat.input, [{ role: 'user', content: 'why does ingest 503?' }]);
    assert.deepEqual(chat.output, [{ role: 'assistant', content: 'use the retriever' }]);
    assert.equal(chat.attributes?.model, 'claude-test');
    const retrieve = Node.parse(await (await api(`/api/nodes/${byName.get('retrieve docs')?.id}`)).json());
    assert.deepEqual(retrieve.input, { query: 'sse stalls' });
    assert.equal(retrieve.output, '3 documents');
  });

  it('puts the spans of an OTel-only workflow the runner starts into the run it made', async () => {
    const res = await api('/api/workflows/otel-js/runs', { method: 'POST', body: JSON.stringify({}) });
    assert.equal(res.status, 201, await res.clone().text());
    const started = Run.parse(await res.json());
    let run = started;
    // The runner finishes the run once the process exited and its output was committed.
    for (let i = 0; i < 600 && run.status === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      run = Run.parse(await (await api(`/api/runs/${started.id}`)).json());
    }
    assert.equal(run.status, 'ok', JSON.stringify(run));
    assert.equal(run.workflow, 'otel-js');
    const nodes = await tree(run.id);
    assertExampleTree(nodes);
    // No separate trace run: the resource's runtrail.run.id sent everything here.
    const page = RunPage.parse(await (await api('/api/runs?workflow=otel-agent')).json());
    assert.equal(page.runs.length, 0);
  });
});
