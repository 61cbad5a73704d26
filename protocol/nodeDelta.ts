import type { NodeStatus, NodeSummary } from './runs';

/**
 * Live node updates on the client side. `GET /api/events` sends each committed record as a delta
 * (sidecar/relay/relayEvents.ts): the fields the record carried, no payloads. Every view that keeps
 * nodes from those events — the extension's Runs view, the graph page, the CLI's live run — applies
 * them with `applyNodeDelta`, which follows the store's never-backwards rules
 * (sidecar/store/ingestPlanner.ts `mergeRecord`), so a view shows what a reload would show.
 * Pure: no imports but types, usable in every area.
 */

/** A node upsert as `GET /api/events` sends it: only the fields the record carried. */
export interface NodeDelta {
  readonly runId: string;
  readonly id: string;
  readonly [field: string]: unknown;
}

/** A node known only by id (before its first record, or as somebody's parent: `placeholder`). */
export function emptyNodeSummary(runId: string, id: string, placeholder = false): NodeSummary {
  return {
    id,
    runId,
    parentId: null,
    key: null,
    kind: 'step',
    name: null,
    status: 'running',
    seq: null,
    startedAt: null,
    endedAt: null,
    durationMs: null,
    error: null,
    tokensIn: null,
    tokensOut: null,
    costUsd: null,
    source: null,
    replayed: false,
    diverged: false,
    placeholder,
  };
}

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
const isStatus = (value: unknown): value is NodeStatus =>
  value === 'running' || value === 'ok' || value === 'error' || value === 'cancelled';
const isTerminal = (status: NodeStatus) => status !== 'running';

/**
 * The node after one delta (a new node when `node` is undefined). As the store does it:
 * - parentId, seq and startedAt keep their first value; key, kind and name take the latest;
 * - a finished node stays finished (its status, endedAt, error, tokens, cost and source stay);
 *   a record that ends a node without a status ends it ok, or error when it carries an error;
 * - replayed and diverged only ever turn on;
 * - a placeholder becomes a real node once a record of its own arrives.
 * durationMs follows from startedAt and endedAt (the store derives it the same way).
 */
export function applyNodeDelta(node: NodeSummary | undefined, delta: NodeDelta): NodeSummary {
  const before = node ?? emptyNodeSummary(delta.runId, delta.id);
  const next: { -readonly [K in keyof NodeSummary]: NodeSummary[K] } = { ...before };
  const wasTerminal = isTerminal(before.status) && !before.placeholder;

  const parentId = str(delta.parentId);
  if (before.parentId === null && parentId !== undefined) next.parentId = parentId;
  next.key = str(delta.key) ?? before.key;
  next.kind = str(delta.kind) ?? before.kind;
  next.name = str(delta.name) ?? before.name;
  if (before.seq === null) next.seq = num(delta.seq) ?? null;
  if (before.startedAt === null) next.startedAt = str(delta.startedAt) ?? null;

  if (!wasTerminal) {
    const endedAt = str(delta.endedAt);
    const status = isStatus(delta.status) ? delta.status : endedAt !== undefined ? (delta.error !== undefined ? 'error' : 'ok') : undefined;
    if (status !== undefined) next.status = status;
    if (isTerminal(next.status) && next.endedAt === null && endedAt !== undefined) next.endedAt = endedAt;
  }
  // Payload-like fields: replaced while running, only filled in once finished.
  const open = <T>(current: T | null) => !wasTerminal || current === null;
  if (delta.error !== undefined && open(before.error)) next.error = delta.error;
  if (num(delta.tokensIn) !== undefined && open(before.tokensIn)) next.tokensIn = num(delta.tokensIn) ?? null;
  if (num(delta.tokensOut) !== undefined && open(before.tokensOut)) next.tokensOut = num(delta.tokensOut) ?? null;
  if (num(delta.costUsd) !== undefined && open(before.costUsd)) next.costUsd = num(delta.costUsd) ?? null;
  const source = sourceOf(delta.source);
  if (source !== undefined && open(before.source)) next.source = source;
  if (delta.replayed === true) next.replayed = true;
  if (delta.diverged === true) next.diverged = true;

  // A record arrived for it: it is no longer only somebody's parent.
  if (Object.keys(delta).some((field) => field !== 'id' && field !== 'runId')) next.placeholder = false;
  if (next.startedAt !== null && next.endedAt !== null) {
    const ms = Date.parse(next.endedAt) - Date.parse(next.startedAt);
    next.durationMs = Number.isFinite(ms) ? Math.max(0, ms) : before.durationMs;
  }
  return next;
}

/** A delta's `source` in the summary's shape (column and function null when not recorded). */
export function sourceOf(value: unknown): NodeSummary['source'] | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const source = value as Record<string, unknown>;
  const file = str(source.file);
  const line = num(source.line);
  if (file === undefined || line === undefined) return undefined;
  return { file, line, column: num(source.column) ?? null, function: str(source.function) ?? null };
}
