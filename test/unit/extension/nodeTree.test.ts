import * as assert from 'node:assert/strict';
import { NodeTree } from '../../../extension/views/nodeTree';
import { aNode } from './dtos';

const ids = (nodes: { id: string }[]) => nodes.map((node) => node.id);

describe('extension NodeTree', () => {
  it('indexes a flat tree by parent, children in start order', () => {
    const tree = new NodeTree('run-1', [
      aNode('b', { parentId: 'root', seq: 2 }),
      aNode('root', { seq: 0 }),
      aNode('a', { parentId: 'root', seq: 1 }),
      aNode('orphan', { parentId: 'missing', seq: 3 }),
    ]);
    assert.deepEqual(ids(tree.roots()), ['root', 'orphan']);
    assert.deepEqual(ids(tree.childrenOf('root')), ['a', 'b']);
    assert.equal(tree.parentOf('a'), 'root');
    assert.equal(tree.parentOf('orphan'), null, 'a node whose parent is unknown shows as a root');
    assert.equal(tree.hasChildren('root'), true);
    assert.equal(tree.hasChildren('a'), false);
    assert.deepEqual(
      tree.walk().map(({ node, depth }) => `${node.id}@${depth}`),
      ['root@0', 'a@1', 'b@1', 'orphan@0'],
    );
  });

  it('adds a live node under its parent and says which items changed', () => {
    const tree = new NodeTree('run-1', [aNode('root', { seq: 0 }), aNode('a', { parentId: 'root', seq: 1 })]);
    const change = tree.apply({
      runId: 'run-1',
      id: 'c',
      parentId: 'a',
      kind: 'llm',
      name: 'ask',
      status: 'running',
      seq: 2,
      startedAt: '2026-01-01T12:00:00.000Z',
    });
    assert.deepEqual(change.childrenChanged, ['a']);
    assert.deepEqual(change.changed, ['a'], 'the parent becomes expandable');
    assert.equal(tree.get('c')?.kind, 'llm');
    assert.equal(tree.get('c')?.status, 'running');
    assert.deepEqual(ids(tree.childrenOf('a')), ['c']);
    assert.equal(tree.size, 3);
  });

  it('finishes a node: status and duration from the end record', () => {
    const tree = new NodeTree('run-1', [aNode('a', { status: 'running', seq: 0, startedAt: '2026-01-01T12:00:00.000Z' })]);
    const change = tree.apply({ runId: 'run-1', id: 'a', status: 'ok', endedAt: '2026-01-01T12:00:00.340Z' });
    assert.deepEqual(change, { changed: ['a'], childrenChanged: [] });
    assert.equal(tree.get('a')?.status, 'ok');
    assert.equal(tree.get('a')?.durationMs, 340);
  });

  it('never goes backwards: a late start record does not reopen a finished node', () => {
    const tree = new NodeTree('run-1', [
      aNode('a', { status: 'ok', seq: 4, startedAt: '2026-01-01T12:00:00.000Z', endedAt: '2026-01-01T12:00:01.000Z', durationMs: 1000 }),
    ]);
    tree.apply({ runId: 'run-1', id: 'a', status: 'running', seq: 9, startedAt: '2026-01-01T11:00:00.000Z' });
    const node = tree.get('a');
    assert.equal(node?.status, 'ok');
    assert.equal(node?.seq, 4);
    assert.equal(node?.durationMs, 1000);
  });

  it('creates a placeholder for a parent not seen yet and moves it under its own parent later', () => {
    const tree = new NodeTree('run-1', [aNode('root', { seq: 0 })]);
    const first = tree.apply({ runId: 'run-1', id: 'child', parentId: 'mid', seq: 2, name: 'child' });
    assert.ok(first.childrenChanged.includes(null));
    assert.equal(tree.get('mid')?.placeholder, true);
    assert.deepEqual(ids(tree.roots()), ['root', 'mid']);
    const second = tree.apply({ runId: 'run-1', id: 'mid', parentId: 'root', seq: 1, name: 'mid', status: 'running' });
    assert.ok(second.childrenChanged.includes(null) && second.childrenChanged.includes('root'));
    assert.equal(tree.get('mid')?.placeholder, false);
    assert.deepEqual(ids(tree.roots()), ['root']);
    assert.deepEqual(ids(tree.childrenOf('root')), ['mid']);
    assert.deepEqual(ids(tree.childrenOf('mid')), ['child']);
  });

  it('keeps a node source from the delta and ignores deltas of other runs', () => {
    const tree = new NodeTree('run-1', []);
    tree.apply({ runId: 'run-1', id: 'a', seq: 0, source: { file: '/w/agent.py', line: 12, column: 5 } });
    assert.deepEqual(tree.get('a')?.source, { file: '/w/agent.py', line: 12, column: 5, function: null });
    assert.deepEqual(tree.apply({ runId: 'run-2', id: 'b', seq: 0 }), { changed: [], childrenChanged: [] });
    assert.equal(tree.get('b'), undefined);
  });
});
