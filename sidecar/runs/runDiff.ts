import type { DiffSide, NodeDiff, RunDiff } from '../../protocol/replay';
import type { NodeRow, RunRow } from '../store/runStore';

/**
 * Compare two runs (DESIGN.md "Read path": diff by key). Nodes are matched by key, the identity
 * that stays stable across runs of the same code; ids never match across runs. Timings always
 * differ, so they are reported (durationDeltaMs) but never make a node "changed".
 */
export function diffRuns(
  a: Pick<RunRow, 'id' | 'durationMs'>,
  b: Pick<RunRow, 'id' | 'durationMs'>,
  aNodes: readonly NodeRow[],
  bNodes: readonly NodeRow[],
): RunDiff {
  const aByKey = byKey(aNodes);
  const bByKey = byKey(bNodes);
  const nodes: NodeDiff[] = [];
  for (const [key, bNode] of bByKey) nodes.push(compare(key, aByKey.get(key), bNode));
  for (const [key, aNode] of aByKey) if (!bByKey.has(key)) nodes.push(compare(key, aNode, undefined));

  const counts = { added: 0, removed: 0, changed: 0, same: 0 };
  for (const node of nodes) counts[node.change]++;
  // nodes lists b's keys first (in b's seq order), then the removed ones in a's: the first entry
  // that is not "same" is exactly the rule RunDiff.firstDivergence documents.
  const first = nodes.find((node) => node.change !== 'same');
  return {
    a: a.id,
    b: b.id,
    firstDivergence:
      first === undefined ? null : { key: first.key, change: first.change, aNodeId: first.a?.id ?? null, bNodeId: first.b?.id ?? null },
    counts,
    durationDeltaMs: delta(a.durationMs, b.durationMs),
    nodes,
  };
}

/** Keyed nodes in seq order (as RunStore.listKeyedNodes gives them); a repeated key keeps its first node. */
function byKey(rows: readonly NodeRow[]): Map<string, NodeRow> {
  const map = new Map<string, NodeRow>();
  for (const row of rows) if (row.key !== null && !map.has(row.key)) map.set(row.key, row);
  return map;
}

function compare(key: string, a: NodeRow | undefined, b: NodeRow | undefined): NodeDiff {
  if (a === undefined || b === undefined) {
    return {
      key,
      change: a === undefined ? 'added' : 'removed',
      a: a === undefined ? null : side(a),
      b: b === undefined ? null : side(b),
      statusChanged: false,
      outputChanged: false,
      errorChanged: false,
      durationDeltaMs: null,
    };
  }
  const aOutput = parse(a.output);
  const bOutput = parse(b.output);
  const statusChanged = a.status !== b.status;
  const outputChanged = canonical(aOutput) !== canonical(bOutput);
  const errorChanged = canonical(parse(a.error)) !== canonical(parse(b.error));
  return {
    key,
    change: statusChanged || outputChanged || errorChanged ? 'changed' : 'same',
    a: side(a),
    b: side(b),
    statusChanged,
    outputChanged,
    errorChanged,
    durationDeltaMs: delta(a.durationMs, b.durationMs),
    ...(outputChanged ? { output: { a: aOutput, b: bOutput } } : {}),
  };
}

function side(row: NodeRow): DiffSide {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    status: row.status,
    seq: row.seq,
    durationMs: row.durationMs,
    replayed: row.replayed,
    diverged: row.diverged,
  };
}

const delta = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : b - a);

function parse(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** JSON text with object keys sorted, so equal values compare equal whatever their key order. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
      : v,
  );
}
