import * as assert from 'node:assert/strict';
import { diffDocumentPath, diffDocumentText, parseDiffDocumentPath } from '../../../extension/replay/diffDocument';
import type { NodeDiff, RunDiff } from '../../../protocol/replay';
import { aRunDto } from './dtos';

const side = (id: string, overrides: Partial<NonNullable<NodeDiff['a']>> = {}): NonNullable<NodeDiff['a']> => ({
  id,
  kind: 'step',
  name: id,
  status: 'ok',
  seq: 0,
  durationMs: 10,
  replayed: false,
  diverged: false,
  ...overrides,
});

const nodeDiff = (key: string, change: NodeDiff['change'], overrides: Partial<NodeDiff> = {}): NodeDiff => ({
  key,
  change,
  a: change === 'added' ? null : side(`a${key}`),
  b: change === 'removed' ? null : side(`b${key}`),
  statusChanged: false,
  outputChanged: false,
  errorChanged: false,
  durationDeltaMs: null,
  ...overrides,
});

const diff: RunDiff = {
  a: 'run-a',
  b: 'run-b',
  firstDivergence: { key: '/plan#0', change: 'changed', aNodeId: 'a/plan#0', bNodeId: 'b/plan#0' },
  counts: { added: 1, removed: 1, changed: 1, same: 1 },
  durationDeltaMs: -1500,
  nodes: [
    nodeDiff('/fetch#0', 'same', { b: side('b/fetch#0', { replayed: true }) }),
    nodeDiff('/plan#0', 'changed', {
      statusChanged: true,
      outputChanged: true,
      a: side('a/plan#0', { kind: 'llm', name: 'plan' }),
      b: side('b/plan#0', { kind: 'llm', name: 'plan', status: 'error' }),
      durationDeltaMs: 340,
      output: { a: { steps: 3 }, b: '```nested fence```' },
    }),
    nodeDiff('/extra#0', 'added', { b: side('b/extra#0', { diverged: true }) }),
    nodeDiff('/gone#0', 'removed'),
  ],
};

describe('extension run comparison documents', () => {
  it('names a comparison by both run ids and reads them back', () => {
    const path = diffDocumentPath('run/a', 'run b');
    assert.equal(path, '/diff/run%2Fa/run%20b.md');
    assert.deepEqual(parseDiffDocumentPath(path), { a: 'run/a', b: 'run b' });
    assert.equal(parseDiffDocumentPath('/node/x.json'), undefined);
    assert.equal(parseDiffDocumentPath('/diff/%E0%A4%A/b.md'), undefined);
  });

  it('summarises counts and the first divergence, and lists every node marked like runtrail diff', () => {
    const text = diffDocumentText(diff, {
      a: aRunDto({ id: 'run-a' }),
      b: aRunDto({ id: 'run-b', replayOf: 'run-a', forkedFromNode: 'a/plan#0', status: 'error', error: { message: 'boom' } }),
    });
    const lines = text.split('\n');
    assert.equal(lines[0], '# Runtrail: run run-a → run-b');
    assert.ok(lines.includes('- **a**: `run-a` · triage · ok · started 2026-01-01T12:00:00.000Z · 1.2 s'), text);
    assert.ok(lines.includes('- **b**: `run-b` · triage · error · started 2026-01-01T12:00:00.000Z · 1.2 s · error: boom'), text);
    assert.ok(lines.includes('- b is a fork (at node a/plan#0) of a'), text);
    assert.ok(lines.includes('**1 added, 1 removed, 1 changed, 1 same** · run duration -1.5 s'), text);
    assert.ok(lines.includes('First divergence: `/plan#0` (changed).'), text);
    const block = lines.slice(lines.indexOf('```diff') + 1, lines.indexOf('```', lines.indexOf('```diff')));
    assert.deepEqual(block, [
      '   /fetch#0  step b/fetch#0  (replayed)',
      '~▶ /plan#0  llm plan  (status ok → error, output changed, +340 ms)',
      '+  /extra#0  step b/extra#0  (diverged)',
      '-  /gone#0  step a/gone#0',
    ]);
  });

  it('shows changed outputs as JSON, fenced so a payload cannot close the fence', () => {
    const text = diffDocumentText(diff);
    assert.match(text, /## Changed outputs\n\n### `\/plan#0`\n\na:\n\n```json\n\{\n {2}"steps": 3\n\}\n```/);
    assert.match(text, /b:\n\n````json\n"```nested fence```"\n````/);
    assert.ok(text.includes('- **a**: `run-a`\n'), 'without the runs, only their ids');
  });

  it('says when the runs match or have nothing keyed', () => {
    const same: RunDiff = {
      ...diff,
      firstDivergence: null,
      counts: { added: 0, removed: 0, changed: 0, same: 0 },
      durationDeltaMs: null,
      nodes: [],
    };
    const text = diffDocumentText(same);
    assert.ok(text.includes('The runs match.'));
    assert.ok(text.includes('**0 added, 0 removed, 0 changed, 0 same**\n'));
    assert.ok(text.includes('Neither run has keyed nodes'));
  });
});
