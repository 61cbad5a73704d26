import * as assert from 'node:assert/strict';
import { canonical, diffRuns } from '../../../sidecar/runs/runDiff';
import type { NodeRow } from '../../../sidecar/store/runStore';

function aNode(runId: string, key: string, seq: number, overrides: Partial<NodeRow> = {}): NodeRow {
  return {
    id: `${runId}:${key}`,
    runId,
    parentId: null,
    key,
    kind: 'step',
    name: key,
    status: 'ok',
    seq,
    startedAt: null,
    endedAt: null,
    durationMs: 100,
    input: null,
    output: null,
    error: null,
    attributes: null,
    tokensIn: null,
    tokensOut: null,
    costUsd: null,
    file: null,
    line: null,
    column: null,
    function: null,
    replayed: false,
    diverged: false,
    placeholder: false,
    ...overrides,
  };
}

const runA = { id: 'a', durationMs: 1_000 };
const runB = { id: 'b', durationMs: 1_250 };

describe('Run diff', () => {
  it('finds nothing between runs with the same keys, statuses and outputs', () => {
    const a = [aNode('a', '/plan#0', 0, { output: '{"x":1,"y":[1,2]}' }), aNode('a', '/plan#0/search#0', 1)];
    const b = [
      aNode('b', '/plan#0', 0, { output: '{"y":[1,2],"x":1}', durationMs: 40, replayed: true }),
      aNode('b', '/plan#0/search#0', 1, { durationMs: 130 }),
    ];
    const diff = diffRuns(runA, runB, a, b);
    assert.equal(diff.firstDivergence, null);
    assert.deepEqual(diff.counts, { added: 0, removed: 0, changed: 0, same: 2 });
    assert.equal(diff.durationDeltaMs, 250);
    assert.deepEqual(
      diff.nodes.map((n) => [n.key, n.change, n.durationDeltaMs, n.a?.id, n.b?.id, n.b?.replayed]),
      [
        ['/plan#0', 'same', -60, 'a:/plan#0', 'b:/plan#0', true],
        ['/plan#0/search#0', 'same', 30, 'a:/plan#0/search#0', 'b:/plan#0/search#0', false],
      ],
    );
    assert.equal(diff.nodes[0]?.output, undefined, 'outputs only travel when they differ');
  });

  it('reports added, removed, status, output and error changes, and the first divergence in b order', () => {
    const a = [
      aNode('a', '/load#0', 0),
      aNode('a', '/route#0', 1, { kind: 'decision', output: '{"chosen":"cheap"}' }),
      aNode('a', '/route#0/cheap#0', 2),
      aNode('a', '/fetch#0', 3, { status: 'error', error: '{"message":"timeout"}' }),
      aNode('a', '/report#0', 4, { durationMs: null }),
    ];
    const b = [
      aNode('b', '/load#0', 0),
      aNode('b', '/route#0', 1, { kind: 'decision', output: '{"chosen":"thorough"}' }),
      aNode('b', '/route#0/thorough#0', 2, { diverged: true }),
      aNode('b', '/fetch#0', 3, { status: 'error', error: '{"message":"refused"}' }),
      aNode('b', '/report#0', 4, { status: 'running' }),
    ];
    const diff = diffRuns(runA, { id: 'b', durationMs: null }, a, b);
    assert.deepEqual(diff.firstDivergence, { key: '/route#0', change: 'changed', aNodeId: 'a:/route#0', bNodeId: 'b:/route#0' });
    assert.deepEqual(diff.counts, { added: 1, removed: 1, changed: 3, same: 1 });
    assert.equal(diff.durationDeltaMs, null);
    assert.deepEqual(
      diff.nodes.map((n) => [n.key, n.change, n.statusChanged, n.outputChanged, n.errorChanged, n.durationDeltaMs]),
      [
        ['/load#0', 'same', false, false, false, 0],
        ['/route#0', 'changed', false, true, false, 0],
        ['/route#0/thorough#0', 'added', false, false, false, null],
        ['/fetch#0', 'changed', false, false, true, 0],
        ['/report#0', 'changed', true, false, false, null],
        ['/route#0/cheap#0', 'removed', false, false, false, null],
      ],
    );
    assert.deepEqual(diff.nodes[1]?.output, { a: { chosen: 'cheap' }, b: { chosen: 'thorough' } });
    assert.equal(diff.nodes[2]?.a, null);
    assert.equal(diff.nodes[2]?.b?.diverged, true);
    assert.equal(diff.nodes[5]?.b, null);
  });

  it('points at the first removed node when b only lacks nodes', () => {
    const a = [aNode('a', '/one#0', 0), aNode('a', '/two#0', 1), aNode('a', '/three#0', 2)];
    const b = [aNode('b', '/one#0', 0)];
    const diff = diffRuns(runA, runB, a, b);
    assert.deepEqual(diff.firstDivergence, { key: '/two#0', change: 'removed', aNodeId: 'a:/two#0', bNodeId: null });
  });

  it('keeps the first node of a repeated key and ignores keyless rows', () => {
    const a = [aNode('a', '/x#0', 0, { output: '1' }), aNode('a', '/x#0', 1, { id: 'dup', output: '2' }), aNode('a', '', 2, { key: null })];
    const b = [aNode('b', '/x#0', 0, { output: '1' })];
    const diff = diffRuns(runA, runB, a, b);
    assert.deepEqual(diff.counts, { added: 0, removed: 0, changed: 0, same: 1 });
  });

  it('compares JSON values regardless of key order', () => {
    assert.equal(canonical({ b: 1, a: { d: [1, { z: 0, y: 1 }], c: null } }), '{"a":{"c":null,"d":[1,{"y":1,"z":0}]},"b":1}');
    assert.notEqual(canonical([1, 2]), canonical([2, 1]));
  });
});
