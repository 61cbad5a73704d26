import * as assert from 'node:assert/strict';
import type { NodeSummary } from '../../../protocol/runs';
import { expandTo, initialCollapsed, visibleIds } from '../../../webview/model/collapse';
import { DeltaQueue } from '../../../webview/model/deltaQueue';
import { boxHeight, boxWidth, layoutGraph } from '../../../webview/model/layout';
import { decisionOf, RunGraph } from '../../../webview/model/runGraph';
import { searchNodes, stepMatch } from '../../../webview/model/search';
import { stateAt, timelineEvents } from '../../../webview/model/timeline';
import { formatDuration, formatTokens } from '../../../webview/render/format';
import { aNode, aRunDto } from '../extension/dtos';

const at = (ms: number) => new Date(Date.UTC(2026, 0, 1, 12, 0, 0, ms)).toISOString();

/** root → a (→ a1, a2), b; seq and times in creation order. */
function smallGraph(): RunGraph {
  return new RunGraph(aRunDto(), [
    aNode('b', { parentId: 'root', seq: 4, startedAt: at(40), endedAt: at(50) }),
    aNode('root', { seq: 0, startedAt: at(0), endedAt: at(100) }),
    aNode('a', { parentId: 'root', seq: 1, startedAt: at(10), endedAt: at(35), kind: 'llm', name: 'plan the fix' }),
    aNode('a2', { parentId: 'a', seq: 3, startedAt: at(20), endedAt: at(30), status: 'error', error: { message: 'ENOENT' } }),
    aNode('a1', { parentId: 'a', seq: 2, startedAt: at(11), endedAt: at(19) }),
  ]);
}

/** A full tree of the given fan-out and depth (root depth 0), ids `n<i>`. */
function wideGraph(fanout: number, depth: number): RunGraph {
  const nodes: NodeSummary[] = [aNode('n0', { seq: 0 })];
  let level = ['n0'];
  for (let d = 1; d <= depth; d++) {
    const next: string[] = [];
    for (const parent of level)
      for (let i = 0; i < fanout; i++) {
        const id = `n${nodes.length}`;
        nodes.push(aNode(id, { parentId: parent, seq: nodes.length }));
        next.push(id);
      }
    level = next;
  }
  return new RunGraph(aRunDto(), nodes);
}

