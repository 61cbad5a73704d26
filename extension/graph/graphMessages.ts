/**
 * Messages between the run graph panel and its webview (CONVENTIONS.md "Typed edges"). The panel
 * lists the run's nodes for now; the real graph (issue 7) moves these into protocol/ with the
 * webview bundle that speaks them.
 */

/** One row of the node table, already formatted: the webview only sets `textContent`. */
export interface GraphRow {
  readonly id: string;
  readonly depth: number;
  readonly name: string;
  readonly kind: string;
  readonly status: string;
  readonly duration: string;
  readonly key: string;
  readonly source: string;
}

export interface GraphSnapshot {
  /** `triage · ok · 3m ago · 1.2 s · 16 nodes` */
  readonly title: string;
  readonly rows: readonly GraphRow[];
  /** Shown instead of the table (loading, deleted, sidecar stopped). */
  readonly notice: string | null;
}

/** extension → webview: the whole table; a hidden webview keeps only the newest. */
export interface SnapshotMessage {
  readonly method: 'graph/snapshot';
  readonly params: GraphSnapshot;
}

/** webview → extension: the page is listening (sent on every load, including after being hidden). */
export interface ReadyMessage {
  readonly method: 'graph/ready';
}

/** webview → extension: a row was activated; open the node's document. */
export interface InspectNodeMessage {
  readonly method: 'graph/inspectNode';
  readonly params: { readonly nodeId: string };
}

export type FromGraphWebview = ReadyMessage | InspectNodeMessage;

export function isFromGraphWebview(message: unknown): message is FromGraphWebview {
  if (!message || typeof message !== 'object') return false;
  const { method, params } = message as { method?: unknown; params?: unknown };
  if (method === 'graph/ready') return true;
  return (
    method === 'graph/inspectNode' && !!params && typeof params === 'object' && typeof (params as { nodeId?: unknown }).nodeId === 'string'
  );
}
