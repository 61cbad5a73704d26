import type { RunGraph } from './runGraph';

/**
 * Which subtrees start collapsed. A big run opens with its deep subtrees folded so the first
 * paint draws a few thousand boxes, not 50,000: the deepest level that keeps the visible count
 * within `budget` stays open, the nodes on it with children are collapsed. Runs up to `openWhole`
 * nodes open whole (5,000 boxes still lay out in ~50 ms and draw culled).
 */
export function initialCollapsed(graph: RunGraph, budget = 2_000, openWhole = 5_000): Set<string> {
  if (graph.size <= openWhole) return new Set();
  const depths = graph.depths();
  const perDepth: number[] = [];
  for (const d of depths.values()) perDepth[d] = (perDepth[d] ?? 0) + 1;
  // The last depth whose cumulative count still fits (at least the roots).
  let open = 0;
  let total = perDepth[0] ?? 0;
  for (let d = 1; d < perDepth.length; d++) {
    total += perDepth[d] ?? 0;
    if (total > budget) break;
    open = d;
  }
  const collapsed = new Set<string>();
  for (const [id, d] of depths) if (d === open && graph.hasChildren(id)) collapsed.add(id);
  return collapsed;
}

/** Opens every collapsed ancestor of `id` so it becomes visible (search, keyboard, selection). */
export function expandTo(graph: RunGraph, collapsed: Set<string>, id: string): boolean {
  let changed = false;
  const path = graph.ancestry(id);
  for (const ancestor of path.slice(0, -1)) if (collapsed.delete(ancestor)) changed = true;
  return changed;
}

/** The nodes drawn: everything not below a collapsed node, parents first. */
export function visibleIds(graph: RunGraph, collapsed: ReadonlySet<string>): string[] {
  const out: string[] = [];
  const stack = [...graph.roots()].reverse();
  while (stack.length > 0) {
    const id = stack.pop() as string;
    out.push(id);
    if (collapsed.has(id)) continue;
    const kids = graph.childrenOf(id);
    for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i] as string);
  }
  return out;
}
