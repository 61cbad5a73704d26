import { z } from 'zod';
import { ReplayRequest, RunDiff } from './replay';
import { Id, Node, NodeSummary, Run } from './runs';

/**
 * The postMessage protocol between the run graph webview (webview/hosts/vscodeHost.ts) and the
 * extension's graph panel (extension/graph/), CONVENTIONS.md "Typed edges". Every method has a
 * literal name, typed params and result, and a direction:
 *
 * - requests, webview → extension: `{type: 'request', id, method, params}`; the extension answers
 *   each with exactly one `{type: 'response', id, result}` or `{type: 'error', id, error}`.
 * - notifications, either way: `{type: 'notify', method, params}`, never answered.
 *
 * Handshake: the webview sends `graph/ready` once its listener is installed (on every load; a
 * hidden webview is unloaded and reloads when shown). The extension posts nothing before it, then
 * a full `graph/snapshot`, then `graph/event` deltas while the panel is visible.
 *
 * The webview side is ours but its messages are still input: the extension parses them with the
 * schemas below and answers anything else with an error (or ignores it, for notifications).
 */

/** Request descriptors: webview → extension. */
export const graphRequests = {
  /** Recent runs, newest first (the VS Code host has the Runs view; offered for parity). */
  'graph/listRuns': { params: z.strictObject({}), result: z.array(Run) },
  /** The run and all its nodes without payloads. */
  'graph/loadRun': {
    params: z.strictObject({ runId: Id }),
    result: z.object({ run: Run, nodes: z.array(NodeSummary) }),
  },
  /** One node with its payloads, for the inspector. */
  'graph/openNode': { params: z.strictObject({ nodeId: Id }), result: Node },
  /** Opens the node's recorded source through the extension's SourceNavigator; false when it could not. */
  'graph/revealSource': { params: z.strictObject({ nodeId: Id }), result: z.boolean() },
  /** Replays or forks a run (POST /api/runs/:id/replay); the new run, which the webview then opens. */
  'graph/replay': { params: z.strictObject({ runId: Id, request: ReplayRequest }), result: Run },
  /** Compares two runs (GET /api/runs/:a/diff/:b), for the graph's diff mode. */
  'graph/diff': { params: z.strictObject({ a: Id, b: Id }), result: RunDiff },
} as const;

export type GraphRequestMethod = keyof typeof graphRequests;
export type GraphRequestParams<M extends GraphRequestMethod> = z.input<(typeof graphRequests)[M]['params']>;
export type GraphRequestResult<M extends GraphRequestMethod> = z.infer<(typeof graphRequests)[M]['result']>;

/** Notifications, webview → extension. */
export const webviewNotifications = {
  /** The page's listener is installed: send the snapshot. */
  'graph/ready': z.strictObject({}),
  /**
   * The graph was drawn (after the first paint and after changes): `nodes` in the run's graph,
   * `visible` of them drawn (the rest inside collapsed subtrees). The in-editor tests read it.
   */
  'graph/rendered': z.strictObject({ runId: Id, nodes: z.number().int().min(0), visible: z.number().int().min(0) }),
  /** Show another run's graph (a replay just started): the extension opens or reveals its panel. */
  'graph/openRun': z.strictObject({ runId: Id }),
  /**
   * Side-by-side compare: forward the live changes of this other run too (as `graph/event` with
   * its `runId`), besides the panel's own; `null` stops. One watched run at a time.
   */
  'graph/watch': z.strictObject({ runId: Id.nullable() }),
  /**
   * The side-by-side view (re)computed the diff of `a` (left) and `b` (the panel's run): where
   * they first part (`null`: they match) and the counts. The in-editor tests read the last one.
   */
  'graph/compared': z.strictObject({
    a: Id,
    b: Id,
    firstDivergenceKey: z.string().max(4096).nullable(),
    counts: z.strictObject({
      added: z.number().int().min(0),
      removed: z.number().int().min(0),
      changed: z.number().int().min(0),
      same: z.number().int().min(0),
    }),
  }),
} as const;

export type WebviewNotificationMethod = keyof typeof webviewNotifications;

/** A node upsert as `GET /api/events` sends it: only the fields the record carried. */
const NodeDeltaSchema = z.looseObject({ runId: z.string(), id: z.string() });

