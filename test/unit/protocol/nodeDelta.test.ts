import * as assert from 'node:assert/strict';
import { applyNodeDelta, emptyNodeSummary, type NodeDelta } from '../../../protocol/nodeDelta';
import type { NodeSummary } from '../../../protocol/runs';

/** The client side of live node updates: the store's never-backwards rules (ingestPlanner.mergeRecord). */
describe('applyNodeDelta', () => {
  const delta = (fields: Record<string, unknown>): NodeDelta => ({ runId: 'r', id: 'n', ...fields });
  const apply = (...deltas: Record<string, unknown>[]) =>
    deltas.reduce<NodeSummary | undefined>((node, fields) => applyNodeDelta(node, delta(fields)), undefined) as NodeSummary;

  it('makes a node from its first delta, with defaults for what it did not carry', () => {
    assert.deepEqual(apply({ kind: 'llm', name: 'plan', seq: 3, startedAt: '2026-01-01T00:00:00.000Z' }), {
      ...emptyNodeSummary('r', 'n'),
      kind: 'llm',
      name: 'plan',
      seq: 3,
      startedAt: '2026-01-01T00:00:00.000Z',
    });
  });

  it('keeps the first parentId, seq and startedAt, and takes the latest key, kind and name', () => {
    const node = apply(
      { parentId: 'p1', seq: 1, startedAt: '2026-01-01T00:00:00.000Z', name: 'a', kind: 'step', key: '/a#0' },
      { parentId: 'p2', seq: 2, startedAt: '2026-01-01T00:00:09.000Z', name: 'b', kind: 'tool', key: '/b#0' },
    );
    assert.deepEqual(
      [node.parentId, node.seq, node.startedAt, node.name, node.kind, node.key],
      ['p1', 1, '2026-01-01T00:00:00.000Z', 'b', 'tool', '/b#0'],
    );
  });

  it('keeps a finished node finished: status, endedAt, error, tokens and source stay', () => {
    const node = apply(
      {
        status: 'ok',
        startedAt: '2026-01-01T00:00:00.000Z',
        endedAt: '2026-01-01T00:00:01.500Z',
        tokensIn: 5,
        source: { file: 'a.ts', line: 3 },
      },
      { status: 'running', endedAt: '2026-01-01T00:00:09.000Z', error: 'late', tokensIn: 9, source: { file: 'b.ts', line: 1 } },
    );
    assert.equal(node.status, 'ok');
    assert.equal(node.endedAt, '2026-01-01T00:00:01.500Z');
    assert.equal(node.durationMs, 1500);
    assert.equal(node.error, 'late', 'an error not recorded before is filled in, as the store does');
    assert.equal(node.tokensIn, 5);
    assert.deepEqual(node.source, { file: 'a.ts', line: 3, column: null, function: null });
  });

  it('ends a node that gets an endedAt without a status: ok, or error when the record carries one', () => {
    assert.equal(apply({ endedAt: '2026-01-01T00:00:01.000Z' }).status, 'ok');
    assert.equal(apply({ endedAt: '2026-01-01T00:00:01.000Z', error: { message: 'x' } }).status, 'error');
  });

  it('turns replayed and diverged on, never off', () => {
    const node = apply({ replayed: true, diverged: true }, { replayed: false, diverged: false });
    assert.deepEqual([node.replayed, node.diverged], [true, true]);
  });

  it('turns a placeholder into a real node once a record of its own arrives', () => {
    const parent = emptyNodeSummary('r', 'n', true);
    assert.equal(applyNodeDelta(parent, delta({})).placeholder, true, 'id and runId alone are no record');
    const real = applyNodeDelta(parent, delta({ name: 'parent', status: 'ok' }));
    assert.equal(real.placeholder, false);
    assert.equal(real.status, 'ok');
  });

  it('ignores fields of the wrong type', () => {
    const node = apply({ seq: 'x', tokensIn: Number.NaN, status: 'done', source: { file: 3 }, parentId: 7 });
    assert.deepEqual(node, emptyNodeSummary('r', 'n'));
  });
});
