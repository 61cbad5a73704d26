import type { z } from 'zod';
import type { BundleRun as BundleRunSchema, ParsedBundleNode } from '../../protocol/bundle';
import { redactedValue } from '../../protocol/bundle';
import type { IngestRecord, NodeRow, RunRow } from '../store/runStore';

/**
 * Store rows <-> bundle lines (protocol/bundle.ts has the format). Export and the importer's
 * "same content?" check both serialize through `runLine` / `nodeLine`, so one definition of the
 * bytes serves both. Objects are built field by field: the key order is the format's.
 */

type ParsedBundleRun = z.output<typeof BundleRunSchema>;

const iso = (ms: number) => new Date(ms).toISOString();

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // Written by the stores as JSON; should one not parse, the text itself is the value.
    return text;
  }
}

/**
 * Replaces the value of every object key named in `names`, at any depth, with "[redacted]".
 * Iterative over an explicit stack: payloads may nest deeper than the call stack allows.
 */
export function redact(value: unknown, names: ReadonlySet<string>): unknown {
  if (names.size === 0 || value === null || typeof value !== 'object') return value;
  const copy = (v: object): Record<string, unknown> | unknown[] => (Array.isArray(v) ? [...v] : { ...(v as Record<string, unknown>) });
  const root = copy(value);
  const stack: Array<Record<string, unknown> | unknown[]> = [root];
  while (stack.length > 0) {
    const container = stack.pop() as Record<string, unknown> | unknown[];
    const entries: Array<[string | number, unknown]> = Array.isArray(container)
      ? container.map((v, i) => [i, v])
      : Object.entries(container);
    for (const [key, child] of entries) {
      if (typeof key === 'string' && names.has(key)) {
        (container as Record<string, unknown>)[key] = redactedValue;
      } else if (child !== null && typeof child === 'object') {
        const childCopy = copy(child);
        (container as Record<string | number, unknown>)[key] = childCopy;
        stack.push(childCopy);
      }
    }
  }
  return root;
}

/** The run line's object (`{"type":"run","run":…}` minus the wrapper). */
export function bundleRunOf(run: RunRow, names: ReadonlySet<string>): Record<string, unknown> {
  return {
    id: run.id,
    workflow: run.workflow,
    status: run.status,
    startedAt: iso(run.startedAt),
    endedAt: run.endedAt === null ? null : iso(run.endedAt),
    error: run.error === null ? null : redact(parseJson(run.error), names),
    command: run.command === null ? null : parseJson(run.command),
    cwd: run.cwd,
    git: { repo: run.gitRepo, branch: run.gitBranch, commit: run.gitCommit, dirty: run.gitDirty },
    labels: run.labels,
    replayOf: run.replayOf,
    forkedFromNode: run.forkedFromNode,
  };
}

/** A node line's object. Payloads the node does not have are left out (not null). */
export function bundleNodeOf(row: NodeRow, names: ReadonlySet<string>): Record<string, unknown> {
  const payload = (text: string | null) => (text === null ? undefined : redact(parseJson(text), names));
  const node: Record<string, unknown> = {
    id: row.id,
    parentId: row.parentId,
    key: row.key,
    kind: row.kind,
    name: row.name,
    status: row.status,
    seq: row.seq,
    startedAt: row.startedAt === null ? null : iso(row.startedAt),
    endedAt: row.endedAt === null ? null : iso(row.endedAt),
    input: payload(row.input),
    output: payload(row.output),
    error: payload(row.error),
    attributes: payload(row.attributes),
    tokensIn: row.tokensIn,
    tokensOut: row.tokensOut,
    costUsd: row.costUsd,
    source: row.file === null ? null : { file: row.file, line: row.line ?? 1, column: row.column, function: row.function },
    replayed: row.replayed,
    diverged: row.diverged,
  };
  for (const field of ['input', 'output', 'error', 'attributes']) if (node[field] === undefined) delete node[field];
  return node;
}

export const runLine = (run: RunRow, names: ReadonlySet<string>) => `${JSON.stringify({ type: 'run', run: bundleRunOf(run, names) })}\n`;
export const nodeLine = (row: NodeRow, names: ReadonlySet<string>) =>
  `${JSON.stringify({ type: 'node', node: bundleNodeOf(row, names) })}\n`;

/** A parsed run line as a RunRow (counts zero: ingest derives them). */
export function runRowOf(run: ParsedBundleRun): RunRow {
  return {
    id: run.id,
    workflow: run.workflow,
    status: run.status,
    startedAt: run.startedAt,
    endedAt: run.endedAt,
    durationMs: run.endedAt === null ? null : run.endedAt - run.startedAt,
    error: run.error === null ? null : JSON.stringify(run.error),
    command: run.command === null ? null : JSON.stringify(run.command),
    cwd: run.cwd,
    gitRepo: run.git.repo,
    gitBranch: run.git.branch,
    gitCommit: run.git.commit,
    gitDirty: run.git.dirty,
    labels: run.labels,
    replayOf: run.replayOf,
    forkedFromNode: run.forkedFromNode,
    nodeCount: 0,
    tokensIn: 0,
    tokensOut: 0,
    costUsd: 0,
  };
}

const payloadText = (value: unknown) => (value === undefined ? undefined : JSON.stringify(value));

/** A parsed node line as the ingest record that recreates it. */
export function ingestRecordOf(node: ParsedBundleNode): IngestRecord {
  const record: IngestRecord = {
    id: node.id,
    parentId: node.parentId,
    kind: node.kind,
    status: node.status,
    seq: node.seq,
    startedAt: node.startedAt,
    replayed: node.replayed,
    diverged: node.diverged,
  };
  if (node.key !== null) record.key = node.key;
  if (node.name !== null) record.name = node.name;
  if (node.endedAt !== null) record.endedAt = node.endedAt;
  if (node.tokensIn !== null) record.tokensIn = node.tokensIn;
  if (node.tokensOut !== null) record.tokensOut = node.tokensOut;
  if (node.costUsd !== null) record.costUsd = node.costUsd;
  if (node.source !== null) {
    record.source = { file: node.source.file, line: node.source.line };
    if (node.source.column !== null) record.source.column = node.source.column;
    if (node.source.function !== null) record.source.function = node.source.function;
  }
  for (const field of ['input', 'output', 'error', 'attributes'] as const) {
    const text = payloadText(node[field]);
    if (text !== undefined) record[field] = text;
  }
  return record;
}

/** A parsed node line as the row the stores would hold for it (for comparing with a stored run). */
export function nodeRowOf(node: ParsedBundleNode, runId: string): NodeRow {
  return {
    id: node.id,
    runId,
    parentId: node.parentId,
    key: node.key,
    kind: node.kind,
    name: node.name,
    status: node.status,
    seq: node.seq,
    startedAt: node.startedAt,
    endedAt: node.endedAt,
    durationMs: node.endedAt === null ? null : node.endedAt - node.startedAt,
    input: payloadText(node.input) ?? null,
    output: payloadText(node.output) ?? null,
    error: payloadText(node.error) ?? null,
    attributes: payloadText(node.attributes) ?? null,
    tokensIn: node.tokensIn,
    tokensOut: node.tokensOut,
    costUsd: node.costUsd,
    file: node.source?.file ?? null,
    line: node.source?.line ?? null,
    column: node.source?.column ?? null,
    function: node.source?.function ?? null,
    replayed: node.replayed,
    diverged: node.diverged,
    placeholder: false,
  };
}
