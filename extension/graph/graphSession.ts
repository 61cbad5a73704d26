import type { Node, Run } from '../../protocol/runs';
import {
  type ExtensionNotification,
  FromWebview,
  type GraphErrorCode,
  type GraphEvent,
  type GraphRequestMethod,
  type GraphRequestParams,
  type GraphRequestResult,
  graphRequests,
  isGraphRequestMethod,
  isWebviewNotificationMethod,
  type NotificationParams,
  type ToWebview,
  webviewNotifications,
} from '../../protocol/webviewMessages';
import { describeError } from '../commands/userErrors';
import { type AskToRunCommand, replayWithConsent } from '../replay/replayConsent';
import { type RuntrailApi, SidecarRequestError, SidecarUnavailableError } from '../services';

export interface RenderedCounts {
  readonly nodes: number;
  readonly visible: number;
}

/** One computation of the side-by-side diff the webview reported (`graph/compared`). */
export type ComparedReport = NotificationParams<'graph/compared'>;

/** What a panel reads its run through: the run source seam (sidecar or bundle file). */
export type GraphRunSource = Pick<RuntrailApi, 'tree' | 'node' | 'listRuns' | 'replayRun' | 'diffRuns'>;

/** What one panel's session needs; the panel (graphPanel.ts) wires these to vscode. */
export interface GraphSessionDeps {
  readonly runId: string;
  /**
   * Where the run comes from: the sidecar's REST API (throws SidecarUnavailableError when it is not
   * running), or a bundle file opened without importing it (extension/bundles/bundleRunSource.ts).
   */
  api(): GraphRunSource;
  /** Opens the node's source in an editor; false when it could not (the navigator told the user why). */
  revealSource(node: Node, run: Run | undefined): Promise<boolean>;
  /** Posts to the webview (`webview.postMessage`). */
  post(message: ToWebview): void;
  /** Whether the panel is visible now: deltas go only to a visible panel. */
  visible(): boolean;
  /** The webview drew the graph: `nodes` in it, `visible` of them drawn. */
  rendered?(counts: RenderedCounts): void;
  /** The webview asked to show another run (a replay it started): open or reveal its panel. */
  openRun?(runId: string): void;
  /** The webview compares side by side: forward this run's live changes too (null: stop). */
  watch?(runId: string | null): void;
  /** The side-by-side view computed a diff. */
  compared?(report: ComparedReport): void;
  /** Asks the user before replaying a command runtrail.json does not declare (without it: declined). */
  askToRunCommand?: AskToRunCommand;
  /** Whether the run is read-only here (opened from a bundle file): told to the page in the snapshot. */
  readOnly?(): boolean;
  warn?(message: string): void;
}

/**
 * The extension's end of the graph protocol (protocol/webviewMessages.ts) for one panel, without
 * vscode so it is tested against a real sidecar: parses what the webview posts, answers each
 * request exactly once, holds everything back until the `graph/ready` handshake, then sends a full
 * snapshot and, while visible, the run's live changes. Events that arrive while a snapshot is
 * loading are sent after it, so a delta is never overwritten by an older snapshot.
 */
export class GraphSession {
  private ready = false;
  private run: Run | undefined;
  private loading = 0;
  private heldBack: Array<{ runId: string; event: GraphEvent }> = [];
  /** A `graph/compare` for a page that has not taken its snapshot yet: sent right after it. */
  private pendingCompare: string | undefined;
  /** A change happened while the panel was hidden: send a snapshot when it is shown. */
  private stale = false;
  private disposed = false;

  constructor(private readonly deps: GraphSessionDeps) {}

  get runId(): string {
    return this.deps.runId;
  }

  /** Whether the webview has completed the handshake (and not been unloaded since). */
  get isReady(): boolean {
    return this.ready;
  }

  dispose(): void {
    this.disposed = true;
  }

  /** A message from the webview, unchecked. */
  async receive(message: unknown): Promise<void> {
    const parsed = FromWebview.safeParse(message);
    if (!parsed.success) {
      this.deps.warn?.(`Run graph ${this.runId}: ignored a malformed message from the webview`);
      return;
    }
    const envelope = parsed.data;
    if (envelope.type === 'notify') {
      if (!isWebviewNotificationMethod(envelope.method)) return;
      const params = webviewNotifications[envelope.method].safeParse(envelope.params ?? {});
      if (!params.success) return;
      if (envelope.method === 'graph/ready') {
        // A fresh page watches nothing yet (it asks again when it restores a comparison).
        this.deps.watch?.(null);
        this.ready = true;
        await this.sendSnapshot();
      } else if (envelope.method === 'graph/rendered') {
        const { runId, nodes, visible } = params.data as { runId: string } & RenderedCounts;
        if (runId === this.runId) this.deps.rendered?.({ nodes, visible });
      } else if (envelope.method === 'graph/openRun') {
        this.deps.openRun?.((params.data as { runId: string }).runId);
      } else if (envelope.method === 'graph/watch') {
        const watched = (params.data as { runId: string | null }).runId;
        this.deps.watch?.(watched === this.runId ? null : watched);
      } else if (envelope.method === 'graph/compared') {
        const report = params.data as ComparedReport;
        if (report.b === this.runId) this.deps.compared?.(report);
      }
      return;
    }
    const { id, method } = envelope;
    if (!isGraphRequestMethod(method)) {
      this.reply({ type: 'error', id, error: { code: 'invalid', message: `Unknown method ${JSON.stringify(method)}.` } });
      return;
    }
    const params = graphRequests[method].params.safeParse(envelope.params ?? {});
    if (!params.success) {
      const issue = params.error.issues[0];
      const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
      this.reply({
        type: 'error',
        id,
        error: { code: 'invalid', message: `Bad params for ${method}: ${where}${issue?.message ?? 'invalid'}` },
      });
      return;
    }
    try {
      const result = await this.answer(method, params.data as never);
      this.reply({ type: 'response', id, result });
    } catch (error) {
      this.reply({ type: 'error', id, error: { code: errorCode(error), message: describeError(error) } });
    }
  }

