import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { GraphEvent } from '../../protocol/webviewMessages';
import type { BundleRunSource } from '../bundles/bundleRunSource';
import { askToRunCommand } from '../replay/commandConsentPrompt';
import type { SidecarConnection } from '../services';
import type { SourceNavigator } from '../source/revealSource';
import { shortId } from '../views/format';
import { graphPanelHtml } from './graphPanelHtml';
import { type ComparedReport, GraphSession, type RenderedCounts } from './graphSession';

export const graphViewType = 'runtrail.graph';

/**
 * One run graph panel per run (opening it again reveals it), restored after a window reload by
 * the serializer from the run id the webview keeps in its state. The page is dist/webview.js
 * (webview/main.ts) talking protocol/webviewMessages.ts; GraphSession answers it.
 */
export class GraphPanels implements vscode.Disposable {
  private readonly panels = new Map<string, GraphPanel>();
  private readonly renderedCounts = new Map<string, RenderedCounts>();
  private readonly onDidRenderEmitter = new vscode.EventEmitter<{ readonly runId: string } & RenderedCounts>();
  /** The webview of a run drew its graph. */
  readonly onDidRender = this.onDidRenderEmitter.event;
  private readonly comparedReports = new Map<string, ComparedReport>();
  private readonly onDidCompareEmitter = new vscode.EventEmitter<ComparedReport>();
  /** The side-by-side view of a run (b) computed its diff with another (a). */
  readonly onDidCompare = this.onDidCompareEmitter.event;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly sidecar: SidecarConnection,
    private readonly output: vscode.LogOutputChannel,
    private readonly source: SourceNavigator,
  ) {
    this.disposables.push(
      this.onDidRenderEmitter,
      this.onDidCompareEmitter,
      vscode.window.registerWebviewPanelSerializer(graphViewType, {
        deserializeWebviewPanel: async (panel, state: unknown) => {
          const runId = (state as { runId?: unknown } | undefined)?.runId;
          if (typeof runId !== 'string' || runId === '' || this.panels.has(runId)) {
            panel.dispose();
            return;
          }
          this.adopt(runId, panel);
        },
      }),
    );
  }

  open(runId: string): GraphPanel {
    const existing = this.panels.get(runId);
    if (existing) {
      existing.reveal();
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(graphViewType, `Run ${shortId(runId)}`, vscode.ViewColumn.Active, {});
    return this.adopt(runId, panel);
  }

  /**
   * Shows a run read from a bundle file, read-only, without importing it. `key` names the panel
   * (extension/bundles/: `bundle:<file uri>`); opening the file again shows it afresh.
   */
  openBundle(key: string, bundle: BundleRunSource): GraphPanel {
    this.panels.get(key)?.dispose();
    const panel = vscode.window.createWebviewPanel(graphViewType, `Run ${shortId(bundle.runId)}`, vscode.ViewColumn.Active, {});
    return this.adopt(key, panel, bundle);
  }

  get(runId: string): GraphPanel | undefined {
    return this.panels.get(runId);
  }

  /** What the run's webview last reported drawing; undefined before it drew. */
  rendered(runId: string): RenderedCounts | undefined {
    return this.renderedCounts.get(runId);
  }

  /** The last side-by-side diff the panel of run `b` computed; undefined before one. */
  compared(b: string): ComparedReport | undefined {
    return this.comparedReports.get(b);
  }

  /** Opens (or reveals) b's panel and shows it side by side with a (a on the left). */
  compare(a: string, b: string): GraphPanel {
    const panel = this.open(b);
    panel.compare(a);
    return panel;
  }

  dispose(): void {
    for (const panel of [...this.panels.values()]) panel.dispose();
    for (const disposable of this.disposables) disposable.dispose();
  }

  private adopt(runId: string, webviewPanel: vscode.WebviewPanel, bundle?: BundleRunSource): GraphPanel {
    const panel = new GraphPanel(webviewPanel, {
      bundle,
      extensionUri: this.extensionUri,
      sidecar: this.sidecar,
      output: this.output,
      source: this.source,
      runId,
      openRun: (id) => this.open(id),
      rendered: (counts) => {
        this.renderedCounts.set(runId, counts);
        this.onDidRenderEmitter.fire({ runId, ...counts });
      },
      compared: (report) => {
        this.comparedReports.set(runId, report);
        this.onDidCompareEmitter.fire(report);
      },
      disposed: () => {
        this.panels.delete(runId);
        this.renderedCounts.delete(runId);
        this.comparedReports.delete(runId);
      },
    });
    this.panels.set(runId, panel);
    return panel;
  }
}

