import { applyNodeDelta, type NodeDelta } from '../../protocol/nodeDelta';
import type { NodeSummary, Run } from '../../protocol/runs';

/**
 * The run as the UI holds it: every node summary by id, children in the order the run produced
 * them, and the decisions' options once fetched. Pure (no DOM): live deltas, the timeline and
 * the layout all read it, and unit tests drive it directly.
 */
export interface DecisionOption {
  readonly label: string;
  readonly score?: number;
  readonly rationale?: string;
}

export interface Decision {
  readonly options: readonly DecisionOption[];
  readonly chosen: string | undefined;
}

/** What one batch of deltas changed: `structural` means the layout must be redone. */
export interface ApplyResult {
  readonly added: number;
  readonly changed: number;
  readonly structural: boolean;
  /** New decision nodes, whose options the UI has yet to fetch. */
  readonly newDecisions: readonly string[];
}

export class RunGraph {
  run: Run;
  private readonly nodes = new Map<string, NodeSummary>();
  private readonly children = new Map<string | null, string[]>();
  /** Sibling lists whose order may be stale after inserts: sorted lazily on read. */
  private readonly unsorted = new Set<string | null>();
  /** Top-level nodes by the parent id they are waiting for. */
  private readonly orphans = new Map<string, string[]>();
  readonly decisions = new Map<string, Decision>();

  constructor(run: Run, nodes: readonly NodeSummary[]) {
    this.run = run;
    for (const node of nodes) this.nodes.set(node.id, node);
    for (const node of nodes) this.link(node);
  }

  get size(): number {
    return this.nodes.size;
  }

  get(id: string): NodeSummary | undefined {
    return this.nodes.get(id);
  }

  all(): IterableIterator<NodeSummary> {
    return this.nodes.values();
  }

  /** Nodes without a known parent, in run order (a node whose parent never arrived shows as a root). */
  roots(): readonly string[] {
    return this.sorted(null);
  }

  childrenOf(id: string): readonly string[] {
    return this.sorted(id);
  }

  hasChildren(id: string): boolean {
    return (this.children.get(id)?.length ?? 0) > 0;
  }

  /** The parent as drawn: null when the node is a root or its parent is not in the graph. */
  parentOf(id: string): string | null {
    const parentId = this.nodes.get(id)?.parentId ?? null;
    return parentId !== null && this.nodes.has(parentId) ? parentId : null;
  }

  /** Applies live upserts (fields absent from a delta are kept); many deltas, one result. */
  apply(deltas: Iterable<NodeDelta>): ApplyResult {
    let added = 0;
    let changed = 0;
    let structural = false;
    const newDecisions: string[] = [];
    for (const delta of deltas) {
      if (delta.runId !== this.run.id) continue;
      const existing = this.nodes.get(delta.id);
      const next = applyNodeDelta(existing, delta);
      if (existing === undefined) {
        added++;
        structural = true;
        this.nodes.set(next.id, next);
        // Children that arrived first hung at the top level: move them under their parent now.
        const waiting = this.orphans.get(next.id);
        if (waiting !== undefined) {
          this.orphans.delete(next.id);
          const moved = new Set(waiting);
          this.children.set(
            null,
            (this.children.get(null) ?? []).filter((id) => !moved.has(id)),
          );
          for (const id of waiting) this.push(next.id, id);
        }
        this.link(next);
        if (next.kind === 'decision') newDecisions.push(next.id);
      } else {
        changed++;
        this.nodes.set(next.id, next);
        if (existing.parentId !== next.parentId) {
          // A placeholder learns its parent: move it (parentId is immutable once set, so this is rare).
          this.unlink(existing);
          this.link(next);
          structural = true;
        } else if (existing.seq !== next.seq || existing.startedAt !== next.startedAt) {
          this.unsorted.add(this.parentOf(next.id));
        }
        if (existing.kind !== 'decision' && next.kind === 'decision') newDecisions.push(next.id);
      }
    }
    return { added, changed, structural, newDecisions };
  }

  setDecision(id: string, attributes: Record<string, unknown> | null, input?: unknown): void {
    const decision = decisionOf(attributes, input);
    if (decision !== undefined) this.decisions.set(id, decision);
  }