  /**
   * A live change of this panel's run, or (with `runId`) of the run it compares with (the caller
   * filters by run id).
   */
  event(event: GraphEvent, runId: string = this.runId): void {
    if (event.type === 'run' && runId === this.runId) this.run = event.run;
    if (!this.ready) return;
    if (!this.deps.visible()) {
      this.stale = true;
      return;
    }
    if (this.loading > 0) this.heldBack.push({ runId, event });
    else this.notify({ type: 'notify', method: 'graph/event', params: { runId, event } });
  }

  /**
   * Show the run side by side with `withRunId` (the page's run on the right). A page that is not
   * ready (just opened, or hidden) gets it right after its next snapshot.
   */
  compare(withRunId: string): void {
    if (this.ready && this.loading === 0) this.notify({ type: 'notify', method: 'graph/compare', params: { withRunId } });
    else this.pendingCompare = withRunId;
  }

  /** Events were missed (history trimmed, sidecar restarted): send a fresh snapshot. */
  reload(): void {
    if (!this.ready) return;
    if (this.deps.visible()) void this.sendSnapshot();
    else this.stale = true;
  }

  /**
   * The panel was shown or hidden. A hidden webview is unloaded (no retainContextWhenHidden): it
   * sends `graph/ready` again when shown, so hiding ends the handshake.
   */
  visibilityChanged(visible: boolean, retained = false): void {
    if (!visible && !retained) this.ready = false;
    if (visible && this.ready && this.stale) void this.sendSnapshot();
  }

  private async sendSnapshot(): Promise<void> {
    this.stale = false;
    this.loading++;
    let snapshot: ExtensionNotification;
    try {
      const flat = await this.deps.api().tree(this.runId);
      this.run = flat.run;
      const readOnly = this.deps.readOnly?.() === true;
      snapshot = {
        type: 'notify',
        method: 'graph/snapshot',
        params: { runId: this.runId, run: flat.run, nodes: flat.nodes, ...(readOnly ? { readOnly } : {}) },
      };
    } catch (error) {
      const message =
        error instanceof SidecarRequestError && error.status === 404
          ? `Run ${this.runId} was not found: it may have been deleted.`
          : `Could not load run ${this.runId}: ${describeError(error)}`;
      this.deps.warn?.(message);
      snapshot = { type: 'notify', method: 'graph/snapshot', params: { runId: this.runId, error: message } };
    } finally {
      this.loading--;
    }
    if (!this.ready) return;
    this.notify(snapshot);
    if (this.loading === 0) {
      const held = this.heldBack;
      this.heldBack = [];
      for (const { runId, event } of held) this.notify({ type: 'notify', method: 'graph/event', params: { runId, event } });
      const compare = this.pendingCompare;
      this.pendingCompare = undefined;
      if (compare !== undefined) this.notify({ type: 'notify', method: 'graph/compare', params: { withRunId: compare } });
    }
  }

  private async answer<M extends GraphRequestMethod>(method: M, params: Record<string, string>): Promise<GraphRequestResult<M>> {
    const api = this.deps.api();
    switch (method) {
      case 'graph/listRuns':
        return (await api.listRuns({ limit: 100 })).runs as GraphRequestResult<M>;
      case 'graph/loadRun': {
        const flat = await api.tree(params.runId ?? '');
        return { run: flat.run, nodes: flat.nodes } as GraphRequestResult<M>;
      }
      case 'graph/openNode':
        return (await api.node(params.nodeId ?? '')) as GraphRequestResult<M>;
      case 'graph/revealSource': {
        const node = await api.node(params.nodeId ?? '');
        const run = node.runId === this.runId ? this.run : undefined;
        return (await this.deps.revealSource(node, run)) as GraphRequestResult<M>;
      }
      case 'graph/replay': {
        const { runId, request } = params as unknown as GraphRequestParams<'graph/replay'>;
        const run = await replayWithConsent(api, runId, request, this.deps.askToRunCommand ?? (async () => false));
        if (run === undefined) throw new Error('The replay was not started: running its command was declined.');
        return run as GraphRequestResult<M>;
      }
      case 'graph/diff': {
        const { a, b } = params as unknown as GraphRequestParams<'graph/diff'>;
        return (await api.diffRuns(a, b)) as GraphRequestResult<M>;
      }
      default:
        throw new Error(`Unhandled method ${method}`);
    }
  }

  private reply(message: ToWebview): void {
    // A reply to a page that has gone (panel closed) has nowhere to go.
    if (!this.disposed) this.deps.post(message);
  }

  private notify(message: ExtensionNotification): void {
    if (!this.disposed) this.deps.post(message);
  }
}

function errorCode(error: unknown): GraphErrorCode {
  if (error instanceof SidecarUnavailableError) return 'unavailable';
  if (error instanceof SidecarRequestError) {
    if (error.status === 404) return 'not_found';
    if (error.status === 503) return 'unavailable';
    if (error.status >= 400 && error.status < 500) return 'invalid';
  }
  return 'failed';
}
