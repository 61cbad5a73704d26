/// <reference types="vscode" />
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { eventually, recordedGreetRun, runningSidecar, sidecarRequest } from './host';

/** The active editor once it shows a `runtrail:` document for `nodeId`. */
function nodeEditor(nodeId: string): Promise<vscode.TextEditor> {
  return eventually(() => {
    const editor = vscode.window.activeTextEditor;
    return editor?.document.uri.scheme === 'runtrail' && editor.document.uri.path.includes(nodeId) ? editor : undefined;
  }, `a runtrail: editor for ${nodeId}`);
}

describe('VS Code extension node documents', () => {
  it('inspect opens the node as a runtrail: JSON document with its input and output', async () => {
    const { runId } = await recordedGreetRun();
    const nodeId = `${runId}-compose`;
    await vscode.commands.executeCommand('runtrail.node.inspect', { runId, nodeId });
    const editor = await nodeEditor(nodeId);
    assert.equal(editor.document.languageId, 'json');
    const shown = JSON.parse(editor.document.getText()) as Record<string, unknown>;
    assert.equal(shown.id, nodeId);
    assert.equal(shown.name, 'compose greeting');
    assert.deepEqual(shown.input, { name: 'Ada' });
    assert.deepEqual(shown.output, { greeting: 'Hello, Ada!' });
    assert.match(JSON.stringify(shown.source), /agent\.mjs/);
    // Pretty-printed, not one line.
    assert.ok(editor.document.lineCount > 10, `${editor.document.lineCount} lines`);
  });

  it('refreshes an open node document when the node changes', async () => {
    const endpoint = await runningSidecar();
    const run = await sidecarRequest<{ id: string }>(endpoint, 'POST', '/api/runs', { workflow: 'document-refresh' });
    const nodeId = `${run.id}-slow`;
    await sidecarRequest(endpoint, 'POST', `/api/runs/${run.id}/nodes`, {
      nodes: [{ id: nodeId, kind: 'tool', name: 'slow tool', status: 'running', seq: 0, input: { query: 'weather' } }],
    });
    await vscode.commands.executeCommand('runtrail.node.inspect', { runId: run.id, nodeId });
    const editor = await nodeEditor(nodeId);
    assert.equal((JSON.parse(editor.document.getText()) as { status: string }).status, 'running');
    await sidecarRequest(endpoint, 'POST', `/api/runs/${run.id}/nodes`, {
      nodes: [{ id: nodeId, status: 'ok', output: { forecast: 'sunny' } }],
    });
    const updated = await eventually(() => {
      const shown = JSON.parse(editor.document.getText()) as { status: string; output: unknown };
      return shown.status === 'ok' ? shown : undefined;
    }, 'the document shows the finished node');
    assert.deepEqual(updated.output, { forecast: 'sunny' });
  });
});
