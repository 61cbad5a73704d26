import * as assert from 'node:assert/strict';
import { familyTree } from '../../../sidecar/runs/runFamily';
import { aRun } from '../../fixtures/builders';

describe('familyTree', () => {
  const t = Date.UTC(2026, 0, 1);
  const shape = (runId: string, rows: Parameters<typeof familyTree>[1]) => {
    const family = familyTree(runId, rows);
    return { rootId: family.rootId, runs: family.runs.map((m) => [m.run.id, m.parentId, m.depth]) };
  };

  it('puts parents before children and siblings oldest first, whatever the input order', () => {
    const rows = [
      aRun({ id: 'a1', replayOf: 'a', startedAt: t + 3 }),
      aRun({ id: 'a', replayOf: 'root', startedAt: t + 2 }),
      aRun({ id: 'b', replayOf: 'root', startedAt: t + 1 }),
      aRun({ id: 'root', startedAt: t }),
    ];
    assert.deepEqual(shape('a1', rows), {
      rootId: 'root',
      runs: [
        ['root', null, 0],
        ['b', 'root', 1],
        ['a', 'root', 1],
        ['a1', 'a', 2],
      ],
    });
  });

  it('roots at a run whose original is missing, and stops climbing a cycle where it closes', () => {
    assert.deepEqual(shape('x', [aRun({ id: 'x', replayOf: 'gone' })]).runs, [['x', null, 0]]);
    const cycle = [aRun({ id: 'c1', replayOf: 'c2' }), aRun({ id: 'c2', replayOf: 'c1' }), aRun({ id: 'c3', replayOf: 'c2' })];
    const family = shape('c3', cycle);
    assert.equal(family.runs.length, 3);
    assert.deepEqual(family.runs[0], [family.rootId, null, 0]);
  });
});
