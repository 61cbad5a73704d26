import type { ReplayRequest, RunDiff } from '../../protocol/replay';
import type { Node, NodeSummary, Run } from '../../protocol/runs';
import type {
  ExtensionNotification,
  GraphRequestMethod,
  GraphRequestParams,
  GraphRequestResult,
  ToWebview,
  WebviewNotification,
} from '../../protocol/webviewMessages';
import type { CompareReport, Host, HostEvent, RunSnapshot, ViewState } from '../host';

/** What `acquireVsCodeApi()` returns inside a webview. */
export interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

/**
 * The name of the DOM event the UI dispatches on `window` after drawing the graph
 * (`new CustomEvent(renderedEvent, {detail: {runId, nodes, visible}})`: nodes in the graph, how
 * many of them are drawn); the VS Code host forwards it to the extension as `graph/rendered`, which
 * is how the in-editor tests see what the graph drew.
 */
export const renderedEvent = 'runtrail:rendered';

export interface VsCodeHostOptions {
  /** Defaults to `acquireVsCodeApi()` (callable once per page). */
  readonly api?: VsCodeApi;
  /** Where messages arrive and the UI's events are dispatched; defaults to `window`. */
  readonly target?: EventTarget;
  /** The panel's run; defaults to `<body data-run-id>`, which the extension writes into the page. */
  readonly runId?: string;
}

/**
 * The webview end of protocol/webviewMessages.ts (the Host for VS Code). Requests get ids and are
 * settled by exactly one reply; the extension pushes a full snapshot after `graph/ready` (and when
 * the panel is shown again) and live events while visible. The panel's own run is loaded from
 * those pushed snapshots, not by asking again; a snapshot that arrives after the UI has loaded
 * becomes a `reset` event, and events that arrive before the UI has taken the new snapshot are
 * delivered right after it, so an older snapshot never overwrites a newer delta.
 */