describe('webview RunGraph', () => {
  it('orders children by seq whatever the arrival order', () => {
    const graph = smallGraph();
    assert.deepEqual(graph.roots(), ['root']);
    assert.deepEqual(graph.childrenOf('root'), ['a', 'b']);
    assert.deepEqual(graph.childrenOf('a'), ['a1', 'a2']);
    assert.deepEqual(graph.preorder(), ['root', 'a', 'a1', 'a2', 'b']);
    assert.deepEqual(graph.ancestry('a2'), ['root', 'a', 'a2']);
    assert.equal(graph.descendantCounts().get('root'), 4);
  });

  it('applies live deltas: new nodes, field updates, children that arrive before their parent', () => {
    const graph = smallGraph();
    const first = graph.apply([
      { runId: 'run-1', id: 'late-child', parentId: 'late', name: 'early bird', seq: 9 },
      { runId: 'run-1', id: 'b', status: 'error', endedAt: at(60) },
      { runId: 'other-run', id: 'ignored' },
    ]);
    assert.deepEqual(first, { added: 1, changed: 1, structural: true, newDecisions: [] });
    assert.deepEqual(graph.roots(), ['root', 'late-child'], 'an orphan hangs at the top until its parent arrives');
    // b had finished ok: as in the store, a finished node stays as it finished.
    assert.equal(graph.get('b')?.status, 'ok');
    assert.equal(graph.get('b')?.durationMs, 10);
    graph.apply([
      { runId: 'run-1', id: 'c', parentId: 'root', seq: 5, status: 'running', startedAt: at(40) },
      { runId: 'run-1', id: 'c', status: 'error', endedAt: at(60) },
    ]);
    assert.equal(graph.get('c')?.status, 'error');
    assert.equal(graph.get('c')?.durationMs, 20, 'duration follows the times');
    graph.apply([{ runId: 'run-1', id: 'late', parentId: 'root', seq: 8, kind: 'decision', name: 'route' }]);
    assert.deepEqual(graph.roots(), ['root']);
    assert.deepEqual(graph.childrenOf('late'), ['late-child']);
    assert.deepEqual(graph.childrenOf('root'), ['a', 'b', 'c', 'late']);
  });

  it('never moves a finished node back to running, nor changes a parent once set', () => {
    const graph = smallGraph();
    graph.apply([{ runId: 'run-1', id: 'a1', status: 'running', parentId: 'b' }]);
    assert.equal(graph.get('a1')?.status, 'ok');
    assert.equal(graph.get('a1')?.parentId, 'a');
  });

  it('reports new decision nodes and reads their options from attributes (or input)', () => {
    const graph = smallGraph();
    const result = graph.apply([{ runId: 'run-1', id: 'd', parentId: 'root', kind: 'decision', seq: 7 }]);
    assert.deepEqual(result.newDecisions, ['d']);
    const options = [{ label: 'bug', score: 0.8, rationale: 'stack trace' }, { label: 'feature' }];
    graph.setDecision('d', { options, chosen: 'bug' });
    assert.deepEqual(graph.decisions.get('d'), { options, chosen: 'bug' });
    assert.deepEqual(decisionOf(null, { options: ['x', { label: 'y', score: 'high' }] }), {
      options: [{ label: 'x' }, { label: 'y' }],
      chosen: undefined,
    });
    assert.equal(decisionOf({ unrelated: true }), undefined);
  });
});

describe('webview collapse', () => {
  it('opens small runs whole and folds big ones at the deepest level within budget', () => {
    assert.equal(initialCollapsed(smallGraph()).size, 0);
    const graph = wideGraph(8, 4); // 1 + 8 + 64 + 512 + 4096 = 4681 nodes
    const collapsed = initialCollapsed(graph, 1_000, 1_000);
    const visible = visibleIds(graph, collapsed);
    assert.equal(visible.length, 1 + 8 + 64 + 512, 'levels 0-3 fit in 1,000; the 512 nodes of level 3 are collapsed');
    assert.equal(collapsed.size, 512);
  });

  it('expands the ancestors of a node that must be shown', () => {
    const graph = smallGraph();
    const collapsed = new Set(['root', 'a']);
    assert.deepEqual(visibleIds(graph, collapsed), ['root']);
    assert.equal(expandTo(graph, collapsed, 'a2'), true);
    assert.deepEqual(visibleIds(graph, collapsed), ['root', 'a', 'a1', 'a2', 'b']);
    assert.equal(expandTo(graph, collapsed, 'a2'), false);
  });
});

describe('webview layout', () => {
  it('lays out a tidy tree without overlapping boxes, parents above children', () => {
    const graph = wideGraph(3, 3);
    const layout = layoutGraph(graph, new Set(), 'top-down');
    assert.equal(layout.order.length, graph.size);
    const boxes = [...layout.placed.values()];
    for (const box of boxes) {
      if (box.parentId !== null) assert.ok((layout.placed.get(box.parentId)?.y ?? Infinity) < box.y);
      for (const other of boxes) {
        if (other === box || other.y !== box.y) continue;
        assert.ok(Math.abs(other.x - box.x) >= boxWidth, `${box.id} and ${other.id} overlap`);
      }
    }
  });

  it('swaps axes for left-right, hides collapsed subtrees and places decision options as leaves', () => {
    const graph = smallGraph();
    graph.setDecision('b', { options: [{ label: 'x' }, { label: 'y' }], chosen: 'x' });
    const layout = layoutGraph(graph, new Set(['a']), 'left-right');
    assert.deepEqual(layout.order, ['root', 'a', 'b']);
    const root = layout.placed.get('root');
    const a = layout.placed.get('a');
    assert.ok(root && a && a.x > root.x, 'depth grows to the right');
    assert.equal(layout.options.length, 2);
    assert.ok(layout.options.every((option) => option.x > (layout.placed.get('b')?.x ?? 0)));
    assert.ok(layout.bounds.maxY - layout.bounds.minY >= 2 * boxHeight);
  });

  it('handles a chain 1,000 levels deep', () => {
    const nodes = Array.from({ length: 1_000 }, (_, i) => aNode(`c${i}`, { parentId: i === 0 ? null : `c${i - 1}`, seq: i }));
    const graph = new RunGraph(aRunDto(), nodes);
    const layout = layoutGraph(graph, new Set(), 'top-down');
    assert.equal(layout.placed.get('c999')?.depth, 999);
  });
});

