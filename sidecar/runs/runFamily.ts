import type { RunFamily } from '../../protocol/replay';
import { toRun } from '../store/rowMapping';
import type { RunRow } from '../store/runStore';

/**
 * Puts a run family (as `RunStore.runFamily` returns it, unordered) in tree order: the original
 * first, each run before its replays, siblings oldest first. A replay whose parent is not in the
 * family (deleted) can only be the root, so it gets parentId null.
 */
export function familyTree(runId: string, rows: readonly RunRow[]): RunFamily {
  const byId = new Map(rows.map((row) => [row.id, row]));
  const start = byId.get(runId);
  if (!start) throw new Error(`run ${runId} is not in its own family`);

  // Up to the original; a cycle of replayOf (only the API can make one) stops where it closes.
  let root = start;
  const climbed = new Set([root.id]);
  for (let parent = parentOf(root, byId); parent && !climbed.has(parent.id); parent = parentOf(root, byId)) {
    climbed.add(parent.id);
    root = parent;
  }

  const children = new Map<string, RunRow[]>();
  for (const row of rows) {
    if (row.replayOf === null || row.id === root.id) continue;
    const siblings = children.get(row.replayOf) ?? [];
    siblings.push(row);
    children.set(row.replayOf, siblings);
  }
  for (const siblings of children.values()) siblings.sort(oldestFirst);

  const runs: RunFamily['runs'] = [];
  const placed = new Set<string>();
  // Depth first with an explicit stack: families can be long chains of replays of replays.
  const stack: Array<{ row: RunRow; parentId: string | null; depth: number }> = [{ row: root, parentId: null, depth: 0 }];
  while (stack.length > 0) {
    const { row, parentId, depth } = stack.pop() as (typeof stack)[number];
    if (placed.has(row.id)) continue;
    placed.add(row.id);
    runs.push({ run: toRun(row), parentId, depth });
    const kids = children.get(row.id) ?? [];
    for (let i = kids.length - 1; i >= 0; i--) stack.push({ row: kids[i] as RunRow, parentId: row.id, depth: depth + 1 });
  }
  return { rootId: root.id, runs };
}

function parentOf(row: RunRow, byId: ReadonlyMap<string, RunRow>): RunRow | undefined {
  return row.replayOf === null ? undefined : byId.get(row.replayOf);
}

function oldestFirst(a: RunRow, b: RunRow): number {
  return a.startedAt - b.startedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
