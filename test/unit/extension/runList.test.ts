import * as assert from 'node:assert/strict';
import { RunList } from '../../../extension/views/runList';
import { aRunDto } from './dtos';

const at = (minute: number) => `2026-01-01T12:${String(minute).padStart(2, '0')}:00.000Z`;

describe('extension RunList (grouping and paging)', () => {
  it('groups runs by workflow, groups sorted by name, runs newest first', () => {
    const list = new RunList('workflow');
    list.addPage({
      runs: [
        aRunDto({ id: 'r3', workflow: 'triage', startedAt: at(3) }),
        aRunDto({ id: 'r2', workflow: 'index', startedAt: at(2) }),
        aRunDto({ id: 'r1', workflow: 'triage', startedAt: at(1) }),
      ],
      nextCursor: null,
    });
    assert.deepEqual(
      list.groups().map((group) => group.label),
      ['index', 'triage'],
    );
    assert.deepEqual(
      list.runsIn('workflow:triage').map((run) => run.id),
      ['r3', 'r1'],
    );
    assert.deepEqual(list.group('workflow:triage')?.filter, { workflow: 'triage' });
    assert.equal(list.moreOf('workflow:triage'), undefined, 'everything is here');
  });

  it('groups by branch, runs without one last under "(no branch)"', () => {
    const list = new RunList('branch');
    list.addPage({
      runs: [
        aRunDto({ id: 'a', git: { repo: null, branch: null, commit: null, dirty: null } }),
        aRunDto({ id: 'b', git: { repo: null, branch: 'main', commit: null, dirty: null } }),
        aRunDto({ id: 'c', git: { repo: null, branch: 'feature/x', commit: null, dirty: null } }),
      ],
      nextCursor: null,
    });
    assert.deepEqual(
      list.groups().map((group) => group.label),
      ['feature/x', 'main', '(no branch)'],
    );
    assert.equal(list.group('branch:')?.filter, undefined, 'no list filter selects runs without a branch');
  });

  it('pages a group on its own once discovery has more, and the whole list for the no-branch group', () => {
    const list = new RunList('branch');
    list.addPage({
      runs: [
        aRunDto({ id: 'a', startedAt: at(5) }),
        aRunDto({ id: 'n', startedAt: at(4), git: { repo: null, branch: null, commit: null, dirty: null } }),
      ],
      nextCursor: 'page2',
    });
    assert.equal(list.needsFirstGroupPage('branch:main'), true);
    assert.deepEqual(list.moreOf('branch:main'), { kind: 'group', cursor: undefined });
    assert.deepEqual(list.moreOf('branch:'), { kind: 'all' });
    list.addGroupPage('branch:main', {
      runs: [aRunDto({ id: 'a', startedAt: at(5) }), aRunDto({ id: 'b', startedAt: at(3) })],
      nextCursor: 'main2',
    });
    assert.equal(list.needsFirstGroupPage('branch:main'), false);
    assert.deepEqual(list.moreOf('branch:main'), { kind: 'group', cursor: 'main2' });
    assert.deepEqual(
      list.runsIn('branch:main').map((run) => run.id),
      ['a', 'b'],
      'pages overlap without duplicates',
    );
    list.addGroupPage('branch:main', { runs: [aRunDto({ id: 'c', startedAt: at(1) })], nextCursor: null });
    assert.equal(list.moreOf('branch:main'), undefined);
  });

  it('applies live run events: new run, new group, update, delete', () => {
    const list = new RunList('workflow');
    list.addPage({ runs: [aRunDto({ id: 'r1', workflow: 'triage', status: 'ok' })], nextCursor: null });
    assert.deepEqual(list.upsert(aRunDto({ id: 'r2', workflow: 'triage', status: 'running', startedAt: at(9) })), {
      groupKey: 'workflow:triage',
      groupAdded: false,
      runAdded: true,
    });
    assert.deepEqual(list.upsert(aRunDto({ id: 'r2', workflow: 'triage', status: 'ok', startedAt: at(9) })), {
      groupKey: 'workflow:triage',
      groupAdded: false,
      runAdded: false,
    });
    assert.equal(list.get('r2')?.status, 'ok');
    assert.equal(list.upsert(aRunDto({ id: 'r3', workflow: 'index' })).groupAdded, true);
    assert.deepEqual(list.remove('r3'), { groupKey: 'workflow:index', groupRemoved: true });
    assert.deepEqual(list.remove('r1'), { groupKey: 'workflow:triage', groupRemoved: false });
    assert.equal(list.remove('nope'), undefined);
    assert.equal(list.size, 1);
  });

  it('counts nodes of a running run as their first records arrive, once each', () => {
    const list = new RunList('workflow');
    list.addPage({ runs: [aRunDto({ id: 'r1', status: 'running', nodeCount: 2 })], nextCursor: null });
    assert.equal(list.noteNode({ runId: 'r1', id: 'n1', seq: 2, kind: 'step' }), true);
    assert.equal(list.noteNode({ runId: 'r1', id: 'n1', seq: 2 }), false, 'the same node again');
    assert.equal(list.noteNode({ runId: 'r1', id: 'n0', status: 'ok' }), false, 'an end record is no new node');
    assert.equal(list.nodeCount('r1'), 3);
    list.upsert(aRunDto({ id: 'r1', status: 'ok', nodeCount: 5 }));
    assert.equal(list.nodeCount('r1'), 5, 'the finished run carries the real count');
  });
});
