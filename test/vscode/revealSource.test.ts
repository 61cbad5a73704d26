/// <reference types="vscode" />
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { eventually, recordedGreetRun, runningSidecar, sidecarRequest, workspaceRoot } from './host';

function editorOf(file: string, line: number): Promise<vscode.TextEditor> {
  return eventually(
    () => {
      const editor = vscode.window.activeTextEditor;
      return editor?.document.uri.fsPath === file && editor.selection.active.line === line ? editor : undefined;
    },
    `${file} open at line ${line + 1}`,
  );
}

describe('VS Code extension jump to source', () => {
  it('reveal source opens the workspace file at the line that recorded the node', async () => {
    const { runId } = await recordedGreetRun();
    const endpoint = await runningSidecar();
    const nodeId = `${runId}-shout`;
    const node = await sidecarRequest<{ source: { file: string; line: number } | null }>(endpoint, 'GET', `/api/nodes/${nodeId}`);
    assert.ok(node.source, 'the workflow recorded no source location');
    await vscode.commands.executeCommand('runtrail.node.revealSource', { runId, nodeId });
    const editor = await editorOf(path.join(workspaceRoot(), 'agent.mjs'), node.source.line - 1);
    // agent.mjs's here() reports the line of its own call, inside the record() of "shout".
    const line = node.source.line - 1;
    assert.match(editor.document.lineAt(line).text, /here\(\)/);
    assert.match(editor.document.getText(new vscode.Range(Math.max(0, line - 8), 0, line, 0)), /name: 'shout'/);
  });

  it('maps an absolute path recorded on another machine onto the workspace by its suffix', async () => {
    const endpoint = await runningSidecar();
    const run = await sidecarRequest<{ id: string }>(endpoint, 'POST', '/api/runs', { workflow: 'from-a-container', cwd: '/app' });
    const nodeId = `${run.id}-elsewhere`;
    await sidecarRequest(endpoint, 'POST', `/api/runs/${run.id}/nodes`, {
      nodes: [
        { id: nodeId, kind: 'step', name: 'elsewhere', status: 'ok', seq: 0, source: { file: '/app/ci/checkout/agent.mjs', line: 4 } },
      ],
    });
    await vscode.commands.executeCommand('runtrail.node.revealSource', { runId: run.id, nodeId });
    await editorOf(path.join(workspaceRoot(), 'agent.mjs'), 3);
  });

  it('reveal source on a file that does not exist settles without throwing', async () => {
    const endpoint = await runningSidecar();
    const run = await sidecarRequest<{ id: string }>(endpoint, 'POST', '/api/runs', { workflow: 'missing-file' });
    const nodeId = `${run.id}-ghost`;
    await sidecarRequest(endpoint, 'POST', `/api/runs/${run.id}/nodes`, {
      nodes: [{ id: nodeId, kind: 'step', name: 'ghost', status: 'ok', seq: 0, source: { file: 'nowhere/ghost.mjs', line: 1 } }],
    });
    await vscode.commands.executeCommand('runtrail.node.revealSource', { runId: run.id, nodeId });
    assert.ok(!vscode.window.activeTextEditor?.document.uri.fsPath.endsWith('ghost.mjs'));
  });

  it('shows CodeLens "N runs · last …" on the lines that recorded nodes', async () => {
    const { runId } = await recordedGreetRun();
    const endpoint = await runningSidecar();
    const node = await sidecarRequest<{ source: { line: number } }>(endpoint, 'GET', `/api/nodes/${runId}-shout`);
    const uri = vscode.Uri.file(path.join(workspaceRoot(), 'agent.mjs'));
    await vscode.window.showTextDocument(uri);
    const lens = await eventually(async () => {
      const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 10)) ?? [];
      return lenses.find((l) => l.range.start.line === node.source.line - 1 && /\d+ runs? · last/.test(l.command?.title ?? ''));
    }, `a Runtrail CodeLens on agent.mjs line ${node.source.line}`);
    assert.match(lens.command?.title ?? '', /^\d+ runs? · last ok \d/);
  });
});