export function createVsCodeHost(options: VsCodeHostOptions = {}): Host {
  const api = options.api ?? acquireVsCodeApi();
  // globalThis is `window` in the webview; written this way the module also type-checks (and is
  // unit-tested) without the DOM library.
  const target: EventTarget = options.target ?? (globalThis as unknown as EventTarget);
  const page = globalThis as { document?: { body?: { dataset?: Record<string, string | undefined> } | null } };
  const panelRunId = options.runId ?? page.document?.body?.dataset?.runId;

  let nextId = 1;
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  const listeners = new Set<{ runId: string; listener: (event: HostEvent) => void }>();
  const compareListeners = new Set<(withRunId: string) => void>();
  /** A `graph/compare` that came before the UI listened for it (the command opens the panel first). */
  let pendingCompare: string | undefined;
  /** The newest pushed snapshot the UI has not taken yet. */
  let snapshot: Extract<ExtensionNotification, { method: 'graph/snapshot' }>['params'] | undefined;
  const snapshotWaiters: Array<() => void> = [];
  /** Events that came after a snapshot the UI has not taken yet. */
  let queued: HostEvent[] | undefined = [];
  let loadedOnce = false;

  const request = <M extends GraphRequestMethod>(method: M, params: GraphRequestParams<M>): Promise<GraphRequestResult<M>> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      api.postMessage({ type: 'request', id, method, params });
    });

  const notify = (message: WebviewNotification): void => api.postMessage(message);

  const emit = (runId: string, event: HostEvent): void => {
    for (const entry of [...listeners]) if (entry.runId === runId) entry.listener(event);
  };

  const deliver = (runId: string, event: HostEvent): void => {
    if (queued && runId === panelRunId) queued.push(event);
    else emit(runId, event);
  };

  target.addEventListener('message', (raw) => {
    const message = (raw as Event & { data?: ToWebview }).data;
    if (!message || typeof message !== 'object') return;
    if (message.type === 'response' || message.type === 'error') {
      const waiter = pending.get(message.id);
      if (!waiter) return;
      pending.delete(message.id);
      if (message.type === 'response') waiter.resolve(message.result);
      else waiter.reject(Object.assign(new Error(message.error.message), { code: message.error.code }));
      return;
    }
    if (message.type !== 'notify') return;
    if (message.method === 'graph/snapshot') {
      snapshot = message.params;
      for (const wake of snapshotWaiters.splice(0)) wake();
      if (loadedOnce && !queued) {
        // The UI has a view of the run already: it reloads (keeping zoom, selection, collapsed).
        queued = [];
        emit(message.params.runId, { type: 'reset' });
      }
    } else if (message.method === 'graph/event') {
      deliver(message.params.runId, message.params.event as HostEvent);
    } else if (message.method === 'graph/compare') {
      const withRunId = message.params.withRunId;
      if (compareListeners.size === 0) pendingCompare = withRunId;
      for (const listener of [...compareListeners]) listener(withRunId);
    }
  });

  target.addEventListener(renderedEvent, (raw) => {
    const detail = (raw as Event & { detail?: { runId?: string; nodes?: number; visible?: number } }).detail;
    const runId = detail?.runId ?? panelRunId;
    const nodes = detail?.nodes;
    if (runId && typeof nodes === 'number') {
      notify({ type: 'notify', method: 'graph/rendered', params: { runId, nodes, visible: detail?.visible ?? nodes } });
    }
  });

  const takeSnapshot = async (): Promise<RunSnapshot> => {
    // Loaded before and nothing new pushed: the UI wants it again, so ask.
    if (!snapshot && loadedOnce) return request('graph/loadRun', { runId: panelRunId ?? '' });
    while (!snapshot) await new Promise<void>((resolve) => snapshotWaiters.push(resolve));
    const taken = snapshot;
    snapshot = undefined;
    loadedOnce = true;
    const held = queued ?? [];
    queued = undefined;
    // After the UI's continuation of `await loadRun()` has applied the snapshot.
    if (held.length > 0)
      setTimeout(() => {
        for (const event of held) emit(taken.runId, event);
      }, 0);
    if ('error' in taken) throw new Error(taken.error);
    return { run: taken.run, nodes: taken.nodes, ...(taken.readOnly === true ? { readOnly: true } : {}) };
  };

  // Keep the run in the state VS Code hands the serializer, so the panel comes back after a reload.
  const stored = api.getState() as ViewState | undefined;
  if (panelRunId && stored?.runId !== panelRunId) api.setState({ ...stored, runId: panelRunId });

  notify({ type: 'notify', method: 'graph/ready', params: {} });

  return {
    kind: 'vscode',
    initialRunId: () => panelRunId,
    listRuns: (): Promise<Run[]> => request('graph/listRuns', {}),
    loadRun: (runId: string): Promise<RunSnapshot> => (runId === panelRunId ? takeSnapshot() : request('graph/loadRun', { runId })),
    subscribe(runId, listener) {
      const entry = { runId, listener };
      listeners.add(entry);
      // Another run's changes (side-by-side compare) reach the page only while it asks for them.
      const other = runId !== panelRunId;
      if (other) notify({ type: 'notify', method: 'graph/watch', params: { runId } });
      return () => {
        listeners.delete(entry);
        if (other && ![...listeners].some((e) => e.runId !== panelRunId))
          notify({ type: 'notify', method: 'graph/watch', params: { runId: null } });
      };
    },
    openNode: (nodeId: string): Promise<Node> => request('graph/openNode', { nodeId }),
    revealSource: (node: NodeSummary): Promise<boolean> => request('graph/revealSource', { nodeId: node.id }),
    getState: () => api.getState() as ViewState | undefined,
    setState: (state: ViewState) => api.setState(panelRunId ? { ...state, runId: panelRunId } : state),
    replay: (runId: string, replayRequest: ReplayRequest): Promise<Run> => request('graph/replay', { runId, request: replayRequest }),
    diff: (a: string, b: string): Promise<RunDiff> => request('graph/diff', { a, b }),
    openRun: (runId: string) => notify({ type: 'notify', method: 'graph/openRun', params: { runId } }),
    onCompareRequest(listener) {
      compareListeners.add(listener);
      const pending = pendingCompare;
      pendingCompare = undefined;
      if (pending !== undefined) queueMicrotask(() => listener(pending));
      return () => compareListeners.delete(listener);
    },
    compared: (report: CompareReport) => notify({ type: 'notify', method: 'graph/compared', params: report }),
  };
}
