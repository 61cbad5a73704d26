import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { Run } from '../../protocol/runs';
import { describeError, isNotFound } from '../commands/userErrors';
import type { SidecarConnection } from '../services';
import { shortId } from '../views/format';
import { NodeTree } from '../views/nodeTree';
import { isFromGraphWebview, type SnapshotMessage } from './graphMessages';
import { graphPanelHtml, graphSnapshot } from './graphPanelHtml';

/**
 * One webview panel per run (opening it again reveals it). For now it lists the run's nodes as a
 * table, live; the graph drawing is the webview issue's. The page gets full snapshots only: after
 * its ready message, on every (debounced) change while visible, and again whenever it is shown,
 * since a hidden webview loses what was posted to it.
 */
export class GraphPanels implements vscode.Disposable {
  private readonly panels = new Map<string, GraphPanel>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly sidecar: SidecarConnection,
    private readonly output: vscode.LogOutputChannel,
  ) {}

  open(runId: string): GraphPanel {
    const existing = this.panels.get(runId);
    if (existing) {
      existing.reveal();
      return existing;
    }
    const panel = new GraphPanel(this.extensionUri, this.sidecar, this.output, runId, () => this.panels.delete(runId));
    this.panels.set(runId, panel);
    return panel;
  }

  get(runId: string): GraphPanel | undefined {
    return this.panels.get(runId);
  }

  dispose(): void {
    for (const panel of [...this.panels.values()]) panel.dispose();
  }
}

export class GraphPanel implements vscode.Disposable {
  readonly panel: vscode.WebviewPanel;
  private run: Run | undefined;
  private tree: NodeTree | undefined;
  private notice: string | null = 'Loading…';
  private ready = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    extensionUri: vscode.Uri,
    private readonly sidecar: SidecarConnection,
    private readonly output: vscode.LogOutputChannel,
    readonly runId: string,
    private readonly onDisposed: () => void,
  ) {
    this.panel = vscode.window.createWebviewPanel('runtrail.graph', `Run ${shortId(runId)}`, vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist')],
    });
    const nonce = randomBytes(18).toString('base64url');
    this.panel.webview.html = graphPanelHtml({ nonce, cspSource: this.panel.webview.cspSource, runId });
    const events = sidecar.events;
    this.disposables.push(
      this.panel.onDidDispose(() => this.dispose()),
      this.panel.onDidChangeViewState(() => {
        if (this.panel.visible) this.post();
      }),
      this.panel.webview.onDidReceiveMessage((message: unknown) => this.receive(message)),
      events.onNode((delta) => {
        if (delta.runId !== runId || !this.tree) return;
        this.tree.apply(delta);
        this.schedule();
      }),
      events.onRun((event) => {
        if (event.id !== runId) return;
        if ('deleted' in event) {
          this.tree = undefined;
          this.notice = 'This run was deleted.';
        } else this.run = event;
        this.schedule();
      }),
      events.onReset(() => void this.load()),
      sidecar.onDidChangeState((state) => {
        if (state.kind === 'running') void this.load();
      }),
    );
    void this.load();
  }

  reveal(): void {
    this.panel.reveal();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.onDisposed();
    for (const disposable of this.disposables) disposable.dispose();
    this.panel.dispose();
  }

  private async load(): Promise<void> {
    try {
      const flat = await this.sidecar.api().tree(this.runId);
      this.run = flat.run;
      this.tree = new NodeTree(this.runId, flat.nodes);
      this.notice = null;
      this.panel.title = `${flat.run.workflow} · ${shortId(this.runId)}`;
    } catch (error) {
      this.notice = isNotFound(error)
        ? `Run ${this.runId} was not found: it may have been deleted.`
        : `Could not load the run: ${describeError(error)}`;
      this.output.warn(`Run panel ${this.runId}: ${this.notice}`);
    }
    this.schedule();
  }

  private receive(message: unknown): void {
    if (!isFromGraphWebview(message)) return;
    if (message.method === 'graph/ready') {
      this.ready = true;
      this.post();
    } else {
      void vscode.commands.executeCommand('runtrail.node.inspect', { runId: this.runId, nodeId: message.params.nodeId });
    }
  }

  private schedule(): void {
    if (this.timer !== undefined || this.disposed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.post();
    }, 100);
  }

  private post(): void {
    if (!this.ready || !this.panel.visible || this.disposed) return;
    const message: SnapshotMessage = { method: 'graph/snapshot', params: graphSnapshot(this.run, this.tree, Date.now(), this.notice) };
    void this.panel.webview.postMessage(message);
  }
}
