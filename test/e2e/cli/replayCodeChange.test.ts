import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RunDiff, RunFamily } from '../../../protocol/replay';
import { FlatTree, type NodeSummary, RunPage } from '../../../protocol/runs';
import { runCli } from '../../fixtures/cli/cliProcess';
import { readJson } from '../../fixtures/sidecarApp';
import { type SidecarProcess, startSidecarProcess } from '../../fixtures/sidecarProcess';

const repoRoot = path.resolve(__dirname, '../../..');

/**
 * Replay against code that changed since the run (issue 8 "Tests"): the examples are copied into
 * a temporary git repository, run once, then a step in the middle is renamed in the copy and the
 * run replayed. The renamed step's key is not in the recording, so it and everything it calls run
 * live and are marked `diverged`; every other step is still served back; the diff puts the first
 * divergence at the changed step. The same copy checks `--until` (live exactly from the fork node
 * on) and that replays of replays keep the family tree right.
 */
describe('replaying the examples after their code changed', function () {
  this.timeout(180_000);
  let workspace: string;
  let sidecar: SidecarProcess;
  let env: Record<string, string>;

  before(async () => {
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'runtrail-codechange-'));
    fs.cpSync(path.join(repoRoot, 'examples'), path.join(workspace, 'examples'), {
      recursive: true,
      filter: (source) => !source.includes('__pycache__'),
    });
    fs.copyFileSync(path.join(repoRoot, 'runtrail.json'), path.join(workspace, 'runtrail.json'));
    // The SDKs and tsx come from this checkout, as a user's installed packages would.
    fs.symlinkSync(path.join(repoRoot, 'sdk'), path.join(workspace, 'sdk'));
    fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(workspace, 'node_modules'));
    fs.writeFileSync(path.join(workspace, '.gitignore'), 'node_modules\n.runtrail\n');
    // The examples search their repository with git grep, so the copy is a repository of its own.
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=runtrail-test', '-c', 'user.email=test@runtrail.invalid', ...args], {
        cwd: workspace,
        stdio: 'pipe',
      });
    git('init', '-q');
    git('add', '-A');
    git('commit', '-q', '-m', 'examples');
    sidecar = await startSidecarProcess({ RUNTRAIL_WORKSPACE: workspace });
    env = { RUNTRAIL_DATA_DIR: sidecar.dataDir };
  });
  after(async () => {
    await sidecar?.stop();
    if (workspace) fs.rmSync(workspace, { recursive: true, force: true });
  });

  const api = (pathname: string) => fetch(`${sidecar.url}${pathname}`, { headers: { authorization: `Bearer ${sidecar.token}` } });
  const newestRun = async (workflow: string) =>
    (await readJson(await api(`/api/runs?workflow=${workflow}&limit=1`), RunPage)).runs[0]?.id as string;
  const steps = async (runId: string) =>
    (await readJson(await api(`/api/runs/${runId}/tree?format=flat`), FlatTree)).nodes.filter((n) => n.kind !== 'log' && n.key !== null);
  const replay = async (workflow: string, args: string[]) => {
    const result = await runCli(['replay', ...args, '--quiet'], env);
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    return newestRun(workflow);
  };

  const examples = [
    { workflow: 'triage-py', file: 'examples/python/triage.py', from: 'runtrail.step("investigate",', to: 'runtrail.step("research",' },
    { workflow: 'triage-ts', file: 'examples/typescript/triage.ts', from: "await step('investigate',", to: "await step('research'," },
  ];
  // Python `with` blocks cannot be skipped (sdk/README.md): they always run live.
  const alwaysLive = (workflow: string, key: string | null) =>
    workflow === 'triage-py' && ['/draft report#0', '/write report#0'].includes(key ?? '');

  for (const { workflow, file, from, to } of examples) {
    it(`${workflow}: --until goes live from the fork node; a renamed step diverges there; the family stays a tree`, async () => {
      const first = await runCli(['run', workflow, '--quiet'], env);
      assert.equal(first.code, 0, first.stderr);
      const originalId = await newestRun(workflow);
      const original = await steps(originalId);
      const byKey = new Map(original.map((n) => [n.key, n]));

      // Fork at `fetch labels`: the steps before it come from the recording, it and all after run live.
      const forkNode = byKey.get('/fetch labels#0') as NodeSummary;
      assert.ok(forkNode, 'the run has a /fetch labels#0 node');
      const forkId = await replay(workflow, [originalId, '--until', forkNode.id]);
      const fork = await steps(forkId);
      const served = fork.filter((n) => n.replayed).map((n) => n.key);
      assert.deepEqual(served.sort(), ['/plan#0', '/read issue#0'], 'served back in the fork');
      assert.ok(
        fork.every((n) => !n.diverged),
        'the same code: nothing diverged',
      );
      assert.equal(fork.length, original.length, 'the fork made the same steps');

      // Change the code: rename the step that searches the repository.
      const source = path.join(workspace, file);
      const before = fs.readFileSync(source, 'utf8');
      assert.ok(before.includes(from), `${file} still has ${from}`);
      fs.writeFileSync(source, before.replace(from, to));
      let changedId: string;
      try {
        changedId = await replay(workflow, [originalId]);
      } finally {
        fs.writeFileSync(source, before);
      }
      const changed = await steps(changedId);
      const diverged = changed.filter((n) => n.diverged).map((n) => n.key as string);
      assert.ok(diverged.includes('/research#0'), `the renamed step diverged: ${diverged.join(', ')}`);
      assert.ok(
        diverged.every((key) => key.startsWith('/research#0')),
        `only the renamed step and what it called diverged: ${diverged.join(', ')}`,
      );
      const live = changed.filter((n) => !n.replayed && !n.diverged && !alwaysLive(workflow, n.key)).map((n) => n.key);
      assert.deepEqual(live, [], 'every other step was served back');

      const diff = await readJson(await api(`/api/runs/${originalId}/diff/${changedId}`), RunDiff);
      assert.ok(
        diff.firstDivergence && ['/investigate#0', '/research#0'].includes(diff.firstDivergence.key),
        `first divergence at the changed step, got ${JSON.stringify(diff.firstDivergence)}`,
      );
      assert.equal(diff.nodes.find((n) => n.key === '/investigate#0')?.change, 'removed');
      assert.equal(diff.nodes.find((n) => n.key === '/research#0')?.change, 'added');
      assert.equal(diff.nodes.find((n) => n.key === '/route#0')?.change, 'same', 'the decision after it was served back unchanged');
      const text = await runCli(['diff', originalId, changedId], env);
      assert.equal(text.code, 1);
      assert.match(text.stdout, /first divergence: \/(investigate|research)#0/);

      // A replay of the replay joins the family under it.
      const againId = await replay(workflow, [changedId]);
      const family = await readJson(await api(`/api/runs/${againId}/family`), RunFamily);
      const parentOf = new Map(family.runs.map((member) => [member.run.id, member.parentId]));
      assert.equal(family.rootId, originalId);
      assert.equal(parentOf.get(forkId), originalId);
      assert.equal(parentOf.get(changedId), originalId);
      assert.equal(parentOf.get(againId), changedId);
      assert.equal(family.runs.find((member) => member.run.id === forkId)?.run.forkedFromNode, forkNode.id);
      // The code is back as it was: the recording of the changed run has /research#0, the code
      // calls /investigate#0 again, so the second replay diverges the other way.
      const again = await steps(againId);
      assert.ok(again.some((n) => n.key === '/investigate#0' && n.diverged));
    });
  }
});
