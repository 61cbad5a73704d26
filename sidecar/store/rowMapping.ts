import type { Node, NodeSummary, Run, TreeNode } from '../../protocol/runs';
import type { NodeRow, RunRow } from './runStore';

/** Store rows -> REST DTOs. The only place that knows both shapes. */

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function parseJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    // Written by us as JSON; a value that does not parse is returned as the raw text.
    return text;
  }
}

export function toRun(row: RunRow): Run {
  return {
    id: row.id,
    workflow: row.workflow,
    status: row.status,
    startedAt: iso(row.startedAt) as string,
    endedAt: iso(row.endedAt),
    durationMs: row.durationMs,
    error: parseJson(row.error),
    command: parseJson(row.command) as Run['command'],
    cwd: row.cwd,
    git: { repo: row.gitRepo, branch: row.gitBranch, commit: row.gitCommit, dirty: row.gitDirty },
    labels: row.labels,
    replayOf: row.replayOf,
    forkedFromNode: row.forkedFromNode,
    nodeCount: row.nodeCount,
    tokensIn: row.tokensIn,
    tokensOut: row.tokensOut,
    costUsd: roundCost(row.costUsd),
  };
}

export function toNodeSummary(row: NodeRow): NodeSummary {
  return {
    id: row.id,
    runId: row.runId,
    parentId: row.parentId,
    key: row.key,
    kind: row.kind,
    name: row.name,
    status: row.status,
    seq: row.seq,
    startedAt: iso(row.startedAt),
    endedAt: iso(row.endedAt),
    durationMs: row.durationMs,
    error: parseJson(row.error),
    tokensIn: row.tokensIn,
    tokensOut: row.tokensOut,
    costUsd: row.costUsd,
    source: row.file === null ? null : { file: row.file, line: row.line ?? 1, column: row.column, function: row.function },
    replayed: row.replayed,
    diverged: row.diverged,
    placeholder: row.placeholder,
  };
}

export function toNode(row: NodeRow): Node {
  return {
    ...toNodeSummary(row),
    input: parseJson(row.input),
    output: parseJson(row.output),
    attributes: parseJson(row.attributes) as Node['attributes'],
  };
}

/**
 * Nests flat rows under their parents (rows in sibling order). Iterative, so 1,000-level-deep
 * runs do not recurse; a node whose parent is not among the rows becomes a root.
 */
export function nestRows(rows: readonly NodeRow[]): TreeNode[] {
  const byId = new Map<string, TreeNode>();
  for (const row of rows) byId.set(row.id, { ...toNodeSummary(row), children: [] });
  const roots: TreeNode[] = [];
  for (const row of rows) {
    const node = byId.get(row.id) as TreeNode;
    const parent = row.parentId === null ? undefined : byId.get(row.parentId);
    if (parent) parent.children.push(node);
    else roots.push(node);
  }
  return roots;
}

/** Costs are sums of floats; 1e-9 USD is below any price. */
export function roundCost(usd: number): number {
  return Math.round(usd * 1e9) / 1e9;
}
