import type { NodeStatus, NodeSummary } from '../../protocol/runs';
import type { RunGraph } from './runGraph';

/**
 * The run replayed in event order: each node starts (appears, running) and ends (takes its final
 * status). Events sort by time, then start before end, then run order (seq), so a parent that
 * starts in the same millisecond as its child still comes first. Nodes without times fall back to
 * their seq, after every timed event.
 */
export interface TimelineEvent {
  readonly at: number;
  readonly id: string;
  readonly type: 'start' | 'end';
}

export function timelineEvents(graph: RunGraph): TimelineEvent[] {
  const depth = graph.depths();
  const events: (TimelineEvent & { seq: number; depth: number })[] = [];
  for (const node of graph.all()) {
    const started = node.startedAt === null ? Number.NaN : Date.parse(node.startedAt);
    const ended = node.endedAt === null ? Number.NaN : Date.parse(node.endedAt);
    const at = Number.isFinite(started) ? started : Number.MAX_SAFE_INTEGER;
    const seq = node.seq ?? Number.MAX_SAFE_INTEGER;
    const d = depth.get(node.id) ?? 0;
    events.push({ at, id: node.id, type: 'start', seq, depth: d });
    if (node.status !== 'running') events.push({ at: Number.isFinite(ended) ? ended : at, id: node.id, type: 'end', seq, depth: d });
  }
  events.sort(
    (a, b) =>
      a.at - b.at ||
      (a.type === b.type ? 0 : a.type === 'start' ? -1 : 1) ||
      // Starts: parents first; ends: children first.
      (a.type === 'start' ? a.depth - b.depth : b.depth - a.depth) ||
      a.seq - b.seq ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  return events.map(({ at, id, type }) => ({ at, id, type }));
}

/** What is on screen after the first `position` events: started nodes and their status then. */
export function stateAt(graph: RunGraph, events: readonly TimelineEvent[], position: number): Map<string, NodeStatus> {
  const shown = new Map<string, NodeStatus>();
  const end = Math.max(0, Math.min(position, events.length));
  for (let i = 0; i < end; i++) {
    const event = events[i] as TimelineEvent;
    const node = graph.get(event.id) as NodeSummary | undefined;
    if (node === undefined) continue;
    shown.set(event.id, event.type === 'start' ? 'running' : node.status);
  }
  return shown;
}
