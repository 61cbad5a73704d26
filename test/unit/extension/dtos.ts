import type { NodeSummary, Run } from '../../../protocol/runs';

/** REST DTO builders for the extension's unit tests: valid by default, overridden where it matters. */

export function aRunDto(overrides: Partial<Run> = {}): Run {
  return {
    id: 'run-1',
    workflow: 'triage',
    status: 'ok',
    startedAt: '2026-01-01T12:00:00.000Z',
    endedAt: '2026-01-01T12:00:01.200Z',
    durationMs: 1200,
    error: null,
    command: ['python3', 'triage.py'],
    cwd: '/work',
    git: { repo: null, branch: 'main', commit: 'abc1234', dirty: false },
    labels: [],
    replayOf: null,
    forkedFromNode: null,
    nodeCount: 16,
    tokensIn: 0,
    tokensOut: 0,
    costUsd: 0,
    ...overrides,
  };
}

export function aNode(id: string, overrides: Partial<NodeSummary> = {}): NodeSummary {
  return {
    id,
    runId: 'run-1',
    parentId: null,
    key: `/${id}#0`,
    kind: 'step',
    name: id,
    status: 'ok',
    seq: null,
    startedAt: null,
    endedAt: null,
    durationMs: null,
    error: null,
    tokensIn: null,
    tokensOut: null,
    costUsd: null,
    source: null,
    replayed: false,
    diverged: false,
    placeholder: false,
    ...overrides,
  };
}
