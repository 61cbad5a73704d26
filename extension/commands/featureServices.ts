import type * as vscode from 'vscode';
import type { RunCodeLens } from '../codelens/runCodeLens';
import type { GraphPanels } from '../graph/graphPanel';
import type { SidecarConnection } from '../services';
import type { SourceNavigator } from '../source/revealSource';
import type { RunsView } from '../views/runsView';
import type { WorkflowsView } from '../views/workflowsView';

/** What the feature commands act on; built once by registerFeatures. */
export interface FeatureServices {
  readonly sidecar: SidecarConnection;
  readonly output: vscode.LogOutputChannel;
  readonly runsView: RunsView;
  readonly workflowsView: WorkflowsView;
  readonly codeLens: RunCodeLens;
  readonly graphPanels: GraphPanels;
  readonly source: SourceNavigator;
}
