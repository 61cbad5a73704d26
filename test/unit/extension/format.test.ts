import * as assert from 'node:assert/strict';
import {
  errorText,
  formatDuration,
  formatRelativeTime,
  formatStartTime,
  kindIcon,
  nodeDescription,
  nodeIcon,
  nodeLabel,
  runDescription,
  runLabel,
  runStatusIcon,
  sourceText,
} from '../../../extension/views/format';
import { aNode, aRunDto } from './dtos';

describe('extension labels and formatting', () => {
  it('formats durations from milliseconds to hours', () => {
    assert.equal(formatDuration(340), '340 ms');
    assert.equal(formatDuration(1234), '1.2 s');
    assert.equal(formatDuration(42_000), '42 s');
    assert.equal(formatDuration(185_000), '3m 05s');
    assert.equal(formatDuration(2 * 3_600_000 + 4 * 60_000), '2h 04m');
    assert.equal(formatDuration(null), '');
    assert.equal(formatDuration(-5), '');
  });

  it('says how long ago a time was, and "just now" for clock skew', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    assert.equal(formatRelativeTime('2026-01-01T11:59:58Z', now), 'just now');
    assert.equal(formatRelativeTime('2026-01-01T11:59:18Z', now), '42s ago');
    assert.equal(formatRelativeTime('2026-01-01T11:57:00Z', now), '3m ago');
    assert.equal(formatRelativeTime('2026-01-01T07:00:00Z', now), '5h ago');
    assert.equal(formatRelativeTime('2025-12-28T12:00:00Z', now), '4d ago');
    assert.equal(formatRelativeTime('2026-01-01T12:05:00Z', now), 'just now');
    assert.equal(formatRelativeTime('not a date', now), '');
  });

  it('shows a start time with as much date as it needs (local time)', () => {
    const now = new Date(2026, 2, 4, 18, 0, 0).getTime();
    assert.equal(formatStartTime(new Date(2026, 2, 4, 14, 3, 12).toISOString(), now), '14:03:12');
    assert.equal(formatStartTime(new Date(2026, 0, 9, 8, 5, 0).toISOString(), now), 'Jan 9 08:05');
    assert.equal(formatStartTime(new Date(2024, 10, 30, 23, 59, 0).toISOString(), now), '2024-11-30 23:59');
  });

  it('labels a run by time under its workflow group, by workflow and time under a branch', () => {
    const now = new Date(2026, 2, 4, 18, 0, 0).getTime();
    const run = aRunDto({ workflow: 'triage', startedAt: new Date(2026, 2, 4, 14, 3, 12).toISOString() });
    assert.equal(runLabel(run, 'workflow', now), '14:03:12');
    assert.equal(runLabel(run, 'branch', now), 'triage · 14:03:12');
  });

  it('describes a run as status · age · duration · node count', () => {
    const now = Date.parse('2026-01-01T12:03:00Z');
    const run = aRunDto({ status: 'ok', startedAt: '2026-01-01T12:00:00Z', durationMs: 1200 });
    assert.equal(runDescription(run, 16, now), 'ok · 3m ago · 1.2 s · 16 nodes');
    assert.equal(runDescription(run, 1, now), 'ok · 3m ago · 1.2 s · 1 node');
    const running = aRunDto({ status: 'running', startedAt: '2026-01-01T12:02:30Z', durationMs: null, endedAt: null });
    assert.equal(runDescription(running, 0, now), 'running · 30s ago · 30 s · 0 nodes');
  });

  it('labels a node by name, else by the last key segment, else by a short id', () => {
    assert.equal(nodeLabel({ id: 'n1', name: 'plan', key: '/plan#0' }), 'plan');
    assert.equal(nodeLabel({ id: 'n1', name: null, key: '/plan#0/search#2' }), 'search#2');
    assert.equal(nodeLabel({ id: '0123456789abcdef0123', name: null, key: null }), 'cdef0123');
  });

  it('describes a node by what is not obvious from its colour', () => {
    assert.equal(nodeDescription(aNode('a', { status: 'ok', durationMs: 340 })), '340 ms');
    assert.equal(nodeDescription(aNode('a', { status: 'error', durationMs: 1200 })), 'error · 1.2 s');
    assert.equal(nodeDescription(aNode('a', { status: 'running' })), 'running');
    assert.equal(
      nodeDescription(aNode('a', { durationMs: 10, tokensIn: 100, tokensOut: 20, replayed: true })),
      '10 ms · 120 tok · replayed',
    );
  });

  it('picks codicons by kind and colours by status', () => {
    assert.equal(kindIcon('llm'), 'sparkle');
    assert.equal(kindIcon('tool'), 'tools');
    assert.equal(kindIcon('log'), 'output');
    assert.equal(kindIcon('something-new'), 'circle-outline');
    assert.deepEqual(runStatusIcon('ok'), { icon: 'pass', color: 'testing.iconPassed' });
    assert.deepEqual(runStatusIcon('error'), { icon: 'error', color: 'testing.iconFailed' });
    assert.deepEqual(runStatusIcon('running'), { icon: 'loading~spin', color: undefined });
    assert.deepEqual(runStatusIcon('cancelled'), { icon: 'circle-slash', color: 'testing.iconSkipped' });
    assert.deepEqual(nodeIcon({ kind: 'llm', status: 'error', placeholder: false }), { icon: 'sparkle', color: 'testing.iconFailed' });
    assert.deepEqual(nodeIcon({ kind: 'llm', status: 'running', placeholder: false }), { icon: 'loading~spin', color: undefined });
    assert.equal(nodeIcon({ kind: 'llm', status: 'running', placeholder: true }).icon, 'circle-dashed');
  });

  it('prints sources and errors on one line', () => {
    assert.equal(sourceText({ file: '/w/a.py', line: 3, column: 5, function: 'main' }), '/w/a.py:3:5 (main)');
    assert.equal(sourceText({ file: '/w/a.py', line: 3, column: null, function: null }), '/w/a.py:3');
    assert.equal(errorText('boom'), 'boom');
    assert.equal(errorText({ message: 'boom', type: 'ValueError' }), 'ValueError: boom');
    assert.equal(errorText({ code: 7 }), '{"code":7}');
  });
});
