import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NestedTree, Node, RunDetail, RunPage, type TreeNode } from '../../../../protocol/runs';
import { fixture, markedLine, runWorkflow, startWorkflow } from '../../../fixtures/sdk/typescript/workflowProcess';
import { freePort } from '../../../fixtures/services/freePort';
import { readJson, startTestSidecar, type TestSidecar } from '../../../fixtures/sidecarApp';
import { startSidecarProcess } from '../../../fixtures/sidecarProcess';

const nested = fixture('nestedWorkflow.ts');

/** Every node of a nested tree, depth first, with its parent's key. */
function flatten(roots: TreeNode[], parentKey: string | null = null): Array<TreeNode & { parentKey: string | null }> {
  return roots.flatMap((node) => [{ ...node, parentKey }, ...flatten(node.children, node.key)]);
}

function runIdOf(stdout: string): string {
  const line = stdout.split('\n').find((l) => l.startsWith('{"runId"'));
  assert.ok(line, `the workflow printed its run id; stdout: ${stdout}`);
  return (JSON.parse(line) as { runId: string }).runId;
}

describe('TypeScript SDK workflows against an in-process sidecar', function () {
  this.timeout(60_000);
  let sidecar: TestSidecar;
  let env: Record<string, string>;

  before(async () => {
    sidecar = await startTestSidecar();
    env = { RUNTRAIL_URL: sidecar.url, RUNTRAIL_TOKEN: sidecar.token };
  });
  after(async () => {
    await sidecar?.close();
  });

  const tree = async (runId: string) => readJson(await sidecar.request(`/api/runs/${runId}/tree?format=nested`), NestedTree);
  const node = async (id: string) => readJson(await sidecar.request(`/api/nodes/${id}`), Node);
  const byKey = (nodes: ReturnType<typeof flatten>, key: string) => {
    const found = nodes.find((n) => n.key === key);
    assert.ok(found, `a node with key ${key}; keys: ${nodes.map((n) => n.key).join(', ')}`);
    return found;
  };

  it('records nesting, kinds, parallel steps, usage, retries and the run itself', async () => {
    const result = await runWorkflow(nested, env);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '');
    const runId = runIdOf(result.stdout);
    const { run, roots } = await tree(runId);
    assert.equal(run.status, 'ok');
    assert.equal(run.workflow, 'nestedWorkflow', 'the default workflow is the script name');
    assert.deepEqual(run.labels, ['fixture']);
    assert.equal(run.cwd, path.resolve(__dirname, '../../../..'));
    assert.match(run.git.commit ?? '', /^[0-9a-f]{40}$/, 'git context was read');

    assert.equal(roots.length, 1);
    const [answer] = roots;
    assert.ok(answer);
    assert.deepEqual(
      answer.children.map((child) => [child.key, child.kind, child.status]),
      [
        ['/answer#0/plan#0', 'llm', 'ok'],
        ['/answer#0/search#0', 'tool', 'ok'],
        ['/answer#0/search#1', 'tool', 'ok'],
        ['/answer#0/route#0', 'decision', 'ok'],
        ['/answer#0/flaky#0', 'step', 'error'],
        ['/answer#0/flaky#1', 'step', 'ok'],
      ],
    );
    const nodes = flatten(roots);
    assert.equal(nodes.length, 9);
    // The first search finished last: occurrence and seq follow call order, children their own parent.
    const [first, second] = [byKey(nodes, '/answer#0/search#0'), byKey(nodes, '/answer#0/search#1')];
    assert.ok((first.seq ?? 0) < (second.seq ?? 0));
    assert.ok(Date.parse(first.endedAt ?? '') >= Date.parse(second.endedAt ?? ''));
    assert.deepEqual(
      first.children.map((c) => [c.key, c.kind]),
      [['/answer#0/search#0/searched alpha#0', 'log']],
    );
    assert.deepEqual(
      second.children.map((c) => [c.key, c.kind]),
      [['/answer#0/search#1/searched beta#0', 'log']],
    );
    const seqs = nodes.map((n) => n.seq);
    assert.deepEqual(
      [...seqs].sort((a, b) => (a ?? 0) - (b ?? 0)),
      [0, 1, 2, 3, 4, 5, 6, 7, 8],
      'one seq counter per run',
    );

    const plan = await node(byKey(nodes, '/answer#0/plan#0').id);
    assert.deepEqual([plan.tokensIn, plan.tokensOut, plan.costUsd], [120, 30, 0.0015]);
    assert.deepEqual(plan.input, { question: 'why?' });
    assert.deepEqual(plan.output, { steps: ['search', 'summarise'] }, 'usage() is unwrapped');
    assert.equal(plan.attributes?.model, 'fake-1');

    const alpha = await node(byKey(nodes, '/answer#0/search#0').id);
    assert.deepEqual([alpha.input, alpha.output], [{ q: 'alpha' }, ['alpha-result']]);
    const log = await node(byKey(nodes, '/answer#0/search#0/searched alpha#0').id);
    assert.equal(log.output, 'searched alpha');
    assert.deepEqual(log.attributes, { q: 'alpha' });

    const failed = await node(byKey(nodes, '/answer#0/flaky#0').id);
    const retried = await node(byKey(nodes, '/answer#0/flaky#1').id);
    assert.deepEqual(failed.error, { message: 'first attempt fails', type: 'Error', stack: (failed.error as { stack: string }).stack });
    assert.match((failed.error as { stack: string }).stack, /nestedWorkflow\.ts/);
    assert.deepEqual([failed.attributes?.attempt, retried.attributes?.attempt], [1, 2]);
    assert.equal(retried.output, 'ok after 2');
    assert.equal(failed.name, retried.name);
  });

  it('records a decision with every option and the chosen one', async () => {
    const result = await runWorkflow(nested, env);
    assert.equal(result.code, 0, result.stderr);
    const nodes = flatten((await tree(runIdOf(result.stdout))).roots);
    const decision = await node(byKey(nodes, '/answer#0/route#0').id);
    const options = [{ label: 'summarise', score: 0.9, rationale: 'enough results' }, { label: 'ask-again' }];
    assert.equal(decision.kind, 'decision');
    assert.deepEqual(decision.input, { options });
    assert.deepEqual(decision.output, { chosen: 'summarise' });
    assert.deepEqual(decision.attributes, { options, chosen: 'summarise' });
    assert.match(result.stdout, /"route":"summarise"/);
  });

  it('gives two runs of the same code the same keys', async () => {
    const shape = async () => {
      const result = await runWorkflow(nested, env);
      assert.equal(result.code, 0, result.stderr);
      return flatten((await tree(runIdOf(result.stdout))).roots)
        .map((n) => `${n.parentKey} > ${n.key} ${n.kind} ${n.name}`)
        .sort();
    };
    const [a, b] = [await shape(), await shape()];
    assert.equal(a.length, 9);
    assert.deepEqual(a, b);
  });

  it('points each node at the workflow line that called the SDK', async () => {
    const result = await runWorkflow(nested, env);
    assert.equal(result.code, 0, result.stderr);
    const nodes = flatten((await tree(runIdOf(result.stdout))).roots);
    const expectations: Array<[key: string, marker: string, call: string]> = [
      ['/answer#0', '@src:answer', 'step'],
      ['/answer#0/plan#0', '@src:plan', 'llm'],
      ['/answer#0/search#0', '@src:search', 'tool'],
      ['/answer#0/search#1', '@src:search', 'tool'],
      ['/answer#0/search#0/searched alpha#0', '@src:log', 'log'],
      ['/answer#0/route#0', '@src:route', 'decide'],
      ['/answer#0/flaky#0', '@src:flaky', 'step'],
      ['/answer#0/flaky#1', '@src:flaky', 'step'],
    ];
    for (const [key, marker, call] of expectations) {
      const { line, column } = markedLine(nested, marker, call);
      const { source } = byKey(nodes, key);
      assert.deepEqual(source && { file: source.file, line: source.line, column: source.column }, { file: nested, line, column }, key);
    }
    assert.equal(byKey(nodes, '/answer#0').source?.function, 'main');
  });

  it('propagates a step error unchanged and records it, up to an error that ends the process', async () => {
    const result = await runWorkflow(fixture('failingWorkflow.ts'), env);
    assert.equal(result.code, 1, 'the uncaught error still ends the process as it would without the SDK');
    assert.match(result.stderr, /RangeError: bad input at line 3/);
    assert.doesNotMatch(result.stderr, /runtrail:/);
    assert.match(result.stdout, /"sameError":true/);
    const { run, roots } = await tree(runIdOf(result.stdout));
    assert.deepEqual(
      flatten(roots).map((n) => [n.key, n.status]),
      [
        ['/validate#0', 'error'],
        ['/pipeline#0', 'error'],
        ['/pipeline#0/parse#0', 'error'],
      ],
    );
    const validate = await node(flatten(roots)[0]?.id ?? '');
    assert.equal((validate.error as { message: string }).message, 'kaboom');
    assert.equal((validate.error as { type: string }).type, 'TypeError');
    const parse = await node(flatten(roots)[2]?.id ?? '');
    assert.deepEqual(
      [(parse.error as { type: string }).type, (parse.error as { message: string }).message],
      ['RangeError', 'bad input at line 3'],
    );
    assert.equal(run.status, 'error', 'the run the SDK created is finished as failed');
    assert.equal((run.error as { message: string }).message, 'bad input at line 3');
  });

  it('flushes at process exit when the workflow never calls finish()', async () => {
    const result = await runWorkflow(fixture('unfinishedWorkflow.ts'), env);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '');
    const { run, roots } = await tree(runIdOf(result.stdout));
    assert.deepEqual(
      flatten(roots).map((n) => [n.key, n.status]),
      [
        ['/prepare#0', 'ok'],
        ['/prepare#0/preparing#0', 'ok'],
        ['/prepare#0/fetch#0', 'ok'],
        ['/work#0', 'ok'],
        ['/work#1', 'ok'],
        ['/work#2', 'ok'],
      ],
    );
    assert.equal(run.status, 'ok', 'a natural exit finishes the run it created');
  });

  it('delivers everything when the workflow calls process.exit() without finish()', async () => {
    const result = await runWorkflow(fixture('unfinishedWorkflow.ts'), { ...env, FIXTURE_EXIT_CODE: '3' });
    assert.equal(result.code, 3);
    const { run, roots } = await tree(runIdOf(result.stdout));
    assert.equal(flatten(roots).length, 6);
    assert.ok(flatten(roots).every((n) => n.status === 'ok'));
    assert.equal(run.status, 'error');
    assert.equal((run.error as { message: string }).message, 'process exited with code 3');
  });

  it('joins RUNTRAIL_RUN_ID and leaves its status to whoever created it', async () => {
    const created = await sidecar.send('POST', '/api/runs', { id: 'runner-made-run', workflow: 'runner' });
    assert.equal(created.status, 201);
    const result = await runWorkflow(nested, { ...env, RUNTRAIL_RUN_ID: 'runner-made-run' });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(runIdOf(result.stdout), 'runner-made-run');
    const { run, roots } = await tree('runner-made-run');
    assert.equal(flatten(roots).length, 9);
    assert.equal(run.status, 'running', 'no PATCH: the runner sets the status from the exit code');
    assert.equal(run.workflow, 'runner');
  });

  it('runs everything and sends nothing with RUNTRAIL_DISABLED=1', async () => {
    const before = await readJson(await sidecar.request('/api/runs?workflow=nestedWorkflow&limit=200'), RunPage);
    const result = await runWorkflow(nested, { ...env, RUNTRAIL_DISABLED: '1' });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '');
    assert.match(result.stdout, /"flaky":"ok after 2"/);
    const runId = runIdOf(result.stdout);
    assert.equal((await sidecar.request(`/api/runs/${runId}`)).status, 404);
    const after = await readJson(await sidecar.request('/api/runs?workflow=nestedWorkflow&limit=200'), RunPage);
    assert.equal(after.runs.length, before.runs.length);
  });

  it('runs functions outside a run and warns once that nothing is recorded', async () => {
    const result = await runWorkflow(fixture('outsideRunWorkflow.ts'), env);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), { a: 1, b: 'text', c: 'tool', d: 'y', e: 2 });
    const warnings = result.stderr.trim().split('\n');
    assert.equal(warnings.length, 1, result.stderr);
    assert.match(warnings[0] ?? '', /^runtrail: step\("a"\) ran outside a run .*nothing is recorded/);
  });

  it('finds the sidecar through the data folder when RUNTRAIL_URL and RUNTRAIL_TOKEN are unset', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runtrail-sdk-discovery-'));
    try {
      fs.writeFileSync(path.join(dataDir, 'sidecar.json'), JSON.stringify({ url: sidecar.url, pid: process.pid, tokenFile: null }));
      fs.writeFileSync(path.join(dataDir, 'token'), `${sidecar.token}\n`);
      const result = await runWorkflow(fixture('unfinishedWorkflow.ts'), { RUNTRAIL_DATA_DIR: dataDir, RUNTRAIL_WORKFLOW: 'discovered' });
      assert.equal(result.code, 0, result.stderr);
      const run = await readJson(await sidecar.request(`/api/runs/${runIdOf(result.stdout)}`), RunDetail);
      assert.equal(run.workflow, 'discovered');
      assert.equal(run.counts.total, 6);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('TypeScript SDK when the sidecar is away', function () {
  this.timeout(120_000);

  it('completes the workflow with exit 0 and a single warning line when no sidecar listens', async () => {
    const port = await freePort();
    const result = await runWorkflow(nested, { RUNTRAIL_URL: `http://127.0.0.1:${port}`, RUNTRAIL_TOKEN: 'unused' });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /"flaky":"ok after 2"/);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0] ?? '', new RegExp(`^runtrail: cannot reach the sidecar at http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`));
  });

  it('loses nothing when the sidecar restarts in the middle of a run', async () => {
    const port = await freePort();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runtrail-sdk-restart-'));
    const sidecarEnv = { RUNTRAIL_PORT: String(port), RUNTRAIL_DATA_DIR: dataDir };
    const first = await startSidecarProcess(sidecarEnv);
    let second: Awaited<ReturnType<typeof startSidecarProcess>> | undefined;
    try {
      const workflow = startWorkflow(fixture('phasedWorkflow.ts'), { RUNTRAIL_URL: first.url, RUNTRAIL_TOKEN: first.token });
      const runId = runIdOf(await workflow.line(/^\{"runId"/));
      await workflow.line(/^phase 1 done$/);
      await first.stop();
      workflow.child.stdin?.write('go\n');
      await workflow.line(/^phase 2 done$/);
      await workflow.errorLine(/^runtrail: cannot reach the sidecar/);
      second = await startSidecarProcess(sidecarEnv);
      assert.equal(second.url, first.url);
      workflow.child.stdin?.end('go\n');
      const result = await workflow.done;
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stderr.trim().split('\n').length, 1, `one warning for the outage: ${result.stderr}`);

      const res = await fetch(`${second.url}/api/runs/${runId}/tree?format=nested`, {
        headers: { authorization: `Bearer ${second.token}` },
      });
      const { run, roots } = await readJson(res, NestedTree);
      assert.deepEqual(
        roots.map((phase) => [phase.key, phase.status, phase.children.length]),
        [
          ['/phase#0', 'ok', 20],
          ['/phase#1', 'ok', 20],
          ['/phase#2', 'ok', 20],
        ],
      );
      assert.ok(flatten(roots).every((n) => n.status === 'ok' && !n.placeholder));
      assert.equal(run.status, 'ok');
    } finally {
      await second?.stop();
      await first.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
