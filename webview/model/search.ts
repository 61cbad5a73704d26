import type { NodeSummary } from '../../protocol/runs';
import type { RunGraph } from './runGraph';

/**
 * Search over what the UI holds without payloads: name, kind, status, id, key, error message and
 * source file. Matches come in tree order (preorder) so next/previous walk the picture top-down.
 */
export function searchNodes(graph: RunGraph, query: string): string[] {
  const needle = query.trim().toLowerCase();
  if (needle === '') return [];
  return graph.preorder().filter((id) => {
    const node = graph.get(id);
    return node !== undefined && haystack(node).includes(needle);
  });
}

function haystack(node: NodeSummary): string {
  const error = node.error === null ? '' : typeof node.error === 'string' ? node.error : JSON.stringify(node.error);
  return [node.name ?? '', node.kind, node.status, node.id, node.key ?? '', error, node.source?.file ?? ''].join('\n').toLowerCase();
}

/** The match index after stepping `by` (+1 next, -1 previous), wrapping around. */
export function stepMatch(count: number, current: number, by: 1 | -1): number {
  if (count === 0) return -1;
  if (current < 0) return by === 1 ? 0 : count - 1;
  return (current + by + count) % count;
}