describe('webview search and timeline', () => {
  it('finds nodes by name, kind, status, id and error text, in tree order; steps wrap around', () => {
    const graph = smallGraph();
    assert.deepEqual(searchNodes(graph, 'PLAN'), ['a']);
    assert.deepEqual(searchNodes(graph, 'enoent'), ['a2']);
    assert.deepEqual(
      searchNodes(graph, 'a'),
      ['root', 'a', 'a1', 'a2', 'b'].filter((id) => id !== 'root' && id !== 'b'),
    );
    assert.deepEqual(searchNodes(graph, '  '), []);
    assert.equal(stepMatch(3, -1, 1), 0);
    assert.equal(stepMatch(3, -1, -1), 2);
    assert.equal(stepMatch(3, 2, 1), 0);
    assert.equal(stepMatch(0, 0, 1), -1);
  });

  it('replays the run in event order: first only the root, at the end every final status', () => {
    const graph = smallGraph();
    const events = timelineEvents(graph);
    assert.equal(events.length, 10);
    assert.deepEqual(
      events.map((event) => `${event.type}:${event.id}`),
      ['start:root', 'start:a', 'start:a1', 'end:a1', 'start:a2', 'end:a2', 'end:a', 'start:b', 'end:b', 'end:root'],
    );
    assert.deepEqual([...stateAt(graph, events, 1)], [['root', 'running']]);
    const middle = stateAt(graph, events, 6);
    assert.equal(middle.get('a'), 'running');
    assert.equal(middle.get('a2'), 'error');
    assert.equal(middle.has('b'), false);
    assert.equal(stateAt(graph, events, events.length).size, graph.size);
  });

  it('a running node has a start event only', () => {
    const graph = new RunGraph(aRunDto(), [aNode('r', { status: 'running', startedAt: at(0) })]);
    assert.deepEqual(timelineEvents(graph), [{ at: Date.parse(at(0)), id: 'r', type: 'start' }]);
  });
});

describe('webview delta queue and badges', () => {
  it('merges deltas per node until drained, keeping first-arrival order', () => {
    const queue = new DeltaQueue();
    queue.push({ runId: 'r', id: 'a', status: 'running', name: 'a' });
    queue.push({ runId: 'r', id: 'b' });
    queue.push({ runId: 'r', id: 'a', status: 'ok' });
    assert.equal(queue.size, 2);
    assert.deepEqual(queue.drain(), [
      { runId: 'r', id: 'a', status: 'ok', name: 'a' },
      { runId: 'r', id: 'b' },
    ]);
    assert.equal(queue.size, 0);
  });

  it('formats durations and tokens briefly', () => {
    assert.equal(formatDuration(340), '340 ms');
    assert.equal(formatDuration(2_400), '2.4 s');
    assert.equal(formatDuration(185_000), '3 min 5 s');
    assert.equal(formatDuration(null), '');
    assert.equal(formatTokens(1_200, 340), '1.5k tok');
    assert.equal(formatTokens(null, null), '');
  });
});
