import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { RunDiff } from '../../../protocol/replay';
import { FlatTree, RunPage } from '../../../protocol/runs';
import { runCli } from '../../fixtures/cli/cliProcess';
import { readJson } from '../../fixtures/sidecarApp';
import { type SidecarProcess, startSidecarProcess } from '../../fixtures/sidecarProcess';

const repoRoot = path.resolve(__dirname, '../../..');

/**
 * `runtrail replay` and `runtrail diff` on the examples (examples/, runtrail.json): a replay of a
 * finished run serves every recorded step back and matches it; taking the other option at the
 * decision diverges exactly there.
 */
describe('CLI replay and diff on the example workflows', function () {
  this.timeout(120_000);
  let sidecar: SidecarProcess;
  let env: Record<string, string>;

  before(async () => {
    sidecar = await startSidecarProcess({ RUNTRAIL_WORKSPACE: repoRoot });
    env = { RUNTRAIL_DATA_DIR: sidecar.dataDir };
  });
  after(async () => {
    await sidecar?.stop();
  });

  const api = (pathname: string) => fetch(`${sidecar.url}${pathname}`, { headers: { authorization: `Bearer ${sidecar.token}` } });
  const newestRun = async (workflow: string) => {
    const page = await readJson(await api(`/api/runs?workflow=${workflow}&limit=1`), RunPage);
    return page.runs[0]?.id as string;
  };

  for (const workflow of ['triage-py', 'triage-ts']) {
    it(`${workflow}: a replay serves every recorded step back and matches; --choose diverges at the decision`, async () => {
      const original = await runCli(['run', workflow, '--quiet'], env);
      assert.equal(original.code, 0, original.stderr);
      const originalId = await newestRun(workflow);

      const replay = await runCli(['replay', originalId, '--quiet'], env);
      assert.equal(replay.code, 0, `${replay.stdout}\n${replay.stderr}`);
      const replayId = await newestRun(workflow);
      assert.notEqual(replayId, originalId);
      // Every step the SDK recorded came back from the recording: no body ran again — except the
      // Python example's two `with` blocks, which cannot be skipped (sdk/README.md). Log lines are
      // written again, they have no body.
      const { nodes } = await readJson(await api(`/api/runs/${replayId}/tree?format=flat`), FlatTree);
      const steps = nodes.filter((n) => n.kind !== 'log');
      assert.ok(steps.length >= 10);
      assert.deepEqual(
        steps.filter((n) => !n.replayed).map((n) => n.key),
        workflow === 'triage-py' ? ['/draft report#0', '/write report#0'] : [],
        'nodes that ran live in the replay',
      );
      assert.ok(steps.every((n) => !n.diverged));
      const same = await runCli(['diff', originalId, replayId], env);
      assert.equal(same.code, 0, same.stdout);
      assert.match(same.stdout, /the runs match/);

      const fork = await runCli(['replay', originalId, '--choose', '/route#0=needs-repro', '--quiet'], env);
      assert.equal(fork.code, 0, `${fork.stdout}\n${fork.stderr}`);
      const forkId = await newestRun(workflow);
      const text = await runCli(['diff', originalId, forkId], env);
      assert.equal(text.code, 1, 'diff exits 1 when the runs differ');
      assert.match(text.stdout, /first divergence: \/route#0 \(changed\)/);
      const diff = await readJson(await api(`/api/runs/${originalId}/diff/${forkId}`), RunDiff);
      assert.equal(diff.firstDivergence?.key, '/route#0');
      const route = diff.nodes.find((n) => n.key === '/route#0');
      assert.deepEqual(route?.output, { a: { chosen: 'fix-now' }, b: { chosen: 'needs-repro' } });
      // Before the decision everything was served back; the report written after it ran live.
      const forkTree = await readJson(await api(`/api/runs/${forkId}/tree?format=flat`), FlatTree);
      const byKey = new Map(forkTree.nodes.map((n) => [n.key, n]));
      assert.equal(byKey.get('/plan#0')?.replayed, true);
      assert.equal(byKey.get('/draft report#0')?.replayed, false);
    });
  }

  it('replays a command runtrail.json does not declare only with --allow-command', async () => {
    // As a script started from a terminal records itself: its own argv, no runtrail.json workflow.
    const res = await fetch(`${sidecar.url}/api/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sidecar.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ workflow: 'terminal-script', command: [process.execPath, '-e', 'process.exit(0)'], cwd: repoRoot }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    const { id } = (await res.json()) as { id: string };
    const refused = await runCli(['replay', id, '--quiet'], env);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(
      refused.stderr,
      /^runtrail: Run \S+'s command .* is not workflow "terminal-script" of this workspace's runtrail\.json; a replay runs it on this machine\. Check the command, then pass --allow-command to run it\.\n$/,
    );
    const allowed = await runCli(['replay', id, '--allow-command', '--quiet'], env);
    assert.equal(allowed.code, 0, `${allowed.stdout}\n${allowed.stderr}`);
  });

  it('rejects a --choose that is not name=option, and a decision key the run does not have', async () => {
    const bad = await runCli(['replay', 'whatever', '--choose', 'nokey'], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^runtrail: --choose "nokey" is not <decisionKey>=<option>/);
    const runId = await newestRun('triage-py');
    const unknown = await runCli(['replay', runId, '--choose', '/nope#0=x'], env);
    assert.equal(unknown.code, 2, unknown.stderr);
    assert.equal(unknown.stderr.split('\n').filter(Boolean).length, 1, unknown.stderr);
  });
});
