import type { NodeChange, NodeDiff, RunDiff } from '../../protocol/replay';

/**
 * The graph's diff mode (issue 8 "Compare"): the run on screen is `b`, the run it is compared
 * with is `a` (by default the run it replays). b's nodes are coloured by how they changed; a's
 * nodes b lacks cannot be drawn in b's tree, so they are listed beside it instead.
 */
export interface DiffView {
  /** The run compared against (`a`). */
  readonly against: string;
  /** b's node id → how it changed (added, changed or same). */
  readonly changes: ReadonlyMap<string, NodeChange>;
  /** b's node id → its entry, for the inspector's a:/b: output view. */
  readonly byNode: ReadonlyMap<string, NodeDiff>;
  /** a's nodes missing from b, in a's order. */
  readonly removed: readonly NodeDiff[];
  readonly counts: RunDiff['counts'];
  /** The key where b first departs from a, and b's node there (none when only removals differ). */
  readonly firstDivergence: { readonly key: string; readonly change: NodeChange; readonly nodeId: string | null } | null;
}

export function diffView(diff: RunDiff): DiffView {
  const changes = new Map<string, NodeChange>();
  const byNode = new Map<string, NodeDiff>();
  const removed: NodeDiff[] = [];
  for (const entry of diff.nodes) {
    if (entry.b !== null) {
      changes.set(entry.b.id, entry.change);
      byNode.set(entry.b.id, entry);
    } else if (entry.change === 'removed') removed.push(entry);
  }
  const first = diff.firstDivergence;
  return {
    against: diff.a,
    changes,
    byNode,
    removed,
    counts: diff.counts,
    firstDivergence: first === null ? null : { key: first.key, change: first.change, nodeId: first.bNodeId },
  };
}

/** The summary line: "vs run_x: 1 added · 2 changed · 0 removed · 9 same — first divergence /route#0". */
export function diffSummary(view: DiffView): string {
  const { added, changed, removed, same } = view.counts;
  const counts = `${added} added · ${changed} changed · ${removed} removed · ${same} same`;
  const first =
    view.firstDivergence === null ? 'no divergence' : `first divergence ${view.firstDivergence.key} (${view.firstDivergence.change})`;
  return `vs ${view.against}: ${counts} — ${first}`;
}

/** Which run to compare with when the user has not said: the run this one replays, if any. */
export function defaultAgainst(run: { readonly replayOf?: string | null }): string {
  return run.replayOf ?? '';
}
