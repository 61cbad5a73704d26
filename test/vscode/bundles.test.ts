/// <reference types="vscode" />
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { eventually, runningSidecar, sidecarRequest, testApi } from './host';

/** Structural, as in ./host.ts: these suites test the installed bundle, not a copy of extension/. */
interface GraphPanelsApi {
  rendered(key: string): { nodes: number; visible: number } | undefined;
}

async function graphPanels(): Promise<GraphPanelsApi> {
  const api = (await testApi()) as { graphPanels?: GraphPanelsApi };
  if (!api.graphPanels) throw new Error('activate() must return { graphPanels } for the bundle tests');
  return api.graphPanels;
}

async function status(endpoint: { url: string; token: string }, route: string): Promise<number> {
  const res = await fetch(`${endpoint.url}${route}`, { headers: { authorization: `Bearer ${endpoint.token}` } });
  await res.body?.cancel();
  return res.status;
}

/** A bundle of a run the sidecar has never seen: a root, two children, one of a placeholder parent. */
function bundleText(runId: string): string {
  const t = '2026-01-01T12:00:00.000Z';
  const node = (id: string, parentId: string | null, seq: number, extra: Record<string, unknown> = {}) => ({
    type: 'node',
    node: {
      id: `${runId}-${id}`,
      parentId: parentId === null ? null : `${runId}-${parentId}`,
      key: null,
      kind: 'step',
      name: id,
      status: 'ok',
      seq,
      startedAt: t,
      endedAt: t,
      tokensIn: null,
      tokensOut: null,
      costUsd: null,
      source: null,
      replayed: false,
      diverged: false,
      ...extra,
    },
  });
  const lines = [
    { format: 'runtrail-bundle', version: 1, exportedAt: t, producer: 'runtrail test', redacted: [] },
    {
      type: 'run',
      run: {
        id: runId,
        workflow: 'from-a-file',
        status: 'ok',
        startedAt: t,
        endedAt: t,
        error: null,
        command: ['node', 'agent.mjs'],
        cwd: null,
        git: { repo: null, branch: null, commit: null, dirty: null },
        labels: [],
        replayOf: null,
        forkedFromNode: null,
      },
    },
    node('root', null, 0, { input: { question: 'déjà vu?' } }),
    node('answer', 'root', 1, { kind: 'llm', output: { text: 'oui' } }),
    node('late', 'ghost', 2),
  ];
  return `${lines.map((line) => JSON.stringify(line)).join('\n')}\n`;
}

describe('VS Code extension run bundles', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'runtrail-vscode-bundles-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('Export Run… writes the run from the sidecar to a bundle file', async () => {
    const endpoint = await runningSidecar();
    const run = await sidecarRequest<{ id: string }>(endpoint, 'POST', '/api/runs', { workflow: 'bundle-export' });
    await sidecarRequest(endpoint, 'POST', `/api/runs/${run.id}/nodes`, {
      nodes: [
        { id: `${run.id}-a`, kind: 'step', name: 'a', status: 'ok', seq: 0, input: { x: 1 } },
        { id: `${run.id}-b`, parentId: `${run.id}-a`, kind: 'tool', name: 'b', status: 'ok', seq: 1 },
      ],
    });
    const target = vscode.Uri.file(path.join(tmp, `${run.id}.runtrail.jsonl`));
    const written = await vscode.commands.executeCommand<vscode.Uri>('runtrail.run.export', { runId: run.id }, target);
    assert.equal(written?.fsPath, target.fsPath);
    const lines = fs.readFileSync(target.fsPath, 'utf8').trimEnd().split('\n');
    assert.equal(JSON.parse(lines[0] as string).format, 'runtrail-bundle');
    assert.equal(JSON.parse(lines[1] as string).run.id, run.id);
    assert.deepEqual(
      lines.slice(2).map((line) => JSON.parse(line).type),
      ['node', 'node', 'edge'],
    );
    assert.deepEqual(JSON.parse(lines[2] as string).node.input, { x: 1 });
  });

  it('Open Run Bundle… shows the file read-only in the graph panel without importing it', async () => {
    const panels = await graphPanels();
    const endpoint = await runningSidecar();
    const runId = `bundle-only-${Date.now().toString(36)}`;
    const file = vscode.Uri.file(path.join(tmp, `${runId}.runtrail.jsonl`));
    fs.writeFileSync(file.fsPath, bundleText(runId));
    const panel = await vscode.commands.executeCommand<vscode.WebviewPanel>('runtrail.bundle.open', file);
    assert.ok(panel, 'runtrail.bundle.open returned no panel');
    assert.equal(panel.viewType, 'runtrail.graph');
    const drawn = await eventually(() => panels.rendered(`bundle:${file.toString()}`), 'the bundle graph reports drawing', 30_000);
    assert.equal(drawn.nodes, 4, 'three nodes and the placeholder parent');
    assert.match(panel.title, /from-a-file .*\(bundle\)/);
    assert.equal(await status(endpoint, `/api/runs/${runId}`), 404, 'opening a bundle creates no run');
    panel.dispose();
  });

  it('Open Run Bundle… on a malformed file says so and opens nothing', async () => {
    const file = vscode.Uri.file(path.join(tmp, 'broken.jsonl'));
    fs.writeFileSync(file.fsPath, '{"format":"runtrail-bundle","version":9}\n');
    const panel = await vscode.commands.executeCommand<vscode.WebviewPanel | undefined>('runtrail.bundle.open', file);
    assert.equal(panel, undefined);
  });

  it('Import Run Bundle… loads the file into the sidecar and opens the run', async () => {
    const panels = await graphPanels();
    const endpoint = await runningSidecar();
    const runId = `bundle-import-${Date.now().toString(36)}`;
    const file = vscode.Uri.file(path.join(tmp, `${runId}.runtrail.jsonl`));
    fs.writeFileSync(file.fsPath, bundleText(runId));
    const result = await vscode.commands.executeCommand<{ runId: string; created: boolean }>('runtrail.bundle.import', file);
    assert.deepEqual(result, { runId, created: true });
    const tree = await sidecarRequest<{ nodes: unknown[] }>(endpoint, 'GET', `/api/runs/${runId}/tree`);
    assert.equal(tree.nodes.length, 4);
    const drawn = await eventually(() => panels.rendered(runId), 'the imported run drawn', 30_000);
    assert.equal(drawn.nodes, 4);
    const again = await vscode.commands.executeCommand<{ runId: string; created: boolean }>('runtrail.bundle.import', file);
    assert.deepEqual(again, { runId, created: false });
  });
});
