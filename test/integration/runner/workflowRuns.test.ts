import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FlatTree, Run } from '../../../protocol/runs';
import { CancelRunResponse } from '../../../protocol/workflows';
import { neo4jService } from '../../fixtures/services/testServices';
import { eventually, readJson } from '../../fixtures/sidecarApp';
import { alive, expectError, RunnerHarness, readPid, scripted } from './runnerHarness';

const lineOf = (node: { output: unknown }) => (node.output as { line: string }).line;

/**
 * Workflows run by the sidecar: exit codes and signals as run status, output as log nodes,
 * the environment a workflow gets, cancel of the whole process group, start failures.
 */
describe('Runner runs workflows', function () {
  this.timeout(60_000);
  let runner: RunnerHarness;

  before(async () => {
    runner = await RunnerHarness.start({ RUNTRAIL_CANCEL_GRACE_MS: '300' });
  });
  after(async () => {
    await runner?.stop();
  });

  it('records an exit code of 0 as ok, N as error, a signal as error', async () => {
    runner.writeConfig({
      workflows: { ok: scripted('out:fine', 'exit:0'), three: scripted('exit:3'), killed: scripted('kill:SIGKILL') },
    });
    const [ok, three, killed] = await Promise.all([runner.started('ok'), runner.started('three'), runner.started('killed')]);
    for (const run of [ok, three, killed]) assert.equal(run.status, 'running');
    const finished = await Promise.all([ok, three, killed].map((run) => runner.finished(run.id)));
    assert.deepEqual(
      finished.map((run) => [run.workflow, run.status, run.error]),
      [
        ['ok', 'ok', null],
        ['three', 'error', { message: 'exited with code 3', exitCode: 3 }],
        ['killed', 'error', { message: 'killed by SIGKILL', signal: 'SIGKILL' }],
      ],
    );
    for (const run of finished) {
      assert.ok(run.endedAt !== null && run.durationMs !== null && run.durationMs >= 0);
      assert.deepEqual(run.command?.slice(2, 3), [
        run.workflow === 'ok' ? 'out:fine' : run.workflow === 'three' ? 'exit:3' : 'kill:SIGKILL',
      ]);
    }
    // The ledger of live workflows is empty again.
    assert.deepEqual(fs.readdirSync(path.join(runner.dataDir, 'runner')), []);
  });

  it('records stdout and stderr lines as finished log nodes, each stream in order', async () => {
    const long = 70 * 1024;
    runner.writeConfig({
      workflows: {
        chatty: scripted(
          'out:first line',
          'err:warning: something',
          'out:',
          'crlf:from windows',
          'out:\u001b[32mgreen\u001b[0m ünïcödé 🚀',
          `long:${long}`,
          'err:second error',
          ...Array.from({ length: 300 }, (_, i) => `out:bulk ${i}`),
          'raw:no newline at the end',
        ),
      },
    });
    const run = await runner.started('chatty', { labels: ['nightly'] });
    assert.deepEqual(run.labels, ['nightly']);
    await runner.finished(run.id);
    // The run is finished only after its output is committed: everything is there now.
    const nodes = await runner.logNodes(run.id);
    const stdout = nodes.filter((n) => n.key?.startsWith('/stdout#'));
    const stderr = nodes.filter((n) => n.key?.startsWith('/stderr#'));
    assert.equal(stdout.length, 306);
    assert.equal(stderr.length, 2);
    assert.deepEqual(
      stdout.map((n) => n.key),
      stdout.map((_, i) => `/stdout#${i}`),
      'stdout lines keep their order',
    );
    assert.deepEqual(
      stderr.map((n) => [n.key, n.name, lineOf(n)]),
      [
        ['/stderr#0', 'warning: something', 'warning: something'],
        ['/stderr#1', 'second error', 'second error'],
      ],
    );
    const [first, empty, crlf, coloured, longLine] = stdout;
    assert.equal(first?.name, 'first line');
    assert.equal(empty?.name, '(empty line)');
    assert.equal(lineOf(empty as { output: unknown }), '');
    assert.equal(lineOf(crlf as { output: unknown }), 'from windows');
    assert.equal(coloured?.name, 'green ünïcödé 🚀', 'colour codes are left out of the name');
    assert.equal(lineOf(coloured as { output: unknown }), '\u001b[32mgreen\u001b[0m ünïcödé 🚀');
    assert.equal(longLine?.name?.length, 200);
    assert.match(
      lineOf(longLine as { output: unknown }),
      new RegExp(`^x{${64 * 1024}} … \\[${(long - 64 * 1024).toLocaleString('en')} more bytes\\]$`),
    );
    assert.equal(stdout.at(-1)?.name, 'no newline at the end');
    for (const node of nodes) {
      assert.equal(node.kind, 'log');
      assert.equal(node.status, 'ok');
      assert.equal(node.parentId, null);
      assert.match(node.id, /^[0-9a-f]{32}$/);
      assert.ok(node.startedAt !== null && node.startedAt === node.endedAt);
      assert.deepEqual(node.attributes, { stream: node.key?.slice(1, 7) });
      assert.ok((node.seq ?? 0) >= 1e12, 'log lines sort after the nodes an SDK numbers from 0');
    }
    const seqs = nodes.map((n) => n.seq ?? 0);
    assert.equal(new Set(seqs).size, seqs.length, 'one seq counter across both streams');
    assert.equal((await runner.run(run.id)).nodeCount, 308);
  });

  it('keeps every line of a burst, in order', async () => {
    runner.writeConfig({ workflows: { burst: scripted('many:25000', 'exit:0') } });
    const run = await runner.started('burst');
    await runner.finished(run.id, 60_000);
    const tree = await readJson(await runner.sidecar.request(`/api/runs/${run.id}/tree`), FlatTree);
    assert.equal(tree.nodes.length, 25_000);
    tree.nodes.forEach((node, i) => {
      assert.equal(node.key, `/stdout#${i}`);
      assert.equal(node.name, `line ${i}`);
    });
  });

  it('hands the workflow RUNTRAIL_URL, RUNTRAIL_TOKEN, RUNTRAIL_RUN_ID and RUNTRAIL_WORKFLOW, which work', async () => {
    runner.writeConfig({ workflows: { reporter: { ...scripted('env', 'report'), env: { FROM_CONFIG: 'yes' } } } });
    const run = await runner.started('reporter');
    await runner.finished(run.id);
    const tree = await runner.logNodes(run.id);
    const seen = JSON.parse(lineOf(tree[0] as { output: unknown })) as { env: Record<string, string> };
    const names = ['RUNTRAIL_URL', 'RUNTRAIL_TOKEN', 'RUNTRAIL_RUN_ID', 'RUNTRAIL_WORKFLOW', 'FROM_CONFIG'];
    // The rest of the sidecar's environment is inherited too (e.g. the test runner's RUNTRAIL_TEST_STATS).
    assert.deepEqual(Object.fromEntries(names.map((name) => [name, seen.env[name]])), {
      RUNTRAIL_URL: runner.sidecar.url,
      RUNTRAIL_TOKEN: runner.sidecar.token,
      RUNTRAIL_RUN_ID: run.id,
      RUNTRAIL_WORKFLOW: 'reporter',
      FROM_CONFIG: 'yes',
    });
    // The node the workflow posted with them arrived; it sorts before the output lines.
    const nodes = (await (await runner.sidecar.request(`/api/runs/${run.id}/children`)).json()) as { nodes: Array<{ name: string }> };
    assert.equal(nodes.nodes[0]?.name, 'reported by the workflow');
    assert.equal((await runner.run(run.id)).status, 'ok');
  });

  it('leaves the status a workflow set itself, unless its exit says error', async () => {
    runner.writeConfig({
      workflows: { saysOkFails: scripted('finish:ok', 'exit:4'), saysErrorExits0: scripted('finish:error', 'exit:0') },
    });
    const a = await runner.started('saysOkFails');
    const b = await runner.started('saysErrorExits0');
    // finish:ok makes the run leave `running` before the process exits: wait for the exit's verdict.
    const failed = await eventually(
      () => runner.run(a.id),
      (run) => run.status === 'error',
      20_000,
      'the failed exit overrides ok',
    );
    assert.deepEqual(failed.error, { message: 'exited with code 4', exitCode: 4 });
    await eventually(
      async () => fs.readdirSync(path.join(runner.dataDir, 'runner')),
      (entries) => entries.length === 0,
      20_000,
      'both workflows settled',
    );
    const kept = await runner.run(b.id);
    assert.equal(kept.status, 'error');
    assert.equal(kept.error, null);
  });

  it('finishes a run whose command cannot start as error naming the command (201)', async () => {
    runner.writeConfig({ workflows: { missing: { command: ['runtrail-no-such-program', '--flag'] } } });
    const res = await runner.startRun('missing');
    assert.equal(res.status, 201);
    const run = await readJson(res, Run);
    assert.equal(run.status, 'error');
    assert.match(
      (run.error as { message: string }).message,
      /^cannot start workflow missing: "runtrail-no-such-program" was not found \(on PATH\)$/,
    );
    assert.equal((run.error as { reason: string }).reason, 'spawn_failed');
    assert.deepEqual((await runner.run(run.id)).status, 'error');
  });

  it('cancels a run: SIGTERM to the whole process group, the run ends cancelled', async () => {
    const grandchildPid = path.join(runner.workspace, 'grandchild.pid');
    const workflowPid = path.join(runner.workspace, 'workflow.pid');
    runner.writeConfig({ workflows: { forever: scripted(`pidfile:${workflowPid}`, `grandchild:${grandchildPid}`, 'ready', 'sleep') } });
    const run = await runner.started('forever');
    await runner.waitForLine(run.id, 'ready');
    const [leader, grandchild] = [await readPid(workflowPid), await readPid(grandchildPid)];
    assert.ok(alive(leader) && alive(grandchild));
    const res = await runner.sidecar.send('POST', `/api/runs/${run.id}/cancel`);
    assert.equal(res.status, 202);
    assert.deepEqual(await readJson(res, CancelRunResponse), { runId: run.id, status: 'cancelling' });
    // Again while it ends: same answer.
    const again = await runner.sidecar.send('POST', `/api/runs/${run.id}/cancel`);
    assert.ok(again.status === 202 || again.status === 409, `${again.status}`);
    const finished = await runner.finished(run.id);
    assert.equal(finished.status, 'cancelled');
    await eventually(
      async () => [alive(leader), alive(grandchild)],
      (live) => !live[0] && !live[1],
      10_000,
      'the workflow and its grandchild are gone',
    );
    await expectError(await runner.sidecar.send('POST', `/api/runs/${run.id}/cancel`), 409, 'conflict', /already finished as cancelled/);
  });

  it('follows SIGTERM with SIGKILL for a workflow that ignores it', async () => {
    runner.writeConfig({ workflows: { stubborn: scripted('ignore-term', 'ready', 'sleep') } });
    const run = await runner.started('stubborn');
    await runner.waitForLine(run.id, 'ready');
    assert.equal((await runner.sidecar.send('POST', `/api/runs/${run.id}/cancel`)).status, 202);
    const finished = await runner.finished(run.id);
    assert.equal(finished.status, 'cancelled');
    const lines = (await runner.logNodes(run.id)).map(lineOf);
    assert.ok(lines.includes('ignoring SIGTERM'), lines.join('\n'));
  });

  it('finishes a run whose grandchild keeps its output pipes open', async () => {
    const holderPid = path.join(runner.workspace, 'holder.pid');
    runner.writeConfig({ workflows: { leaky: scripted(`grandchild-inherit:${holderPid}`, 'out:bye', 'exit:0') } });
    const run = await runner.started('leaky');
    const holder = await readPid(holderPid);
    try {
      const finished = await runner.finished(run.id);
      assert.equal(finished.status, 'ok');
      assert.deepEqual((await runner.logNodes(run.id)).map(lineOf), ['bye']);
    } finally {
      process.kill(holder, 'SIGKILL');
    }
  });

  it('answers cancel 404 for an unknown run and 409 for a run it does not run', async () => {
    await expectError(await runner.sidecar.send('POST', '/api/runs/nope/cancel'), 404, 'not_found', /No run nope/);
    const created = await readJson(await runner.sidecar.send('POST', '/api/runs', { workflow: 'sdk-started' }), Run);
    await expectError(
      await runner.sidecar.send('POST', `/api/runs/${created.id}/cancel`),
      409,
      'conflict',
      /is running, but not under this sidecar's runner/,
    );
    await runner.sidecar.send('PATCH', `/api/runs/${created.id}`, { status: 'ok' });
    await expectError(await runner.sidecar.send('POST', `/api/runs/${created.id}/cancel`), 409, 'conflict', /already finished as ok/);
  });

  it('records the git context of the workflow folder', async () => {
    const repo = path.join(runner.workspace, 'repo');
    fs.mkdirSync(repo, { recursive: true });
    const { spawnSync } = await import('node:child_process');
    const git = (...args: string[]) => spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: repo });
    const init = git('init', '-q', '-b', 'trunk');
    // git is a prerequisite of the tests (the examples grep with it): its absence is a failure, not a skip.
    assert.equal(init.status, 0, `git init failed: ${init.stderr?.toString()}`);
    fs.writeFileSync(path.join(repo, 'a.txt'), 'a');
    git('add', 'a.txt');
    git('commit', '-q', '-m', 'first');
    const commit = git('rev-parse', 'HEAD').stdout.toString().trim();
    runner.writeConfig({ workflows: { inRepo: { ...scripted('exit:0'), cwd: 'repo' } } });
    const run = await runner.started('inRepo');
    assert.deepEqual(run.git, { repo: fs.realpathSync(repo), branch: 'trunk', commit, dirty: false });
    await runner.finished(run.id);
  });
});

describe('Runner on Neo4j', function () {
  this.timeout(120_000);
  let runner: RunnerHarness;

  before(async () => {
    const neo4j = await neo4jService();
    runner = await RunnerHarness.start({ NEO4J_URI: neo4j.uri, NEO4J_USER: neo4j.user ?? '', NEO4J_PASSWORD: neo4j.password ?? '' });
    for (let i = 0; i < 120 && (await runner.sidecar.request('/api/runs')).status === 503; i++)
      await new Promise((r) => setTimeout(r, 250));
  });
  after(async () => {
    await runner?.stop();
  });

  it('runs a workflow and records its output and exit', async () => {
    runner.writeConfig({ workflows: { graph: scripted('out:one', 'err:two', 'out:three', 'exit:2') } });
    const run = await runner.started('graph');
    const finished = await runner.finished(run.id);
    assert.equal(finished.status, 'error');
    assert.deepEqual(finished.error, { message: 'exited with code 2', exitCode: 2 });
    const nodes = await runner.logNodes(run.id);
    assert.deepEqual(nodes.map((n) => [n.key, lineOf(n)]).sort(), [
      ['/stderr#0', 'two'],
      ['/stdout#0', 'one'],
      ['/stdout#1', 'three'],
    ]);
  });
});
