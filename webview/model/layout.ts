import { type HierarchyPointNode, hierarchy, tree } from 'd3-hierarchy';
import type { RunGraph } from './runGraph';

/**
 * Tidy-tree layout (Reingold–Tilford/Buchheim, linear time, via d3-hierarchy) of the visible part
 * of the run. Boxes have a fixed size so `nodeSize` spaces them; several roots hang under a
 * virtual root that is never drawn. Coordinates are in graph units; the renderer zooms and pans.
 */
export type Orientation = 'top-down' | 'left-right';

export const boxWidth = 200;
export const boxHeight = 40;
/** Space between siblings and between levels, per orientation. */
const gaps = { 'top-down': { sibling: 24, level: 56 }, 'left-right': { sibling: 14, level: 64 } } as const;

export interface Placed {
  readonly id: string;
  /** Top-left corner of the box. */
  readonly x: number;
  readonly y: number;
  readonly depth: number;
  readonly parentId: string | null;
}

/** A decision's option, drawn as a small leaf under the decision (not a node of the run). */
export interface PlacedOption {
  readonly decisionId: string;
  readonly index: number;
  readonly x: number;
  readonly y: number;
}

export interface Layout {
  readonly orientation: Orientation;
  readonly placed: Map<string, Placed>;
  /** Visible ids, parents before children (draw and hit-test order). */
  readonly order: readonly string[];
  readonly options: readonly PlacedOption[];
  readonly bounds: { readonly minX: number; readonly minY: number; readonly maxX: number; readonly maxY: number };
}

interface Item {
  readonly id: string | null;
  readonly option?: { readonly decisionId: string; readonly index: number };
}

const virtualRoot: Item = { id: null };

export function layoutGraph(graph: RunGraph, collapsed: ReadonlySet<string>, orientation: Orientation): Layout {
  const root = hierarchy<Item>(virtualRoot, (item) => {
    if (item.option !== undefined) return undefined;
    if (item.id === null) return graph.roots().map((id) => ({ id }));
    if (collapsed.has(item.id)) return undefined;
    const kids: Item[] = graph.childrenOf(item.id).map((id) => ({ id }));
    const decision = graph.decisions.get(item.id);
    if (decision !== undefined) {
      const decisionId = item.id;
      kids.unshift(...decision.options.map((_, index) => ({ id: null, option: { decisionId, index } })));
    }
    return kids.length === 0 ? undefined : kids;
  });
  const gap = gaps[orientation];
  // d3 lays out along x for siblings and y for depth; left-right swaps them afterwards.
  const across = orientation === 'top-down' ? boxWidth + gap.sibling : boxHeight + gap.sibling;
  const down = orientation === 'top-down' ? boxHeight + gap.level : boxWidth + gap.level;
  const laidOut = tree<Item>()
    .nodeSize([across, down])
    .separation((a, b) => (a.parent === b.parent ? 1 : 1.15))(root);
  const placed = new Map<string, Placed>();
  const order: string[] = [];
  const options: PlacedOption[] = [];
  let minX = Number.POSITIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  let maxX = Number.NEGATIVE_INFINITY;
  let maxY = Number.NEGATIVE_INFINITY;
  laidOut.eachBefore((node: HierarchyPointNode<Item>) => {
    const id = node.data.id;
    const option = node.data.option;
    if (id === null && option === undefined) return;
    const depth = node.depth - 1;
    const along = node.x;
    const level = node.y - down;
    const x = orientation === 'top-down' ? along - boxWidth / 2 : level;
    const y = orientation === 'top-down' ? level : along - boxHeight / 2;
    if (option !== undefined) options.push({ ...option, x, y });
    else if (id !== null) {
      placed.set(id, { id, x, y, depth, parentId: node.parent?.data.id ?? null });
      order.push(id);
    }
    // Options count too: fit must show them.
    if (x < minX) minX = x;
    if (y < minY) minY = y;
    if (x + boxWidth > maxX) maxX = x + boxWidth;
    if (y + boxHeight > maxY) maxY = y + boxHeight;
  });
  if (order.length === 0) minX = minY = maxX = maxY = 0;
  return { orientation, placed, order, options, bounds: { minX, minY, maxX, maxY } };
}