interface GraphPanelDeps {
  /** A run opened from a bundle file: the panel reads it from there, read-only; `runId` is then the panel's key. */
  readonly bundle?: BundleRunSource;
  readonly extensionUri: vscode.Uri;
  readonly sidecar: SidecarConnection;
  readonly output: vscode.LogOutputChannel;
  readonly source: SourceNavigator;
  readonly runId: string;
  rendered(counts: RenderedCounts): void;
  /** Open (or reveal) another run's panel: a replay the webview started. */
  openRun(runId: string): void;
  compared(report: ComparedReport): void;
  disposed(): void;
}

export class GraphPanel implements vscode.Disposable {
  readonly runId: string;
  private readonly session: GraphSession;
  private disposed = false;
  /** The run the page compares with, whose live changes it gets too. */
  private watched: string | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly deps: GraphPanelDeps,
  ) {
    const { sidecar, bundle } = deps;
    const runId = bundle?.runId ?? deps.runId;
    this.runId = runId;
    const dist = vscode.Uri.joinPath(deps.extensionUri, 'dist');
    // Set here too for panels the serializer restores: their options are not persisted.
    panel.webview.options = { enableScripts: true, localResourceRoots: [dist] };
    panel.title = `Run ${shortId(runId)}`;
    this.session = new GraphSession({
      runId,
      api: () => bundle ?? sidecar.api(),
      readOnly: () => bundle !== undefined,
      revealSource: async (node, run) => (await deps.source.reveal(node, run)) !== undefined,
      askToRunCommand,
      post: (message) => void panel.webview.postMessage(message),
      visible: () => panel.visible,
      rendered: (counts) => deps.rendered(counts),
      openRun: (id) => deps.openRun(id),
      watch: (id) => {
        this.watched = id ?? undefined;
      },
      compared: (report) => deps.compared(report),
      warn: (message) => deps.output.warn(message),
    });
    // A bundle panel shows the file: live changes of a run with the same id in the sidecar are not its own.
    const forward = (event: GraphEvent) => {
      if (!bundle) this.session.event(event);
    };
    const events = sidecar.events;
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.onDidChangeViewState(() => this.session.visibilityChanged(panel.visible)),
      panel.webview.onDidReceiveMessage((message: unknown) => void this.session.receive(message)),
      events.onNode((delta) => {
        if (delta.runId === runId) forward({ type: 'node', delta });
        else if (delta.runId === this.watched) this.session.event({ type: 'node', delta }, delta.runId);
      }),
      events.onRun((event) => {
        if (event.id === this.watched && event.id !== runId) {
          this.session.event('deleted' in event ? { type: 'deleted', runId: event.id } : { type: 'run', run: event }, event.id);
          return;
        }
        if (event.id !== runId) return;
        if ('deleted' in event) forward({ type: 'deleted', runId });
        else {
          forward({ type: 'run', run: event });
          panel.title = `${event.workflow} · ${shortId(runId)}`;
        }
      }),
      events.onReset(() => this.session.reload()),
      events.onPaused((reason) => forward({ type: 'paused', reason })),
      events.onResumed(() => forward({ type: 'resumed' })),
      sidecar.onDidChangeState((state) => {
        if (state.kind === 'running') this.session.reload();
      }),
    );
    panel.webview.html = this.html(dist);
    void this.nameAfterWorkflow();
  }

  reveal(): void {
    this.panel.reveal();
  }

  /** Side by side with run `a` (left); the page gets it now, or after its next snapshot. */
  compare(a: string): void {
    this.session.compare(a);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.session.dispose();
    this.deps.disposed();
    for (const disposable of this.disposables) disposable.dispose();
    this.panel.dispose();
  }

  private html(dist: vscode.Uri): string {
    const webview = this.panel.webview;
    const css = vscode.Uri.joinPath(dist, 'webview.css');
    return graphPanelHtml({
      nonce: randomBytes(18).toString('base64url'),
      cspSource: webview.cspSource,
      runId: this.runId,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js')).toString(),
      styleUri: fs.existsSync(css.fsPath) ? webview.asWebviewUri(css).toString() : undefined,
    });
  }

  /** "triage · 1a2b3c4d" once the run is known; the id alone until then (or when it is gone). */
  private async nameAfterWorkflow(): Promise<void> {
    try {
      const run = await (this.deps.bundle ?? this.deps.sidecar.api()).getRun(this.runId);
      if (!this.disposed) this.panel.title = `${run.workflow} · ${shortId(this.runId)}${this.deps.bundle ? ' (bundle)' : ''}`;
    } catch {
      // The page says what went wrong; the title keeps the id.
    }
  }
}
