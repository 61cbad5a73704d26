import type * as vscode from 'vscode';
import { registerBundleCommands } from './bundles/bundleCommands';
import { RunCodeLens } from './codelens/runCodeLens';
import type { FeatureServices } from './commands/featureServices';
import { registerNodeCommands } from './commands/nodeCommands';
import { registerReplayCommands } from './commands/replayCommands';
import { registerRunCommands } from './commands/runCommands';
import { registerWorkflowCommands } from './commands/workflowCommands';
import { DiffDocumentProvider } from './documents/diffDocumentProvider';
import { NodeDocumentProvider } from './documents/nodeDocumentProvider';
import { GraphPanels } from './graph/graphPanel';
import type { SidecarConnection } from './services';
import { SourceNavigator } from './source/revealSource';
import { type RunsElement, RunsView } from './views/runsView';
import { type WorkflowsElement, WorkflowsView } from './views/workflowsView';

/**
 * What the features add to the extension's API (`activate()` returns it merged with the
 * connection): the views' data providers, which VS Code offers no other way to reach, so the
 * in-editor tests can read the trees as the views render them.
 */
export interface FeaturesApi {
  readonly runsProvider: vscode.TreeDataProvider<RunsElement>;
  readonly workflowsProvider: vscode.TreeDataProvider<WorkflowsElement>;
  /**
   * The run graph panels: what each run's webview reported drawing (`graph/rendered`) and the
   * last side-by-side diff it computed (`graph/compared`).
   */
  readonly graphPanels: Pick<GraphPanels, 'rendered' | 'onDidRender' | 'compared' | 'onDidCompare'>;
}

/**
 * Registers the user-facing features (Runs and Workflows views, commands, node documents, jump
 * to source, CodeLens) on top of a sidecar connection. Everything registered goes onto
 * context.subscriptions.
 */
export function registerFeatures(
  context: vscode.ExtensionContext,
  sidecar: SidecarConnection,
  output: vscode.LogOutputChannel,
): FeaturesApi {
  const source = new SourceNavigator(output);
  const services: FeatureServices = {
    sidecar,
    output,
    runsView: new RunsView(sidecar, output, context.workspaceState),
    workflowsView: new WorkflowsView(sidecar, output),
    codeLens: new RunCodeLens(sidecar, output),
    graphPanels: new GraphPanels(context.extensionUri, sidecar, output, source),
    source,
  };
  context.subscriptions.push(
    services.runsView,
    services.workflowsView,
    services.codeLens,
    services.graphPanels,
    services.source,
    new NodeDocumentProvider(sidecar),
    new DiffDocumentProvider(sidecar),
    ...registerRunCommands(services),
    ...registerNodeCommands(services),
    ...registerWorkflowCommands(services),
    ...registerReplayCommands(services),
    ...registerBundleCommands(services),
  );
  return { runsProvider: services.runsView, workflowsProvider: services.workflowsView, graphPanels: services.graphPanels };
}
