import * as vscode from 'vscode';
import type { Workflow, WorkflowList } from '../../protocol/workflows';
import { describeError } from '../commands/userErrors';
import { type SidecarConnection, SidecarRequestError } from '../services';

/**
 * The Workflows view: what `runtrail.json` declares, each with a run button. The sidecar reads
 * the file on every request, so the view re-asks whenever a runtrail.json changes on disk.
 * A broken file (422 `invalid_config`) shows as one item carrying the sidecar's message, which
 * names the file, the workflow and the field.
 */
export interface WorkflowElement {
  readonly type: 'workflow';
  readonly workflow: Workflow;
}
export interface ConfigErrorElement {
  readonly type: 'configError';
  readonly message: string;
  readonly file: string | undefined;
}
export type WorkflowsElement = WorkflowElement | ConfigErrorElement;

/** `runtrail.workflows.empty`: why the view is empty, for its welcome text. */
type EmptyReason = 'noConfig' | 'noWorkflows' | 'none';

export class WorkflowsView implements vscode.TreeDataProvider<WorkflowsElement>, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<undefined>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  readonly treeView: vscode.TreeView<WorkflowsElement>;
  private readonly disposables: vscode.Disposable[] = [];
  private last: WorkflowList | undefined;

  constructor(
    private readonly sidecar: SidecarConnection,
    private readonly output: vscode.LogOutputChannel,
  ) {
    this.treeView = vscode.window.createTreeView('runtrail.workflows', { treeDataProvider: this });
    const watcher = vscode.workspace.createFileSystemWatcher('**/runtrail.json');
    this.disposables.push(
      this.treeView,
      this.changeEmitter,
      watcher,
      watcher.onDidChange(() => this.refresh()),
      watcher.onDidCreate(() => this.refresh()),
      watcher.onDidDelete(() => this.refresh()),
      sidecar.onDidChangeState(() => this.refresh()),
    );
  }

  dispose(): void {
    for (const disposable of this.disposables) disposable.dispose();
  }

  refresh(): void {
    this.changeEmitter.fire(undefined);
  }

  /** The workflows the last listing returned (for the palette's quick pick). */
  get workflows(): readonly Workflow[] {
    return this.last?.workflows ?? [];
  }

  async getChildren(element?: WorkflowsElement): Promise<WorkflowsElement[]> {
    if (element || this.sidecar.state.kind !== 'running') return [];
    try {
      this.last = await this.sidecar.api().listWorkflows();
      void setEmpty(this.last.configFile === null ? 'noConfig' : this.last.workflows.length === 0 ? 'noWorkflows' : 'none');
      return this.last.workflows.map((workflow) => ({ type: 'workflow', workflow }));
    } catch (error) {
      this.last = undefined;
      void setEmpty('none');
      const file = error instanceof SidecarRequestError && error.code === 'invalid_config' ? configFileOf(error.message) : undefined;
      if (!file) this.output.warn(`Workflows view: ${describeError(error)}`);
      return [{ type: 'configError', message: describeError(error), file }];
    }
  }

  getTreeItem(element: WorkflowsElement): vscode.TreeItem {
    if (element.type === 'configError') {
      const item = new vscode.TreeItem(element.message);
      item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground'));
      item.tooltip = element.message;
      item.contextValue = 'configError';
      if (element.file) {
        item.command = { command: 'vscode.open', title: 'Open runtrail.json', arguments: [vscode.Uri.file(element.file)] };
      }
      return item;
    }
    const { workflow } = element;
    const item = new vscode.TreeItem(workflow.name);
    item.id = `workflow:${workflow.name}`;
    item.iconPath = new vscode.ThemeIcon('symbol-method');
    item.description = workflow.description ?? workflow.command.join(' ');
    const inputs = workflow.inputs.map(
      (input) =>
        `  ${input.name}${input.default === null ? ' (required)' : ` = ${input.default}`}${input.description ? ` — ${input.description}` : ''}`,
    );
    item.tooltip = [
      workflow.description,
      `Command: ${workflow.command.join(' ')}`,
      `Folder: ${workflow.cwd}`,
      ...(inputs.length > 0 ? ['Inputs:', ...inputs] : []),
    ]
      .filter((line) => line)
      .join('\n');
    item.contextValue = 'workflow';
    return item;
  }
}

function setEmpty(reason: EmptyReason): Thenable<unknown> {
  return vscode.commands.executeCommand('setContext', 'runtrail.workflows.empty', reason);
}

/** The sidecar's invalid_config message starts with the file's path (`/w/runtrail.json: …`). */
function configFileOf(message: string): string | undefined {
  const match = /^(.*?runtrail\.json):/.exec(message);
  return match?.[1];
}