  /** Every node id, parents before children, siblings in run order: the order search steps through. */
  preorder(): string[] {
    const out: string[] = [];
    const stack = [...this.roots()].reverse();
    while (stack.length > 0) {
      const id = stack.pop() as string;
      out.push(id);
      const kids = this.childrenOf(id);
      for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i] as string);
    }
    return out;
  }

  /** Ids from the root down to `id` (inclusive). */
  ancestry(id: string): string[] {
    const path: string[] = [];
    const seen = new Set<string>();
    for (let at: string | null = id; at !== null && !seen.has(at); at = this.parentOf(at)) {
      seen.add(at);
      path.push(at);
    }
    return path.reverse();
  }

  /** Depth of every node (roots 0), iteratively: runs may be 1,000 levels deep. */
  depths(): Map<string, number> {
    const depth = new Map<string, number>();
    const stack: [string, number][] = this.roots().map((id) => [id, 0]);
    while (stack.length > 0) {
      const [id, d] = stack.pop() as [string, number];
      depth.set(id, d);
      for (const child of this.children.get(id) ?? []) stack.push([child, d + 1]);
    }
    return depth;
  }

  /** Descendant counts (excluding the node), for the "+N" badge of a collapsed node. */
  descendantCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    const order = this.preorder();
    for (let i = order.length - 1; i >= 0; i--) {
      const id = order[i] as string;
      let total = 0;
      for (const child of this.children.get(id) ?? []) total += 1 + (counts.get(child) ?? 0);
      counts.set(id, total);
    }
    return counts;
  }

  private link(node: NodeSummary): void {
    const parent = node.parentId !== null && this.nodes.has(node.parentId) ? node.parentId : null;
    if (parent === null && node.parentId !== null) {
      const list = this.orphans.get(node.parentId) ?? [];
      list.push(node.id);
      this.orphans.set(node.parentId, list);
    }
    this.push(parent, node.id);
  }

  private unlink(node: NodeSummary): void {
    for (const [parent, list] of this.children) {
      const at = list.indexOf(node.id);
      if (at >= 0) {
        list.splice(at, 1);
        this.unsorted.add(parent);
        return;
      }
    }
  }

  private push(parent: string | null, id: string): void {
    let list = this.children.get(parent);
    if (list === undefined) {
      list = [];
      this.children.set(parent, list);
    }
    list.push(id);
    this.unsorted.add(parent);
  }

  private sorted(parent: string | null): readonly string[] {
    const list = this.children.get(parent);
    if (list === undefined) return [];
    if (this.unsorted.delete(parent)) list.sort((a, b) => compareRunOrder(this.nodes.get(a), this.nodes.get(b)));
    return list;
  }
}

/** Siblings in the order the run produced them: seq, then start time, then id (stable). */
export function compareRunOrder(a: NodeSummary | undefined, b: NodeSummary | undefined): number {
  if (a === undefined || b === undefined) return 0;
  const seq = (a.seq ?? Number.MAX_SAFE_INTEGER) - (b.seq ?? Number.MAX_SAFE_INTEGER);
  if (seq !== 0) return seq;
  const start = (a.startedAt ?? '').localeCompare(b.startedAt ?? '');
  if (start !== 0) return start;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** A decision's options and choice from its attributes (SDK contract), falling back to its input. */
export function decisionOf(attributes: Record<string, unknown> | null | undefined, input?: unknown): Decision | undefined {
  const from = (value: unknown): unknown[] | undefined =>
    typeof value === 'object' && value !== null && Array.isArray((value as { options?: unknown }).options)
      ? ((value as { options: unknown[] }).options as unknown[])
      : undefined;
  const raw = from(attributes) ?? from(input);
  if (raw === undefined) return undefined;
  const options: DecisionOption[] = [];
  for (const option of raw) {
    if (typeof option === 'string') options.push({ label: option });
    else if (typeof option === 'object' && option !== null && typeof (option as { label?: unknown }).label === 'string') {
      const { label, score, rationale } = option as { label: string; score?: unknown; rationale?: unknown };
      options.push({
        label,
        ...(typeof score === 'number' ? { score } : {}),
        ...(typeof rationale === 'string' ? { rationale } : {}),
      });
    }
  }
  const chosenRaw = (attributes as { chosen?: unknown } | null | undefined)?.chosen;
  const chosen =
    typeof chosenRaw === 'string'
      ? chosenRaw
      : typeof chosenRaw === 'object' && chosenRaw !== null && typeof (chosenRaw as { label?: unknown }).label === 'string'
        ? (chosenRaw as { label: string }).label
        : undefined;
  return { options, chosen };
}
