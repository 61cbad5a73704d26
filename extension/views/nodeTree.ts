import { applyNodeDelta, emptyNodeSummary, type NodeDelta } from '../../protocol/nodeDelta';
import type { NodeSummary } from '../../protocol/runs';

/**
 * One run's node tree as the extension holds it: the flat tree from `GET /api/runs/:id/tree`
 * indexed by id and parent, kept current by the live node deltas. Pure (no vscode) so the
 * Runs view and the graph panel share it and tests drive it directly.
 *
 * Deltas follow the store's rules (protocol/runs.ts NodeRecord): fields never go backwards — a
 * finished node stays finished, startedAt/seq/parentId keep their first value — so a delta that
 * arrives late (buffered while the tree was loading) cannot undo what the snapshot already says.
 */
export interface TreeChange {
  /** Nodes whose own item (label, status, duration) changed. */
  readonly changed: readonly string[];
  /** Parents whose list of children changed; `null` is the run itself (root nodes). */
  readonly childrenChanged: readonly (string | null)[];
}

export class NodeTree {
  private readonly nodes = new Map<string, NodeSummary>();
  /** Children ids by parent id (`null` = roots), kept in display order. */
  private readonly children = new Map<string | null, string[]>();

  constructor(
    readonly runId: string,
    nodes: readonly NodeSummary[],
  ) {
    for (const node of nodes) this.nodes.set(node.id, { ...node });
    for (const node of this.nodes.values()) this.attach(node.id);
    for (const list of this.children.values()) list.sort(this.byDisplayOrder);
  }

  get size(): number {
    return this.nodes.size;
  }

  get(id: string): NodeSummary | undefined {
    return this.nodes.get(id);
  }

  roots(): NodeSummary[] {
    return this.childrenOf(null);
  }

  childrenOf(parentId: string | null): NodeSummary[] {
    return (this.children.get(parentId) ?? []).flatMap((id) => this.nodes.get(id) ?? []);
  }

  hasChildren(id: string): boolean {
    return (this.children.get(id)?.length ?? 0) > 0;
  }

  /** The parent shown in the tree: `null` for roots (including nodes whose parent is unknown). */
  parentOf(id: string): string | null {
    const parentId = this.nodes.get(id)?.parentId ?? null;
    return parentId !== null && this.nodes.has(parentId) ? parentId : null;
  }

  /** Every node depth-first in display order, with its depth (roots are 0). */
  walk(): { node: NodeSummary; depth: number }[] {
    const out: { node: NodeSummary; depth: number }[] = [];
    const visit = (parentId: string | null, depth: number) => {
      for (const node of this.childrenOf(parentId)) {
        out.push({ node, depth });
        visit(node.id, depth + 1);
      }
    };
    visit(null, 0);
    return out;
  }

  /** Applies one live upsert; a delta for another run is ignored. */
  apply(delta: NodeDelta): TreeChange {
    if (delta.runId !== this.runId) return { changed: [], childrenChanged: [] };
    const childrenChanged = new Set<string | null>();
    const changed = new Set<string>();
    const parentId = typeof delta.parentId === 'string' ? delta.parentId : null;

    // A parent named before its own record arrives becomes a placeholder, as the store does.
    if (parentId !== null && !this.nodes.has(parentId)) {
      this.nodes.set(parentId, emptyNodeSummary(this.runId, parentId, true));
      this.insertChild(null, parentId);
      childrenChanged.add(null);
    }

    const existing = this.nodes.get(delta.id);
    if (existing === undefined) {
      const node = applyNodeDelta(undefined, delta);
      this.nodes.set(node.id, node);
      this.insertChild(this.parentOf(node.id), node.id);
      childrenChanged.add(this.parentOf(node.id));
      if (parentId !== null) changed.add(parentId);
    } else {
      const before = this.parentOf(existing.id);
      const beforeSeq = existing.seq;
      const updated = applyNodeDelta(existing, delta);
      this.nodes.set(updated.id, updated);
      const after = this.parentOf(updated.id);
      if (before !== after || beforeSeq !== updated.seq) {
        this.detach(existing.id, before);
        this.insertChild(after, updated.id);
        childrenChanged.add(before);
        childrenChanged.add(after);
        if (after !== null) changed.add(after);
      }
      changed.add(updated.id);
    }
    return { changed: [...changed], childrenChanged: [...childrenChanged] };
  }

  private attach(id: string): void {
    const parent = this.parentOf(id);
    const list = this.children.get(parent);
    if (list) list.push(id);
    else this.children.set(parent, [id]);
  }

  private insertChild(parentId: string | null, id: string): void {
    const list = this.children.get(parentId) ?? [];
    this.children.set(parentId, list);
    const node = this.nodes.get(id);
    if (!node) return;
    let at = list.length;
    while (at > 0) {
      const previous = this.nodes.get(list[at - 1] as string);
      if (!previous || this.byDisplayOrder(previous.id, node.id) <= 0) break;
      at--;
    }
    list.splice(at, 0, id);
  }

  private detach(id: string, parentId: string | null): void {
    const list = this.children.get(parentId);
    const at = list?.indexOf(id) ?? -1;
    if (list && at >= 0) list.splice(at, 1);
  }

  /** seq (start order in the run) first; nodes without seq after, by start time, then id. */
  private readonly byDisplayOrder = (a: string, b: string): number => {
    const x = this.nodes.get(a);
    const y = this.nodes.get(b);
    if (!x || !y) return 0;
    if (x.seq !== y.seq) {
      if (x.seq === null) return 1;
      if (y.seq === null) return -1;
      return x.seq - y.seq;
    }
    const xs = x.startedAt ?? '';
    const ys = y.startedAt ?? '';
    if (xs !== ys) return xs < ys ? -1 : 1;
    return x.id < y.id ? -1 : x.id > y.id ? 1 : 0;
  };
}
