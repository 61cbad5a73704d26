import type { NodeDelta } from '../protocol/nodeDelta';
import type { ReplayRequest, RunDiff } from '../protocol/replay';
import type { Node, NodeSummary, Run } from '../protocol/runs';

/**
 * What the graph UI needs from wherever it runs (DESIGN.md "Webview", CONVENTIONS.md "Typed
 * edges"): one bundle, two hosts. `hosts/browserHost.ts` answers over REST + SSE (the page the
 * sidecar serves at /ui); `hosts/vscodeHost.ts` over the typed postMessage protocol of
 * protocol/webviewMessages.ts, answered by the extension's graph panel. The UI never calls fetch
 * or postMessage itself.
 */
export interface Host {
  readonly kind: 'vscode' | 'browser';
  /** The run this view was opened on (URL or panel state); undefined → the UI offers a run list. */
  initialRunId(): string | undefined;
  /** Recent runs, newest first, for choosing one (browser; VS Code has its Runs view). */
  listRuns(): Promise<Run[]>;
  /** The run and all its nodes without payloads. */
  loadRun(runId: string): Promise<RunSnapshot>;
  /** Live changes of one run until the returned function is called. */
  subscribe(runId: string, listener: (event: HostEvent) => void): () => void;
  /** One node with its payloads, for the inspector. */
  openNode(nodeId: string): Promise<Node>;
  /**
   * Jump to the node's source. VS Code opens the file at the line (true); the browser cannot and
   * returns false, and the UI shows `file:line` instead.
   */
  revealSource(node: NodeSummary): Promise<boolean>;
  /** View state kept across reloads (VS Code: webview state; browser: sessionStorage). */
  getState(): ViewState | undefined;
  setState(state: ViewState): void;
  /**
   * Replays or forks a run through the runner (issue 8): `untilNodeId` goes live from that node on,
   * `overrides` makes decisions take other options. Resolves with the new run as it starts.
   */
  replay(runId: string, request: ReplayRequest): Promise<Run>;
  /** Compares run `a` with run `b` (b is usually the one on screen): the graph's diff mode. */
  diff(a: string, b: string): Promise<RunDiff>;
  /** Shows another run's graph: VS Code opens (or reveals) its panel; the browser navigates to it. */
  openRun(runId: string): void;
  /**
   * Calls `listener` when the host asks to show the run side by side with another (VS Code's
   * "Compare Runs Side by Side…" command; the browser never does). Returns the unsubscribe.
   */
  onCompareRequest(listener: (withRunId: string) => void): () => void;
  /** The side-by-side view (re)computed its diff (VS Code forwards it to the extension's tests). */
  compared(report: CompareReport): void;
}

/** One computation of the side-by-side diff, as `graph/compared` carries it. */
export interface CompareReport {
  readonly a: string;
  readonly b: string;
  readonly firstDivergenceKey: string | null;
  readonly counts: { readonly added: number; readonly removed: number; readonly changed: number; readonly same: number };
}

export interface RunSnapshot {
  readonly run: Run;
  readonly nodes: readonly NodeSummary[];
  /** Not replayable from this view (a run opened from a bundle file): no Fork here / Take / Compare with. */
  readonly readOnly?: boolean;
}

/** A node upsert as `GET /api/events` sends it (protocol/nodeDelta.ts applies it). */
export type { NodeDelta };

export type HostEvent =
  | { readonly type: 'node'; readonly delta: NodeDelta }
  | { readonly type: 'run'; readonly run: Run }
  | { readonly type: 'deleted'; readonly runId: string }
  /** Changes were missed: reload the snapshot (keeping zoom, selection and collapsed state). */
  | { readonly type: 'reset' }
  | { readonly type: 'paused'; readonly reason: string }
  | { readonly type: 'resumed' };

/** What survives a reload of the view. */
export interface ViewState {
  readonly runId?: string;
  readonly selectedNodeId?: string;
  readonly collapsed?: readonly string[];
  readonly zoom?: { readonly x: number; readonly y: number; readonly k: number };
  readonly orientation?: 'top-down' | 'left-right';
  /** Side by side with this run (a) when the view was left; restored on reload. */
  readonly compareWith?: string;
}
