/// <reference types="vscode" />
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { entryMentions, eventually, findInTree, recordedGreetRun, runningSidecar, sidecarRequest, testApi } from './host';

interface RunLike {
  readonly id: string;
  readonly status: string;
  readonly replayOf: string | null;
  readonly forkedFromNode: string | null;
}

/** The run once it has ended; the workspace's agent.mjs records plainly and ignores the replay, which is enough here. */
async function finished(runId: string): Promise<RunLike> {
  const endpoint = await runningSidecar();
  return eventually(async () => {
    const run = await sidecarRequest<RunLike>(endpoint, 'GET', `/api/runs/${runId}`);
    return run.status === 'running' ? undefined : run;
  }, `run ${runId} finishes`);
}

const countsLine = /\*\*\d+ added, \d+ removed, \d+ changed, \d+ same\*\*/;

describe('VS Code extension replay, fork and compare', () => {
  let replayId: string | undefined;

  it('replays a finished run (runtrail.run.replay): a new run linked to the original, shown in the Runs view', async () => {
    const { runId } = await recordedGreetRun();
    const replay = await vscode.commands.executeCommand<RunLike | undefined>('runtrail.run.replay', { runId });
    assert.ok(replay, 'runtrail.run.replay resolved to no run');
    assert.notEqual(replay.id, runId);
    assert.equal(replay.replayOf, runId);
    assert.equal(replay.forkedFromNode, null);
    replayId = replay.id;
    const { runsProvider } = await testApi();
    await eventually(
      () => findInTree(runsProvider, (entry) => (entry.item.contextValue ?? '').startsWith('run') && entryMentions(entry, replay.id)),
      `replay ${replay.id} in the Runs view`,
    );
    const ended = await finished(replay.id);
    assert.equal(ended.status, 'ok');
    assert.equal(ended.replayOf, runId);
  });

  it('forks a run at a node (runtrail.node.forkHere): the new run records the fork node', async () => {
    const { runId } = await recordedGreetRun();
    const nodeId = `${runId}-compose`;
    const fork = await vscode.commands.executeCommand<RunLike | undefined>('runtrail.node.forkHere', { nodeId, runId });
    assert.ok(fork, 'runtrail.node.forkHere resolved to no run');
    assert.equal(fork.replayOf, runId);
    assert.equal(fork.forkedFromNode, nodeId);
    await finished(fork.id);
  });

  it('compares two runs (runtrail.runs.compare) in a read-only document naming both and their counts', async () => {
    const { runId } = await recordedGreetRun();
    assert.ok(replayId, 'the replay test did not run');
    await finished(replayId);
    const document = await vscode.commands.executeCommand<vscode.TextDocument | undefined>('runtrail.runs.compare', runId, replayId);
    assert.ok(document, 'runtrail.runs.compare resolved to no document');
    assert.equal(document.uri.scheme, 'runtrail-diff');
    const text = document.getText();
    assert.ok(text.includes(runId) && text.includes(replayId), `the comparison names both runs:\n${text}`);
    assert.match(text, countsLine);
    assert.ok(text.includes('b is a replay of a'), `the comparison says b replays a:\n${text}`);
    assert.equal(vscode.window.activeTextEditor?.document.uri.toString(), document.uri.toString());
  });

  it('compares a run with one picked from the other runs of its workflow', async () => {
    const { runId } = await recordedGreetRun();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    // The quick pick lists the other greet runs newest first; Enter takes the newest, as a user would.
    const opening = vscode.commands.executeCommand<vscode.TextDocument | undefined>('runtrail.runs.compare', runId);
    await eventually(async () => {
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      const active = vscode.window.activeTextEditor?.document;
      return active?.uri.scheme === 'runtrail-diff' && active.getText().includes(runId) ? active : undefined;
    }, 'a comparison of the greet run with the picked run');
    const document = await opening;
    assert.ok(document, 'runtrail.runs.compare resolved to no document');
    assert.match(document.getText(), countsLine);
  });

  it('shows a run family (runtrail.run.showFamily) and opens the run given, no pick needed', async () => {
    const { runId } = await recordedGreetRun();
    assert.ok(replayId, 'the replay test did not run');
    const shown = await vscode.commands.executeCommand<
      { family: { rootId: string; runs: { run: RunLike; parentId: string | null; depth: number }[] }; opened?: string } | undefined
    >('runtrail.run.showFamily', { runId: replayId }, runId);
    assert.ok(shown, 'runtrail.run.showFamily resolved to nothing');
    assert.equal(shown.family.rootId, runId);
    assert.deepEqual(shown.family.runs[0], { ...shown.family.runs[0], parentId: null, depth: 0 });
    const member = shown.family.runs.find((m) => m.run.id === replayId);
    assert.deepEqual(member && [member.parentId, member.depth], [runId, 1]);
    assert.ok(
      shown.family.runs.some((m) => m.run.forkedFromNode !== null),
      'the fork of the earlier test is in the family',
    );
    assert.equal(shown.opened, runId);
  });

  it('compares a run with the latest run of its workflow on a branch (runtrail.runs.compareWithBranch)', async () => {
    const endpoint = await runningSidecar();
    const stamp = Date.now().toString(36);
    const t0 = Date.now() - 60_000;
    const create = (id: string, branch: string, seconds: number) =>
      sidecarRequest<RunLike>(endpoint, 'POST', '/api/runs', {
        id,
        workflow: `branchy-${stamp}`,
        git: { branch },
        startedAt: new Date(t0 + seconds * 1000).toISOString(),
      });
    await create(`main-old-${stamp}`, 'main', 0);
    const mainNew = await create(`main-new-${stamp}`, 'main', 1);
    const mine = await create(`feature-${stamp}`, 'feature', 2);
    const document = await vscode.commands.executeCommand<vscode.TextDocument | undefined>(
      'runtrail.runs.compareWithBranch',
      { runId: mine.id },
      'main',
    );
    assert.ok(document, 'runtrail.runs.compareWithBranch resolved to no document');
    assert.equal(document.uri.scheme, 'runtrail-diff');
    const text = document.getText();
    assert.ok(text.includes(mainNew.id) && text.includes(mine.id), `the comparison names main's newest run and this one:\n${text}`);
    assert.ok(!text.includes(`main-old-${stamp}`), 'not the older run on main');
  });
});
