import neo4j, { type Integer } from 'neo4j-driver';
import type { NodeState } from '../ingestPlanner';
import type { NodeRow, RunRow } from '../runStore';

/**
 * The edge between Neo4j values and store rows. Neo4j returns integers as `Integer` objects and
 * the driver sends every JS number as a float, so numbers are converted here in both directions:
 * seq, times, durations, counts and tokens are stored as Neo4j integers (equality, ORDER BY and
 * index seeks then compare like with like), costUsd as a float.
 */

type Props = Record<string, unknown>;

const runIntegerFields = new Set<string>(['startedAt', 'endedAt', 'durationMs', 'nodeCount', 'tokensIn', 'tokensOut']);
const nodeIntegerFields = new Set<string>(['seq', 'startedAt', 'endedAt', 'durationMs', 'tokensIn', 'tokensOut', 'line', 'column']);

const runFields = [
  'id',
  'workflow',
  'status',
  'startedAt',
  'endedAt',
  'durationMs',
  'error',
  'command',
  'cwd',
  'gitRepo',
  'gitBranch',
  'gitCommit',
  'gitDirty',
  'labels',
  'replayOf',
  'forkedFromNode',
  'nodeCount',
  'tokensIn',
  'tokensOut',
  'costUsd',
] as const satisfies readonly (keyof RunRow)[];

/** Node fields that listings return: everything but the big payloads (error is small and shown). */
const nodeSummaryFields = [
  'id',
  'runId',
  'parentId',
  'key',
  'kind',
  'name',
  'status',
  'seq',
  'startedAt',
  'endedAt',
  'durationMs',
  'error',
  'tokensIn',
  'tokensOut',
  'costUsd',
  'file',
  'line',
  'column',
  'function',
  'replayed',
  'diverged',
  'placeholder',
] as const satisfies readonly (keyof NodeRow)[];

const projection = (variable: string, fields: readonly string[], extra = '') =>
  `${variable}{${fields.map((f) => `.${f}`).join(', ')}${extra === '' ? '' : `, ${extra}`}}`;

/** Cypher map projection of a run, for `recordToRun`. */
export const runMap = (variable: string) => projection(variable, runFields);

/** Cypher map projection of a node without input/output/attributes, for `recordToNode`. */
export const nodeSummaryMap = (variable: string, extra = '') => projection(variable, nodeSummaryFields, extra);

/**
 * The same fields as a Cypher list: for whole-run listings, where building a map per row cost
 * Neo4j twice the time of a list (10,000 nodes: 145 ms against 69 ms of server time).
 */
export const nodeSummaryList = (variable: string) => `[${nodeSummaryFields.map((f) => `${variable}.${f}`).join(', ')}]`;

/** A node from `nodeSummaryList`. */
export function listToNode(values: readonly unknown[]): NodeRow {
  const m: Props = {};
  nodeSummaryFields.forEach((field, i) => {
    m[field] = values[i];
  });
  return recordToNode(m);
}

/** Cypher map projection of a whole node. */
export const nodeMap = (variable: string) => projection(variable, [...nodeSummaryFields, 'input', 'output', 'attributes']);

/** Cypher map projection of what ingest needs to know about a stored node (`NodeState`). */
export const nodeStateMap = (variable: string) =>
  projection(
    variable,
    nodeSummaryFields.filter((f) => f !== 'error'),
    [
      `hasInput: ${variable}.input IS NOT NULL`,
      `hasOutput: ${variable}.output IS NOT NULL`,
      `hasError: ${variable}.error IS NOT NULL`,
      `hasAttributes: ${variable}.attributes IS NOT NULL`,
      `hasSource: ${variable}.file IS NOT NULL`,
    ].join(', '),
  );

/** A Neo4j Integer (or float) as a JS number; null stays null. Our integers fit in 2^53. */
export function toNumber(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (neo4j.isInt(value)) return (value as Integer).toNumber();
  return value as number;
}

