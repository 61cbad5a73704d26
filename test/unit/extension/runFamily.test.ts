import * as assert from 'node:assert/strict';
import { branchChoices, familyPicks, newestOther } from '../../../extension/replay/runFamily';
import type { RunFamily } from '../../../protocol/replay';
import { aRunDto } from './dtos';

describe('extension run family picks', () => {
  const now = Date.parse('2026-01-01T12:10:00.000Z');
  const at = (minute: number) => `2026-01-01T12:0${minute}:00.000Z`;

  it('lists the family indented by generation, saying what each run is and marking this run', () => {
    const root = aRunDto({ id: 'run-root', startedAt: at(0) });
    const replay = aRunDto({ id: 'run-replay', startedAt: at(1), replayOf: 'run-root', status: 'error' });
    const fork = aRunDto({ id: 'run-fork', startedAt: at(2), replayOf: 'run-replay', forkedFromNode: 'node-7' });
    const family: RunFamily = {
      rootId: root.id,
      runs: [
        { run: root, parentId: null, depth: 0 },
        { run: replay, parentId: root.id, depth: 1 },
        { run: fork, parentId: replay.id, depth: 2 },
      ],
    };
    const picks = familyPicks(family, 'run-replay', now);
    assert.deepEqual(
      picks.map((p) => p.runId),
      ['run-root', 'run-replay', 'run-fork'],
    );
    assert.match(picks[0]?.label ?? '', /^\$\(pass\) original · /);
    assert.match(picks[1]?.label ?? '', /^└ \$\(error\) replay · /);
    assert.match(picks[2]?.label ?? '', /^\u00a0{4}└ \$\(pass\) fork at node-7 · /);
    assert.match(picks[1]?.description ?? '', / · this run$/);
    assert.doesNotMatch(picks[0]?.description ?? '', /this run/);
  });

  it('offers the branches with other runs of the workflow, newest first, with their newest run', () => {
    const onBranch = (id: string, branch: string | null, minute: number) =>
      aRunDto({ id, startedAt: at(minute), git: { repo: null, branch, commit: null, dirty: null } });
    const runs = [
      onBranch('m1', 'main', 1),
      onBranch('f1', 'feature', 2),
      onBranch('m2', 'main', 3),
      onBranch('none', null, 4),
      onBranch('self', 'solo', 5),
      aRunDto({ id: 'nogit', git: undefined }),
    ];
    const choices = branchChoices(runs, { id: 'self' });
    assert.deepEqual(
      choices.map((c) => [c.branch, c.newest.id, c.runs]),
      [
        ['main', 'm2', 2],
        ['feature', 'f1', 1],
      ],
    );
    assert.equal(newestOther(runs.slice(0, 3), { id: 'm2' })?.id, 'f1');
    assert.equal(newestOther([runs[4] as (typeof runs)[number]], { id: 'self' }), undefined);
  });
});
