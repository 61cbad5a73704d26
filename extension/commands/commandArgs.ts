/**
 * What a command was invoked on. Commands run from a tree item's menu get the view's element,
 * from a CodeLens or another extension (and the tests) a plain `{runId, nodeId}` or an id string,
 * from the palette nothing. Pure (no vscode).
 */
export interface NodeRef {
  readonly nodeId: string;
  readonly runId?: string;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** A run id from a run element, a node element, `{runId}`, `{id}` (a Run) or a string. */
export function runIdOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return text(arg);
  if (!arg || typeof arg !== 'object') return undefined;
  const value = arg as { runId?: unknown; id?: unknown; workflow?: unknown };
  return text(value.runId) ?? (typeof value.workflow === 'string' ? text(value.id) : undefined);
}

/** A node from a node element, `{nodeId, runId?}`, a NodeSummary (`{id, runId}`) or a node id string. */
export function nodeRefOf(arg: unknown): NodeRef | undefined {
  if (typeof arg === 'string') return text(arg) ? { nodeId: arg } : undefined;
  if (!arg || typeof arg !== 'object') return undefined;
  const value = arg as { nodeId?: unknown; id?: unknown; runId?: unknown; kind?: unknown };
  const nodeId = text(value.nodeId) ?? (typeof value.kind === 'string' ? text(value.id) : undefined);
  if (!nodeId) return undefined;
  const runId = text(value.runId);
  return runId ? { nodeId, runId } : { nodeId };
}

/** A workflow name from a workflow element (`{workflow: {name}}`), `{name}` or a string. */
export function workflowNameOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return text(arg);
  if (!arg || typeof arg !== 'object') return undefined;
  const value = arg as { name?: unknown; workflow?: unknown };
  if (value.workflow && typeof value.workflow === 'object') return text((value.workflow as { name?: unknown }).name);
  return text(value.name);
}
