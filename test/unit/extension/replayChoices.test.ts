import * as assert from 'node:assert/strict';
import { compareCandidates, compareOrder, decisionOptions, isDecision } from '../../../extension/replay/replayChoices';
import { aRunDto } from './dtos';

describe('extension replay choices', () => {
  it('reads a decision’s options from its attributes, marking the chosen one', () => {
    const options = decisionOptions({
      attributes: {
        options: [
          { label: 'bug', score: 0.8, rationale: 'stack trace' },
          { label: 'feature' },
          'question',
          { label: 'bug' },
          { nope: 1 },
          '',
        ],
        chosen: 'bug',
      },
      input: null,
      output: null,
    });
    assert.deepEqual(options, [
      { label: 'bug', score: 0.8, rationale: 'stack trace', chosen: true },
      { label: 'feature', score: undefined, rationale: undefined, chosen: false },
      { label: 'question', score: undefined, rationale: undefined, chosen: false },
    ]);
  });

  it('falls back to the payloads (input.options, output.chosen) when attributes lack them', () => {
    const options = decisionOptions({ attributes: null, input: { options: [{ label: 'a' }, { label: 'b' }] }, output: { chosen: 'b' } });
    assert.deepEqual(
      options.map((o) => [o.label, o.chosen]),
      [
        ['a', false],
        ['b', true],
      ],
    );
    assert.deepEqual(decisionOptions({ attributes: { options: 'not a list' }, input: 'x', output: null }), []);
  });

  it('knows decision nodes by kind', () => {
    assert.equal(isDecision({ kind: 'decision' }), true);
    assert.equal(isDecision({ kind: 'step' }), false);
  });

  it('offers the other runs of the same workflow, newest first', () => {
    const run = aRunDto({ id: 'r1', workflow: 'triage' });
    const runs = [
      run,
      aRunDto({ id: 'old', startedAt: '2026-01-01T10:00:00.000Z' }),
      aRunDto({ id: 'other-workflow', workflow: 'greet', startedAt: '2026-01-02T10:00:00.000Z' }),
      aRunDto({ id: 'new', startedAt: '2026-01-01T13:00:00.000Z' }),
    ];
    assert.deepEqual(
      compareCandidates(runs, run).map((r) => r.id),
      ['new', 'old'],
    );
  });

  it('puts the original before its replay, else the older run first', () => {
    const original = aRunDto({ id: 'o', startedAt: '2026-01-01T12:00:00.000Z' });
    const replay = aRunDto({ id: 'r', startedAt: '2026-01-01T13:00:00.000Z', replayOf: 'o' });
    const older = aRunDto({ id: 'x', startedAt: '2026-01-01T11:00:00.000Z' });
    assert.deepEqual(
      compareOrder(replay, original).map((r) => r.id),
      ['o', 'r'],
    );
    assert.deepEqual(
      compareOrder(original, replay).map((r) => r.id),
      ['o', 'r'],
    );
    assert.deepEqual(
      compareOrder(original, older).map((r) => r.id),
      ['x', 'o'],
    );
    // A replay that started earlier than some other run still follows its original.
    const odd = aRunDto({ id: 'q', startedAt: '2026-01-01T09:00:00.000Z', replayOf: 'o' });
    assert.deepEqual(
      compareOrder(odd, original).map((r) => r.id),
      ['o', 'q'],
    );
  });
});
