import * as assert from 'node:assert/strict';
import type { DiffSide, NodeDiff, RunDiff } from '../../../protocol/replay';
import { defaultAgainst, diffSummary, diffView } from '../../../webview/model/diffMode';

const side = (id: string, name: string): DiffSide => ({
  id,
  kind: 'step',
  name,
  status: 'ok',
  seq: 0,
  durationMs: 1,
  replayed: false,
  diverged: false,
});

const entry = (key: string, change: NodeDiff['change'], a: DiffSide | null, b: DiffSide | null, output?: NodeDiff['output']): NodeDiff => ({
  key,
  change,
  a,
  b,
  statusChanged: false,
  outputChanged: output !== undefined,
  errorChanged: false,
  durationDeltaMs: null,
  ...(output === undefined ? {} : { output }),
});

/** b replays a: `fetch` same, `route` changed, `repro` added, `fix` removed. */
const diff: RunDiff = {
  a: 'run_a',
  b: 'run_b',
  firstDivergence: { key: '/route#0', change: 'changed', aNodeId: 'a2', bNodeId: 'b2' },
  counts: { added: 1, removed: 1, changed: 1, same: 1 },
  durationDeltaMs: null,
  nodes: [
    entry('/fetch#0', 'same', side('a1', 'fetch'), side('b1', 'fetch')),
    entry('/route#0', 'changed', side('a2', 'route'), side('b2', 'route'), { a: 'fix-now', b: 'needs-repro' }),
    entry('/repro#0', 'added', null, side('b3', 'repro')),
    entry('/fix#0', 'removed', side('a4', 'fix'), null),
  ],
};

describe('webview diff mode', () => {
  it("colours b's nodes by change and lists a's removed nodes apart", () => {
    const view = diffView(diff);
    assert.equal(view.against, 'run_a');
    assert.deepEqual(
      [...view.changes],
      [
        ['b1', 'same'],
        ['b2', 'changed'],
        ['b3', 'added'],
      ],
    );
    assert.deepEqual(
      view.removed.map((e) => e.key),
      ['/fix#0'],
    );
    assert.deepEqual(view.byNode.get('b2')?.output, { a: 'fix-now', b: 'needs-repro' });
    assert.deepEqual(view.firstDivergence, { key: '/route#0', change: 'changed', nodeId: 'b2' });
  });

  it('summarises counts and the first divergence in one line', () => {
    assert.equal(diffSummary(diffView(diff)), 'vs run_a: 1 added · 1 changed · 1 removed · 1 same — first divergence /route#0 (changed)');
    const same = diffView({ ...diff, firstDivergence: null, counts: { added: 0, removed: 0, changed: 0, same: 4 }, nodes: [] });
    assert.equal(diffSummary(same), 'vs run_a: 0 added · 0 changed · 0 removed · 4 same — no divergence');
    assert.equal(same.firstDivergence, null);
  });

  it('compares with the run this one replays by default', () => {
    assert.equal(defaultAgainst({ replayOf: 'run_a' }), 'run_a');
    assert.equal(defaultAgainst({ replayOf: null }), '');
  });
});
