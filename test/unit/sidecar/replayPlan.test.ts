import * as assert from 'node:assert/strict';
import { DomainError } from '../../../sidecar/errors';
import { forkPointOf, mayReplay, optionLabels, planReplay, recordedNodes } from '../../../sidecar/runs/replayPlan';
import type { NodeRow } from '../../../sidecar/store/runStore';
import { aRun } from '../../fixtures/builders';

function aNode(id: string, overrides: Partial<NodeRow> = {}): NodeRow {
  return {
    id,
    runId: 'run-1',
    parentId: null,
    key: `/${id}#0`,
    kind: 'step',
    name: id,
    status: 'ok',
    seq: 0,
    startedAt: null,
    endedAt: null,
    durationMs: null,
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

function expectDomainError(fn: () => unknown, code: DomainError['code'], message: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof DomainError, String(error));
    assert.equal(error.code, code);
    assert.match(error.message, message);
    return true;
  });
}

describe('Replay plan', () => {
  // plan(0) ─┬─ search(1) ─ fetch(2)
  //          ├─ decide(3) ─ draft(4)        ← fork at draft: plan and decide are its ancestors
  //          └─ review(5)
  const plan = aNode('plan', { seq: 0 });
  const search = aNode('search', { seq: 1, parentId: 'plan' });
  const fetch = aNode('fetch', { seq: 2, parentId: 'search', status: 'error', error: '{"message":"timeout","type":"TimeoutError"}' });
  const decide = aNode('decide', { seq: 3, parentId: 'plan', kind: 'decision' });
  const draft = aNode('draft', { seq: 4, parentId: 'decide' });
  const review = aNode('review', { seq: 5, parentId: 'plan' });
  const atDraft = forkPointOf(draft, [plan, decide, draft]);

  describe('mayReplay', () => {
    it('serves every finished node (ok or error) without a fork point', () => {
      for (const node of [plan, search, fetch, decide, draft, review]) assert.equal(mayReplay(node), true, node.id);
      assert.equal(mayReplay(aNode('x', { status: 'running' })), false);
      assert.equal(mayReplay(aNode('x', { status: 'cancelled' })), false);
    });

    it('with a fork point, serves only earlier nodes that are not its ancestors', () => {
      assert.deepEqual([...atDraft.ancestorIds].sort(), ['decide', 'plan']);
      const verdicts = Object.fromEntries([plan, search, fetch, decide, draft, review].map((node) => [node.id, mayReplay(node, atDraft)]));
      assert.deepEqual(verdicts, { plan: false, search: true, fetch: true, decide: false, draft: false, review: false });
    });

    it('runs nodes live when the order is unknown (no seq)', () => {
      assert.equal(mayReplay(aNode('x', { seq: null }), atDraft), false);
      assert.equal(mayReplay(search, forkPointOf(aNode('y', { seq: null }), [])), false);
      assert.equal(mayReplay(aNode('x', { seq: null })), true, 'without a fork point order does not matter');
    });
  });

  it('lists recorded nodes with parsed payloads and their verdicts, skipping keyless rows', () => {
    const nodes = recordedNodes([plan, { ...search, output: '{"hits":3}' }, fetch, aNode('nokey', { key: null, seq: 9 })], atDraft);
    assert.deepEqual(nodes, [
      { id: 'plan', key: '/plan#0', kind: 'step', status: 'ok', output: null, error: null, replay: false },
      { id: 'search', key: '/search#0', kind: 'step', status: 'ok', output: { hits: 3 }, error: null, replay: true },
      {
        id: 'fetch',
        key: '/fetch#0',
        kind: 'step',
        status: 'error',
        output: null,
        error: { message: 'timeout', type: 'TimeoutError' },
        replay: true,
      },
    ]);
  });

  describe('planReplay', () => {
    const run = aRun({ id: 'run-1', command: JSON.stringify(['node', 'agent.mjs', '--fast']), cwd: '/work/agent' });
    const route = aNode('route', {
      seq: 6,
      kind: 'decision',
      key: '/route#0',
      attributes: JSON.stringify({ options: [{ label: 'cheap', score: 0.2 }, { label: 'thorough' }], chosen: 'cheap' }),
    });
    const keyed = [plan, search, route];

    it('replays the recorded command in the recorded cwd with RUNTRAIL_REPLAY_OF only', () => {
      assert.deepEqual(planReplay(run, {}, keyed), {
        argv: ['node', 'agent.mjs', '--fast'],
        cwd: '/work/agent',
        env: { RUNTRAIL_REPLAY_OF: 'run-1' },
        forkedFromNode: undefined,
      });
    });

    it('forks at the given node', () => {
      const launch = planReplay(run, { untilNode: search }, keyed);
      assert.equal(launch.forkedFromNode, 'search');
      assert.deepEqual(launch.env, { RUNTRAIL_REPLAY_OF: 'run-1', RUNTRAIL_REPLAY_UNTIL: 'search' });
    });

    it('forks at the decision of a single override, and passes overrides as JSON', () => {
      const launch = planReplay(run, { overrides: { '/route#0': 'thorough' } }, keyed);
      assert.equal(launch.forkedFromNode, 'route');
      assert.deepEqual(launch.env, {
        RUNTRAIL_REPLAY_OF: 'run-1',
        RUNTRAIL_REPLAY_UNTIL: 'route',
        RUNTRAIL_OVERRIDES: '{"/route#0":"thorough"}',
      });
      const both = planReplay(run, { untilNode: plan, overrides: { '/route#0': 'cheap' } }, keyed);
      assert.equal(both.forkedFromNode, 'plan', 'an explicit fork point wins');
    });

    it('does not pick a fork point for several overrides', () => {
      const other = aNode('tone', { seq: 7, kind: 'decision', key: '/tone#0', attributes: JSON.stringify({ options: ['dry', 'warm'] }) });
      const launch = planReplay(run, { overrides: { '/route#0': 'thorough', '/tone#0': 'warm' } }, [...keyed, other]);
      assert.equal(launch.forkedFromNode, undefined);
      assert.equal(launch.env.RUNTRAIL_REPLAY_UNTIL, undefined);
      assert.deepEqual(JSON.parse(launch.env.RUNTRAIL_OVERRIDES ?? ''), { '/route#0': 'thorough', '/tone#0': 'warm' });
    });

    it('rejects runs without a recorded argv or cwd (422)', () => {
      for (const command of [null, JSON.stringify('node agent.mjs'), '[]', JSON.stringify([1, 2])]) {
        expectDomainError(
          () => planReplay({ ...run, command }, {}, keyed),
          'unprocessable',
          /cannot be replayed: it has no recorded command/,
        );
      }
      expectDomainError(() => planReplay({ ...run, cwd: null }, {}, keyed), 'unprocessable', /no recorded working directory/);
    });

    it('rejects overrides of unknown keys, non-decisions and unknown labels (400)', () => {
      expectDomainError(() => planReplay(run, { overrides: { '/nope#0': 'a' } }, keyed), 'invalid', /has no node with that key/);
      expectDomainError(
        () => planReplay(run, { overrides: { '/search#0': 'a' } }, keyed),
        'invalid',
        /it is a step node of run run-1, not a decision/,
      );
      expectDomainError(
        () => planReplay(run, { overrides: { '/route#0': 'fancy' } }, keyed),
        'invalid',
        /with "fancy": its options are "cheap", "thorough"/,
      );
      const bare = aNode('bare', { kind: 'decision', key: '/bare#0' });
      expectDomainError(() => planReplay(run, { overrides: { '/bare#0': 'a' } }, [bare]), 'invalid', /recorded no options/);
    });
  });

  it('reads option labels from attributes, tolerating plain strings and junk', () => {
    assert.deepEqual(optionLabels(JSON.stringify({ options: [{ label: 'a' }, 'b', { nolabel: 1 }, 3] })), ['a', 'b']);
    assert.deepEqual(optionLabels(null), []);
    assert.deepEqual(optionLabels('not json'), []);
    assert.deepEqual(optionLabels(JSON.stringify({ options: 'a' })), []);
  });
});
