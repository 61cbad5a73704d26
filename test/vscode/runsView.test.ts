/// <reference types="vscode" />
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import {
  entryMentions,
  eventually,
  findInTree,
  recordedGreetRun,
  runningSidecar,
  sidecarRequest,
  type TreeEntry,
  testApi,
  treeChildren,
} from './host';

/** The run's entry in the Runs view, waited for: the view learns about runs through live events. */
async function runEntry(runId: string): Promise<TreeEntry> {
  const { runsProvider } = await testApi();
  return eventually(
    () => findInTree(runsProvider, (entry) => (entry.item.contextValue ?? '').startsWith('run') && entryMentions(entry, runId)),
    `run ${runId} in the Runs view`,
  );
}

describe('VS Code extension Runs view', () => {
  it('shows a finished run of the workspace workflow under its workflow', async () => {
    const { runId } = await recordedGreetRun();
    const { runsProvider } = await testApi();
    const entry = await runEntry(runId);
    assert.equal(entry.item.contextValue, 'run');
    const group = (await treeChildren(runsProvider)).find((g) => g.label.includes('greet'));
    assert.ok(group, 'no "greet" group at the top of the Runs view');
    const inGroup = await treeChildren(runsProvider, group.element);
    assert.ok(
      inGroup.some((e) => entryMentions(e, runId)),
      `run ${runId} is not under the greet group: ${inGroup.map((e) => e.label).join(', ')}`,
    );
  });

  it('expands a run into its node tree (greet › compose greeting, shout)', async () => {
    const { runId } = await recordedGreetRun();
    const { runsProvider } = await testApi();
    const run = await runEntry(runId);
    assert.notEqual(run.item.collapsibleState, vscode.TreeItemCollapsibleState.None, 'a run with nodes must be expandable');
    const roots = await treeChildren(runsProvider, run.element);
    const greet = roots.find((e) => e.label.startsWith('greet'));
    assert.ok(greet, `no "greet" node among ${roots.map((e) => e.label).join(', ')}`);
    assert.ok((greet.item.contextValue ?? '').startsWith('node'), `node contextValue is ${greet.item.contextValue}`);
    const children = (await treeChildren(runsProvider, greet.element)).map((e) => e.label);
    assert.ok(
      children.some((l) => l.startsWith('compose greeting')) && children.some((l) => l.startsWith('shout')),
      `children of greet: ${children.join(', ')}`,
    );
  });

  it('adds a run recorded over plain HTTP while the view is open (live)', async () => {
    const endpoint = await runningSidecar();
    await testApi();
    const run = await sidecarRequest<{ id: string }>(endpoint, 'POST', '/api/runs', { workflow: 'live-check' });
    await sidecarRequest(endpoint, 'POST', `/api/runs/${run.id}/nodes`, {
      nodes: [{ id: `${run.id}-only`, kind: 'step', name: 'only step', status: 'ok', seq: 0 }],
    });
    const entry = await runEntry(run.id);
    assert.ok((entry.item.contextValue ?? '').startsWith('run'));
  });

  it('runs a workflow from the command palette (runtrail.workflow.run), taking the input default', async () => {
    const endpoint = await runningSidecar();
    const before = await sidecarRequest<{ runs: Array<{ id: string }> }>(endpoint, 'GET', '/api/runs?workflow=greet&limit=200');
    const known = new Set(before.runs.map((r) => r.id));
    // The command asks for the `name` input; Enter takes the default, as a user would.
    const running = vscode.commands.executeCommand('runtrail.workflow.run', 'greet');
    const started = await eventually(async () => {
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      const page = await sidecarRequest<{ runs: Array<{ id: string; status: string }> }>(
        endpoint,
        'GET',
        '/api/runs?workflow=greet&limit=200',
      );
      return page.runs.find((r) => !known.has(r.id));
    }, 'a new greet run started by runtrail.workflow.run');
    await running;
    const finished = await eventually(async () => {
      const current = await sidecarRequest<{ status: string }>(endpoint, 'GET', `/api/runs/${started.id}`);
      return current.status === 'running' ? undefined : current;
    }, `run ${started.id} finishes`);
    assert.equal(finished.status, 'ok');
    const node = await sidecarRequest<{ input: unknown }>(endpoint, 'GET', `/api/nodes/${started.id}-greet`);
    assert.deepEqual(node.input, { name: 'world' });
    await runEntry(started.id);
  });
});
