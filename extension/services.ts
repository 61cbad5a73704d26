import type * as vscode from 'vscode';
import type { NodeDelta } from '../protocol/nodeDelta';
import type { ReplayRequest, RunDiff, RunFamily } from '../protocol/replay';
import type { FlatTree, ListRunsQuery, Node, Run, RunDetail, RunPage } from '../protocol/runs';
import type { CancelRunResponse, StartWorkflowRequest, WorkflowList } from '../protocol/workflows';

/**
 * The typed edges between the extension's parts (CONVENTIONS.md "Typed edges"): the sidecar side
 * (extension/sidecar/: process lifecycle, HTTP client, live events) implements these; the views,
 * commands, documents and CodeLens (the features, extension/features.ts) only consume them. No
 * feature talks to `fetch` or spawns anything itself.
 */

/** Where the sidecar connection is; the status bar shows it and views pick their empty state from it. */
export type SidecarState =
  | { readonly kind: 'stopped'; readonly reason?: string }
  | { readonly kind: 'starting'; readonly mode: SidecarMode }
  | {
      readonly kind: 'running';
      readonly mode: SidecarMode;
      readonly url: string;
      /** `sqlite` (the embedded store) or `neo4j`. */
      readonly store: string;
      /** `memory` (in-process) or `redis`. */
      readonly relay: string;
    }
  /** Gave up (repeated crashes, bad settings, external sidecar unreachable); `reason` says what to do. */
  | { readonly kind: 'failed'; readonly mode: SidecarMode; readonly reason: string };

/** `auto`: the extension runs the bundled sidecar itself; `external`: a configured URL and token. */
export type SidecarMode = 'auto' | 'external';

export interface SidecarConnection extends vscode.Disposable {
  readonly state: SidecarState;
  readonly onDidChangeState: vscode.Event<SidecarState>;
  /**
   * The REST API of the running sidecar. Throws `SidecarUnavailableError` (its message says what
   * to do, e.g. "The Runtrail sidecar is not running: Runtrail: Start Sidecar") when not running.
   */
  api(): RuntrailApi;
  /** Committed upserts as they happen, across reconnects and sidecar restarts. */
  readonly events: LiveEvents;
  start(): Promise<void>;
  stop(): Promise<void>;
  restart(): Promise<void>;
}

export class SidecarUnavailableError extends Error {
  override name = 'SidecarUnavailableError';
}

/** A sidecar answer other than 2xx: its `{error: {code, message}}` kept for the user. */
export class SidecarRequestError extends Error {
  override name = 'SidecarRequestError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The error's `details`, for answers a command acts on (e.g. a replay that needs consent). */
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** Typed calls to the sidecar's REST API (README "Runs and nodes", protocol/ schemas). */
export interface RuntrailApi {
  readonly url: string;
  /** The bearer token, for handing to the sidecar's /ui page in a URL fragment ("Open in Browser"). */
  readonly token: string;
  listRuns(query?: Partial<Pick<ListRunsQuery, 'workflow' | 'status' | 'branch' | 'label' | 'q' | 'limit' | 'cursor'>>): Promise<RunPage>;
  getRun(runId: string): Promise<RunDetail>;
  deleteRun(runId: string): Promise<void>;
  /** The whole tree without payloads (`GET /api/runs/:runId/tree?format=flat`). */
  tree(runId: string): Promise<FlatTree>;
  /** One node with its payloads (`GET /api/nodes/:id`). */
  node(nodeId: string): Promise<Node>;
  listWorkflows(): Promise<WorkflowList>;
  startWorkflow(name: string, request: StartWorkflowRequest): Promise<Run>;
  cancelRun(runId: string): Promise<CancelRunResponse>;
  /** Replays a run, or forks it at a node / a decision (`POST /api/runs/:runId/replay`): the new run. */
  replayRun(runId: string, request: ReplayRequest): Promise<Run>;
  /** Two runs compared node by node, matched by key (`GET /api/runs/:a/diff/:b`). */
  diffRuns(a: string, b: string): Promise<RunDiff>;
  /** The run's replay family in tree order: its original and every replay or fork of it (`GET /api/runs/:runId/family`). */
  family(runId: string): Promise<RunFamily>;
}

export type { NodeDelta };

export interface LiveEvents {
  readonly onNode: vscode.Event<NodeDelta>;
  /** A run created or finished (a `Run`), or deleted (`{id, deleted: true}`). */
  readonly onRun: vscode.Event<Run | { readonly id: string; readonly deleted: true }>;
  /** Events were missed (history trimmed, sidecar restarted): reload what is shown. */
  readonly onReset: vscode.Event<void>;
  /** Live updates paused (Redis down) / resumed without gaps. */
  readonly onPaused: vscode.Event<string>;
  readonly onResumed: vscode.Event<void>;
}