/** One live change of the panel's run (webview/host.ts `HostEvent`). */
export const GraphEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('node'), delta: NodeDeltaSchema }),
  z.object({ type: z.literal('run'), run: Run }),
  z.object({ type: z.literal('deleted'), runId: z.string() }),
  z.object({ type: z.literal('reset') }),
  z.object({ type: z.literal('paused'), reason: z.string() }),
  z.object({ type: z.literal('resumed') }),
]);
export type GraphEvent = z.infer<typeof GraphEvent>;

/** Notifications, extension → webview. */
export const extensionNotifications = {
  /**
   * The whole run, after `graph/ready` and whenever the panel becomes visible again (a hidden
   * webview misses deltas). `error` instead when it could not be loaded (deleted, sidecar down).
   */
  'graph/snapshot': z.union([
    z.object({
      runId: z.string(),
      run: Run,
      nodes: z.array(NodeSummary),
      /** The run cannot be replayed from here (opened from a bundle file): no Fork here / Take / Compare with. */
      readOnly: z.boolean().optional(),
    }),
    z.object({ runId: z.string(), error: z.string() }),
  ]),
  /** A live change of the panel's run (or of the run it watches), sent only while the panel is visible. */
  'graph/event': z.object({ runId: z.string(), event: GraphEvent }),
  /** Show this run side by side with `withRunId` (a, the base, on the left; the panel's run on the right). */
  'graph/compare': z.object({ withRunId: z.string() }),
} as const;

export type ExtensionNotificationMethod = keyof typeof extensionNotifications;
export type NotificationParams<M extends WebviewNotificationMethod | ExtensionNotificationMethod> = M extends WebviewNotificationMethod
  ? z.input<(typeof webviewNotifications)[M]>
  : M extends ExtensionNotificationMethod
    ? z.infer<(typeof extensionNotifications)[M]>
    : never;

/** Error codes of `{type: 'error'}` replies. */
export const GraphErrorCode = z.enum(['invalid', 'not_found', 'unavailable', 'failed']);
export type GraphErrorCode = z.infer<typeof GraphErrorCode>;

export const RequestMessage = z.strictObject({
  type: z.literal('request'),
  id: z.number().int().min(0),
  method: z.string().max(64),
  params: z.unknown(),
});
export const NotifyMessage = z.strictObject({ type: z.literal('notify'), method: z.string().max(64), params: z.unknown() });
/** Everything the webview may post; methods and params are checked per method after this. */
export const FromWebview = z.discriminatedUnion('type', [RequestMessage, NotifyMessage]);
export type FromWebview = z.infer<typeof FromWebview>;

export type GraphRequest = {
  [M in GraphRequestMethod]: { readonly type: 'request'; readonly id: number; readonly method: M; readonly params: GraphRequestParams<M> };
}[GraphRequestMethod];

export type WebviewNotification = {
  [M in WebviewNotificationMethod]: { readonly type: 'notify'; readonly method: M; readonly params: NotificationParams<M> };
}[WebviewNotificationMethod];

export type ExtensionNotification = {
  [M in ExtensionNotificationMethod]: { readonly type: 'notify'; readonly method: M; readonly params: NotificationParams<M> };
}[ExtensionNotificationMethod];

export interface ResponseMessage {
  readonly type: 'response';
  readonly id: number;
  readonly result: unknown;
}

export interface ErrorMessage {
  readonly type: 'error';
  readonly id: number;
  readonly error: { readonly code: GraphErrorCode; readonly message: string };
}

/** Everything the extension posts to the webview. */
export type ToWebview = ResponseMessage | ErrorMessage | ExtensionNotification;

export function isGraphRequestMethod(method: string): method is GraphRequestMethod {
  return Object.hasOwn(graphRequests, method);
}

export function isWebviewNotificationMethod(method: string): method is WebviewNotificationMethod {
  return Object.hasOwn(webviewNotifications, method);
}

/**
 * The sidecar's graph page for a run: `<base>/ui/?run=<id>#token=<token>`. The token rides in the
 * fragment, which browsers never send to a server (nor in a Referer); the page keeps it in
 * sessionStorage and sends it as `Authorization: Bearer`.
 */
export function graphPageUrl(base: string, runId: string, token?: string): string {
  const page = `${base.replace(/\/+$/, '')}/ui/?run=${encodeURIComponent(runId)}`;
  return token ? `${page}#token=${encodeURIComponent(token)}` : page;
}