/** A JS number as a Neo4j Integer when it is integral (never loses a fraction). */
export function toInteger(value: number): Integer | number {
  return Number.isInteger(value) ? neo4j.int(value) : value;
}

function toProps(values: Props, integerFields: ReadonlySet<string>): Props {
  const props: Props = {};
  for (const [field, value] of Object.entries(values)) {
    if (value === undefined) continue;
    props[field] = typeof value === 'number' && integerFields.has(field) ? toInteger(value) : value;
  }
  return props;
}

/** Run fields as Neo4j properties; nulls are kept so `SET r += props` removes what became null. */
export const runProps = (run: Partial<RunRow>): Props => toProps(run, runIntegerFields);

/** Node fields as Neo4j properties; nulls are kept so `SET n += props` removes what became null. */
export const nodeProps = (node: Partial<NodeRow>): Props => toProps(node, nodeIntegerFields);

const text = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));

export function recordToRun(m: Props): RunRow {
  return {
    id: m.id as string,
    workflow: m.workflow as string,
    status: m.status as RunRow['status'],
    startedAt: toNumber(m.startedAt) ?? 0,
    endedAt: toNumber(m.endedAt),
    durationMs: toNumber(m.durationMs),
    error: text(m.error),
    command: text(m.command),
    cwd: text(m.cwd),
    gitRepo: text(m.gitRepo),
    gitBranch: text(m.gitBranch),
    gitCommit: text(m.gitCommit),
    gitDirty: typeof m.gitDirty === 'boolean' ? m.gitDirty : null,
    labels: Array.isArray(m.labels) ? (m.labels as string[]) : [],
    replayOf: text(m.replayOf),
    forkedFromNode: text(m.forkedFromNode),
    nodeCount: toNumber(m.nodeCount) ?? 0,
    tokensIn: toNumber(m.tokensIn) ?? 0,
    tokensOut: toNumber(m.tokensOut) ?? 0,
    costUsd: toNumber(m.costUsd) ?? 0,
  };
}

/** A node from `nodeMap` or `nodeSummaryMap` (absent payloads come back null). */
export function recordToNode(m: Props): NodeRow {
  return {
    id: m.id as string,
    runId: m.runId as string,
    parentId: text(m.parentId),
    key: text(m.key),
    kind: m.kind as string,
    name: text(m.name),
    status: m.status as NodeRow['status'],
    seq: toNumber(m.seq),
    startedAt: toNumber(m.startedAt),
    endedAt: toNumber(m.endedAt),
    durationMs: toNumber(m.durationMs),
    input: text(m.input),
    output: text(m.output),
    error: text(m.error),
    attributes: text(m.attributes),
    tokensIn: toNumber(m.tokensIn),
    tokensOut: toNumber(m.tokensOut),
    costUsd: toNumber(m.costUsd),
    file: text(m.file),
    line: toNumber(m.line),
    column: toNumber(m.column),
    function: text(m.function),
    replayed: m.replayed === true,
    diverged: m.diverged === true,
    placeholder: m.placeholder === true,
  };
}

export function recordToNodeState(m: Props): NodeState {
  const node = recordToNode(m);
  return {
    id: node.id,
    runId: node.runId,
    parentId: node.parentId,
    key: node.key,
    kind: node.kind,
    name: node.name,
    status: node.status,
    seq: node.seq,
    startedAt: node.startedAt,
    endedAt: node.endedAt,
    tokensIn: node.tokensIn,
    tokensOut: node.tokensOut,
    costUsd: node.costUsd,
    replayed: node.replayed,
    diverged: node.diverged,
    placeholder: node.placeholder,
    hasInput: m.hasInput === true,
    hasOutput: m.hasOutput === true,
    hasError: m.hasError === true,
    hasAttributes: m.hasAttributes === true,
    hasSource: m.hasSource === true,
  };
}
