import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FlatTree, Node, type NodeSummary, Run } from '../../../protocol/runs';
import { spawnCli } from '../../fixtures/cli/cliProcess';
import { freePort } from '../../fixtures/services/freePort';
import { eventually, readJson } from '../../fixtures/sidecarApp';
import { type SidecarProcess, startSidecarProcess } from '../../fixtures/sidecarProcess';

const repoRoot = path.resolve(__dirname, '../../..');

/**
 * The examples (examples/) and the one-command demo, as a new user meets them: the workflows of
 * runtrail.json run through the runner of a real sidecar, `npm run demo`'s command, and the
 * README's curl walkthrough executed as written.
 */
describe('examples: the triage workflows through the runner', function () {
  this.timeout(120_000);
  let sidecar: SidecarProcess;

  before(async () => {
    sidecar = await startSidecarProcess({ RUNTRAIL_WORKSPACE: repoRoot });
  });
  after(async () => {
    await sidecar?.stop();
  });

  const api = async (method: string, pathname: string, body?: unknown) =>
    fetch(`${sidecar.url}${pathname}`, {
      method,
      headers: { authorization: `Bearer ${sidecar.token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  for (const workflow of ['triage-ts', 'triage-py']) {
    it(`${workflow}: nested steps, tool and llm nodes, a scored decision, a failing-then-retried step, all ok`, async () => {
      const started = await api('POST', `/api/workflows/${workflow}/runs`, {});
      assert.equal(started.status, 201, await started.clone().text());
      const run = await readJson(started, Run);
      const finished = await eventually(
        async () => readJson(await api('GET', `/api/runs/${run.id}`), Run),
        (r) => r.status !== 'running',
        90_000,
        `${workflow} finished`,
      );
      const { nodes } = await readJson(await api('GET', `/api/runs/${run.id}/tree?format=flat`), FlatTree);
      assert.equal(
        finished.status,
        'ok',
        `${JSON.stringify(finished.error)}\n${nodes.map((n) => `${n.kind} ${n.name} ${n.status}`).join('\n')}`,
      );

      const byName = (name: string) => nodes.filter((n) => n.name === name);
      const parentOf = (node: NodeSummary) => nodes.find((n) => n.id === node.parentId);
      // Nested: the tools of the investigation are children of its step.
      const investigate = byName('investigate')[0] as NodeSummary;
      assert.equal(investigate.kind, 'step');
      const tools = nodes.filter((n) => n.parentId === investigate.id);
      assert.ok(tools.length >= 2 && tools.every((n) => n.kind === 'tool'), 'git grep and read file under investigate');
      assert.ok(byName('git grep').every((n) => parentOf(n)?.name === 'investigate'));
      assert.deepEqual(
        nodes.filter((n) => n.kind === 'llm').map((n) => n.name),
        ['plan', 'draft report'],
      );
      assert.ok((byName('plan')[0]?.tokensIn ?? 0) > 0, 'the planner reports token counts');

      // Failing, then retried: two sibling attempts with the same name, error then ok.
      const attempts = byName('fetch labels').sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
      assert.deepEqual(
        attempts.map((n) => n.status),
        ['error', 'ok'],
      );
      assert.match(JSON.stringify(attempts[0]?.error), /simulated transient failure/);
      assert.notEqual(attempts[0]?.key, attempts[1]?.key);

      // The decision keeps every option with its score and the one taken.
      const decision = byName('route')[0] as NodeSummary;
      assert.equal(decision.kind, 'decision');
      const detail = await readJson(await api('GET', `/api/nodes/${decision.id}`), Node);
      const attributes = detail.attributes as { options: { label: string; score: number; rationale: string }[]; chosen: string };
      assert.deepEqual(
        attributes.options.map((o) => o.label),
        ['fix-now', 'needs-repro', 'document'],
      );
      assert.ok(attributes.options.every((o) => typeof o.score === 'number' && o.rationale.length > 0));
      assert.equal(attributes.chosen, 'fix-now');

      // Source locations point into the example's own file.
      const file = workflow === 'triage-ts' ? 'examples/typescript/triage.ts' : 'examples/python/triage.py';
      assert.ok(
        nodes.filter((n) => n.kind !== 'log' || n.source !== null).every((n) => n.source === null || n.source.file.endsWith(file)),
        'every source location is in the example',
      );
      assert.ok(decision.source !== null && decision.source.line > 0);
      // What the workflow printed is there too, as log nodes from the runner.
      assert.ok(nodes.some((n) => n.kind === 'log' && /^route: fix-now/.test(n.name ?? '')));
    });
  }
});

describe('npm run demo (runtrail demo)', function () {
  this.timeout(180_000);

  it('runs both examples on the embedded store, prints both trees and where to browse them, and exits 0', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runtrail-demo-'));
    try {
      const demo = spawnCli(['demo', '--workspace', repoRoot, '--port', String(await freePort())], { RUNTRAIL_DATA_DIR: dataDir });
      const { code, stdout, stderr } = await demo.result;
      assert.equal(code, 0, `${stdout}\n${stderr}`);
      for (const workflow of ['triage-ts', 'triage-py']) assert.match(stdout, new RegExp(`^${workflow}  run_\\S+  ✓ ok$`, 'm'));
      assert.match(stdout, /✗ tool fetch labels/);
      assert.match(stdout, /✓ decision route/);
      assert.match(stdout, /├─ ✓ tool git grep/);
      assert.match(stdout, /^Browse the runs$/m);
      assert.match(stdout, /http:\/\/127\.0\.0\.1:\d+\/ui\/\?run=run_\S+#token=[0-9a-f]+/);
      assert.equal(fs.existsSync(path.join(dataDir, 'sidecar.json')), false, 'the demo stopped its sidecar');
      assert.ok(fs.existsSync(path.join(dataDir, 'runtrail.db')), 'the runs stay in the embedded store');
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('README: recording a run with curl alone, as written', function () {
  this.timeout(60_000);

  it('runs the README curl block against a fresh sidecar and gets the tree back', async () => {
    const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### Report a run with curl'));
    const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
    assert.ok(block, 'the README has a curl block under "Report a run with curl"');
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'runtrail-readme-'));
    const dataDir = path.join(home, '.local/share/runtrail');
    const port = await freePort();
    const sidecar = await startSidecarProcess({ RUNTRAIL_DATA_DIR: dataDir, RUNTRAIL_PORT: String(port) });
    try {
      // Only the port differs from what a user types: the default one may be in use here.
      const script = block.replaceAll('localhost:7317', `localhost:${port}`);
      execFileSync('bash', ['-euo', 'pipefail', '-c', script], { env: { ...process.env, HOME: home }, encoding: 'utf8' });
      const headers = { authorization: `Bearer ${sidecar.token}` };
      const run = await readJson(await fetch(`${sidecar.url}/api/runs/demo-1`, { headers }), Run);
      assert.equal(run.status, 'ok');
      assert.equal(run.workflow, 'triage');
      const { nodes } = await readJson(await fetch(`${sidecar.url}/api/runs/demo-1/tree?format=flat`, { headers }), FlatTree);
      assert.deepEqual(nodes.map((n) => [n.id, n.parentId, n.kind]).sort(), [
        ['plan', null, 'llm'],
        ['search', 'plan', 'tool'],
      ]);
    } finally {
      await sidecar.stop();
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
