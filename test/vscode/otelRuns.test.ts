/// <reference types="vscode" />
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { entryMentions, eventually, findInTree, runningSidecar, sidecarRequest, testApi, workspaceRoot } from './host';

/**
 * Issue 9's "done when", in the editor: a program instrumented only with OpenTelemetry (the test
 * workspace's otel-agent.mjs, a copy of examples/otel/agent.mjs: no Runtrail SDK, no Runtrail code)
 * is started as a workflow; the runner points its OTLP exporter at the sidecar, and its spans show
 * up as that run's nodes in the Runs view and the graph, with jump-to-source to the lines that made them.
 */

interface NodeLike {
  readonly id: string;
  readonly kind: string;
  readonly name: string | null;
  readonly status: string;
  readonly tokensIn: number | null;
  readonly source: { readonly file: string; readonly line: number } | null;
}

describe('OpenTelemetry-only programs in VS Code', () => {
  let runId: string | undefined;
  let nodes: NodeLike[] = [];

  it('a workflow instrumented only with OpenTelemetry records its spans into its run', async () => {
    const run = await vscode.commands.executeCommand<{ id: string } | undefined>('runtrail.workflow.run', 'otel-js');
    assert.ok(run, 'runtrail.workflow.run otel-js resolved to no run');
    runId = run.id;
    const endpoint = await runningSidecar();
    const ended = await eventually(
      async () => {
        const current = await sidecarRequest<{ status: string }>(endpoint, 'GET', `/api/runs/${run.id}`);
        return current.status === 'running' ? undefined : current;
      },
      `run ${run.id} finishes`,
      60_000,
    );
    assert.equal(ended.status, 'ok', JSON.stringify(ended));
    const tree = await sidecarRequest<{ nodes: NodeLike[] }>(endpoint, 'GET', `/api/runs/${run.id}/tree?format=flat`);
    nodes = tree.nodes;
    const kinds = tree.nodes.map((node) => node.kind);
    assert.equal(kinds.filter((kind) => kind === 'llm').length, 2, `two chat spans as llm nodes: ${kinds.join(', ')}`);
    assert.equal(kinds.filter((kind) => kind === 'tool').length, 2, `two execute_tool spans as tool nodes: ${kinds.join(', ')}`);
    assert.ok(
      tree.nodes.some((node) => node.kind === 'tool' && node.status === 'error'),
      'the failing tool call is an error node',
    );
    assert.deepEqual(
      tree.nodes.filter((node) => node.kind === 'llm').map((node) => node.tokensIn),
      [52, 120],
    );
  });

  it('shows the spans in the Runs view under the run', async () => {
    assert.ok(runId, 'the OTel run did not finish');
    const { runsProvider } = await testApi();
    await eventually(
      () => findInTree(runsProvider, (entry) => (entry.item.contextValue ?? '').startsWith('run') && entryMentions(entry, runId as string)),
      `run ${runId} in the Runs view`,
    );
    // Workflow group → run → the agent's root span → its chat spans.
    const chat = await eventually(
      () => findInTree(runsProvider, (entry) => entryMentions(entry, 'chat gpt-4o-mini') && entryMentions(entry, runId as string), 5),
      'a chat span under the run in the Runs view',
    );
    assert.ok(chat);
  });

  it('jumps from a span to the line of the program that made it', async () => {
    const chat = nodes.find((node) => node.kind === 'llm');
    assert.ok(chat?.source, `the chat span has a source location: ${JSON.stringify(chat)}`);
    const file = path.join(workspaceRoot(), 'otel-agent.mjs');
    assert.equal(path.basename(chat.source.file), 'otel-agent.mjs');
    await vscode.commands.executeCommand('runtrail.node.revealSource', { runId, nodeId: chat.id });
    const editor = await eventually(() => {
      const active = vscode.window.activeTextEditor;
      return active?.document.uri.fsPath === file && active.selection.active.line === (chat.source?.line ?? 0) - 1 ? active : undefined;
    }, `otel-agent.mjs open at line ${chat.source.line}`);
    assert.match(editor.document.lineAt(chat.source.line - 1).text, /chat\(/, 'the line that called chat()');
  });

  it('draws the run in the graph', async () => {
    assert.ok(runId, 'the OTel run did not finish');
    const api = (await testApi()) as { graphPanels?: { rendered(runId: string): { nodes: number } | undefined } };
    const endpoint = await runningSidecar();
    const total = (await sidecarRequest<{ nodes: unknown[] }>(endpoint, 'GET', `/api/runs/${runId}/tree?format=flat`)).nodes.length;
    await vscode.commands.executeCommand('runtrail.graph.open', { runId });
    const drawn = await eventually(
      () => (api.graphPanels?.rendered(runId as string)?.nodes === total ? true : undefined),
      `the graph draws all ${total} nodes`,
      30_000,
    );
    assert.ok(drawn);
  });
});
