/// <reference types="vscode" />
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { eventually, runningSidecar, sidecarRequest, testApi } from './host';

/**
 * "Runtrail: Compare Runs Side by Side…" (issue 8) in the editor: the command opens b's graph
 * panel and puts it side by side with a; the webview reports each computation of the diff
 * (`graph/compared`), which `activate()` exposes as `graphPanels.compared(b)`. Structural types,
 * as in ./host.ts: the suite tests the installed bundle.
 */
interface Compared {
  readonly a: string;
  readonly b: string;
  readonly firstDivergenceKey: string | null;
  readonly counts: { readonly added: number; readonly removed: number; readonly changed: number; readonly same: number };
}

interface ComparePanelsApi {
  compared(b: string): Compared | undefined;
}

async function graphPanels(): Promise<ComparePanelsApi> {
  const api = (await testApi()) as { graphPanels?: ComparePanelsApi };
  if (typeof api.graphPanels?.compared !== 'function') throw new Error('activate() must return { graphPanels: { compared } }');
  return api.graphPanels;
}

/** A run of three keyed nodes; `route`'s output is the one thing that differs between a and b. */
async function recordRun(endpoint: { url: string; token: string }, chosen: string, finish: boolean): Promise<string> {
  const run = await sidecarRequest<{ id: string }>(endpoint, 'POST', '/api/runs', { workflow: 'compare-side-by-side' });
  const id = (name: string) => `${run.id}-${name}`;
  await sidecarRequest(endpoint, 'POST', `/api/runs/${run.id}/nodes`, {
    nodes: [
      { id: id('plan'), key: '/plan#0', kind: 'step', name: 'plan', status: 'ok', seq: 0, output: { steps: 2 } },
      {
        id: id('route'),
        parentId: id('plan'),
        key: '/plan#0/route#0',
        kind: 'decision',
        name: 'route',
        status: 'ok',
        seq: 1,
        output: { chosen },
      },
      {
        id: id('answer'),
        parentId: id('plan'),
        key: '/plan#0/answer#0',
        kind: 'llm',
        name: 'answer',
        status: 'ok',
        seq: 2,
        output: 'done',
      },
    ],
  });
  if (finish) await sidecarRequest(endpoint, 'PATCH', `/api/runs/${run.id}`, { status: 'ok' });
  return run.id;
}

describe('VS Code extension: compare runs side by side', () => {
  it('runtrail.compareSideBySide opens b beside a: the webview reports the first divergence and the counts, and recomputes as a grows', async () => {
    const panels = await graphPanels();
    const endpoint = await runningSidecar();
    // a is still running: its new nodes reach b's panel only through the compare's watch.
    const a = await recordRun(endpoint, 'fix-now', false);
    const b = await recordRun(endpoint, 'needs-repro', true);
    const result = await vscode.commands.executeCommand<{ a: string; b: string } | undefined>('runtrail.compareSideBySide', a, b);
    assert.deepEqual(result, { a, b });

    const first = await eventually(() => panels.compared(b), `the graph of ${b} reports comparing with ${a}`, 30_000);
    assert.equal(first.a, a);
    assert.equal(first.b, b);
    assert.equal(first.firstDivergenceKey, '/plan#0/route#0');
    assert.deepEqual(first.counts, { added: 0, removed: 0, changed: 1, same: 2 });

    await sidecarRequest(endpoint, 'POST', `/api/runs/${a}/nodes`, {
      nodes: [{ id: `${a}-extra`, parentId: `${a}-plan`, key: '/plan#0/extra#0', kind: 'tool', name: 'extra', status: 'ok', seq: 3 }],
    });
    const grown = await eventually(
      () => (panels.compared(b)?.counts.removed === 1 ? panels.compared(b) : undefined),
      'the comparison recomputed after a grew',
      30_000,
    );
    assert.deepEqual(grown.counts, { added: 0, removed: 1, changed: 1, same: 2 });
    assert.equal(grown.firstDivergenceKey, '/plan#0/route#0');

    // Running the command again reveals the same panel (one per run).
    assert.deepEqual(await vscode.commands.executeCommand('runtrail.compareSideBySide', a, b), { a, b });
    await sidecarRequest(endpoint, 'PATCH', `/api/runs/${a}`, { status: 'ok' });
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('refuses to compare a run with itself, and names a run that does not exist', async () => {
    const endpoint = await runningSidecar();
    const b = await recordRun(endpoint, 'x', true);
    assert.equal(await vscode.commands.executeCommand('runtrail.compareSideBySide', b, b), undefined);
    assert.equal(await vscode.commands.executeCommand('runtrail.compareSideBySide', 'run_missing_0000', b), undefined);
  });
});
