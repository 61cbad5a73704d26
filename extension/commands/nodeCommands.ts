import * as vscode from 'vscode';
import type { NodeSummary, Run } from '../../protocol/runs';
import { NodeDocumentProvider } from '../documents/nodeDocumentProvider';
import { shortId } from '../views/format';
import { type NodeRef, nodeRefOf } from './commandArgs';
import type { FeatureServices } from './featureServices';
import { reportError } from './reportError';
import { readyApi } from './sidecarReady';

/**
 * Commands on one node. Each takes the node as its first argument (a node element from the view,
 * `{nodeId, runId?}`, or a node id); from the palette it uses the Runs view's selected node, else
 * asks for an id.
 */
export function registerNodeCommands(services: FeatureServices): vscode.Disposable[] {
  const { output } = services;

  const withNode = (action: string, fn: (ref: NodeRef) => Promise<unknown>) => async (arg?: unknown) => {
    const ref = nodeRefOf(arg) ?? selectedNode(services) ?? (await askNodeId());
    if (!ref) return undefined;
    try {
      return await fn(ref);
    } catch (error) {
      reportError(output, `${action} ${shortId(ref.nodeId)}`, error);
      return undefined;
    }
  };

  return [
    vscode.commands.registerCommand(
      'runtrail.node.inspect',
      withNode('Could not open node', async (ref) => {
        const document = await vscode.workspace.openTextDocument(NodeDocumentProvider.uriFor(ref.nodeId, ref.runId));
        return vscode.window.showTextDocument(document, { preview: true });
      }),
    ),
    vscode.commands.registerCommand(
      'runtrail.node.revealSource',
      withNode('Could not open the source of node', async (ref) => {
        const node = await nodeSummary(services, ref);
        return services.source.reveal(node, await runOf(services, node.runId));
      }),
    ),
    vscode.commands.registerCommand(
      'runtrail.node.copyId',
      withNode('Could not copy the id of node', async (ref) => {
        await vscode.env.clipboard.writeText(ref.nodeId);
        vscode.window.setStatusBarMessage(`Copied node id ${ref.nodeId}`, 3000);
        return ref.nodeId;
      }),
    ),
    vscode.commands.registerCommand(
      'runtrail.node.reveal',
      withNode('Could not show node', async (ref) => {
        const runId = ref.runId ?? (await (await readyApi(services.sidecar)).node(ref.nodeId)).runId;
        const shown = await services.runsView.revealNode(runId, ref.nodeId);
        if (!shown) void vscode.window.showWarningMessage(`Node ${ref.nodeId} is no longer in run ${shortId(runId)}.`);
        return shown;
      }),
    ),
  ];
}

function selectedNode(services: FeatureServices): NodeRef | undefined {
  const [selected] = services.runsView.selection;
  return selected?.type === 'node' ? { nodeId: selected.nodeId, runId: selected.runId } : undefined;
}

async function askNodeId(): Promise<NodeRef | undefined> {
  const nodeId = await vscode.window.showInputBox({
    title: 'Runtrail: node id',
    prompt: 'Select a node in the Runs view, or paste a node id',
    validateInput: (value) => (value.trim() === '' ? 'Enter a node id' : undefined),
  });
  return nodeId ? { nodeId: nodeId.trim() } : undefined;
}

/** The node without payloads: from the Runs view when its run is loaded there, else from the sidecar. */
async function nodeSummary(services: FeatureServices, ref: NodeRef): Promise<NodeSummary> {
  const loaded = ref.runId ? services.runsView.loadedTree(ref.runId)?.get(ref.nodeId) : undefined;
  return loaded?.source ? loaded : (await readyApi(services.sidecar)).node(ref.nodeId);
}

async function runOf(services: FeatureServices, runId: string): Promise<Run | undefined> {
  try {
    return services.runsView.run(runId) ?? (await services.sidecar.api().getRun(runId));
  } catch (error) {
    services.output.debug(`Run ${runId} for jump to source: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}
