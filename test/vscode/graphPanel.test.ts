/// <reference types="vscode" />
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { eventually, runningSidecar, sidecarRequest, testApi } from './host';

/**
 * What `activate()` returns about the graph panels: the counts each run's webview reported after
 * drawing (`graph/rendered`, posted by the UI bundle through the VS Code host). Structural, as in
 * ./host.ts: these suites test the installed bundle, not a copy of extension/.
 */
interface GraphPanelsApi {
  rendered(runId: string): { nodes: number; visible: number } | undefined;
}

async function graphPanels(): Promise<GraphPanelsApi> {
  const api = (await testApi()) as { graphPanels?: GraphPanelsApi };
  if (!api.graphPanels) throw new Error('activate() must return { graphPanels } for the graph tests');
  return api.graphPanels;
}

/** A run of its own with a root, a decision under it and a tool under that. */
async function recordRun(workflow: string): Promise<{ runId: string; endpoint: { url: string; token: string } }> {
  const endpoint = await runningSidecar();
  const run = await sidecarRequest<{ id: string }>(endpoint, 'POST', '/api/runs', { workflow });
  const id = (name: string) => `${run.id}-${name}`;
  await sidecarRequest(endpoint, 'POST', `/api/runs/${run.id}/nodes`, {
    nodes: [
      { id: id('plan'), kind: 'step', name: 'plan', status: 'ok', seq: 0, input: { note: '<img src=x onerror=alert(1)>' } },
      {
        id: id('route'),
        parentId: id('plan'),
        kind: 'decision',
        name: 'route',
        status: 'ok',
        seq: 1,
        attributes: { options: [{ label: 'search', score: 0.8 }, { label: 'ask' }], chosen: 'search' },
      },
      { id: id('search'), parentId: id('route'), kind: 'tool', name: 'search', status: 'running', seq: 2 },
    ],
  });
  return { runId: run.id, endpoint };
}

describe('VS Code extension run graph panel', () => {
  it('runtrail.graph.open shows the run as a graph: the webview loads its bundle, completes the handshake and draws every node', async () => {
    const panels = await graphPanels();
    const { runId } = await recordRun('graph-open');
    const panel = await vscode.commands.executeCommand<vscode.WebviewPanel>('runtrail.graph.open', { runId });
    assert.ok(panel, 'runtrail.graph.open returned no panel');
    assert.equal(panel.viewType, 'runtrail.graph');
    assert.equal(panel.webview.options.enableScripts, true);
    assert.deepEqual(
      panel.webview.options.localResourceRoots?.map((uri) => uri.path.split('/').pop()),
      ['dist'],
      'the page may load from dist/ only',
    );
    const drawn = await eventually(() => panels.rendered(runId), `the graph webview of ${runId} reports drawing`, 30_000);
    assert.equal(drawn.nodes, 3);
    assert.ok(drawn.visible >= 1 && drawn.visible <= 3, `visible ${drawn.visible}`);

    const again = await vscode.commands.executeCommand<vscode.WebviewPanel>('runtrail.graph.open', { runId });
    assert.equal(again, panel, 'opening the run again reveals its panel');
    panel.dispose();
    assert.equal(panels.rendered(runId), undefined, 'closing the panel forgets it');
  });

  it('a live run grows in the open panel as nodes arrive', async () => {
    const panels = await graphPanels();
    const { runId, endpoint } = await recordRun('graph-live');
    const panel = await vscode.commands.executeCommand<vscode.WebviewPanel>('runtrail.graph.open', { runId });
    await eventually(() => (panels.rendered(runId)?.nodes === 3 ? true : undefined), 'the first 3 nodes drawn', 30_000);
    await sidecarRequest(endpoint, 'POST', `/api/runs/${runId}/nodes`, {
      nodes: [
        { id: `${runId}-answer`, parentId: `${runId}-plan`, kind: 'llm', name: 'answer', status: 'ok', seq: 3 },
        { id: `${runId}-search`, status: 'ok' },
      ],
    });
    const grown = await eventually(
      () => {
        const counts = panels.rendered(runId);
        return counts && counts.nodes === 4 ? counts : undefined;
      },
      'the posted node drawn in the open panel',
      30_000,
    );
    assert.equal(grown.nodes, 4);
    panel?.dispose();
  });
});
