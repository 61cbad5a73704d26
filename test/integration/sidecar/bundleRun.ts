import * as assert from 'node:assert/strict';

/** Talks to a sidecar: enough of TestSidecar / SidecarProcess for seeding a run. */
export interface SidecarLike {
  send(method: 'POST' | 'PATCH', pathAndQuery: string, body?: unknown): Promise<Response>;
}

/**
 * A run with every field a bundle carries: unicode and nested payloads, a recorded null input, an
 * error with a stack, source, tokens and cost, a decision with options, replayed and diverged
 * nodes, a child of a placeholder (its parent never arrived), git, labels, argv, replayOf and
 * forkedFromNode. Node ids start with `prefix` (ids are unique across runs).
 */
export async function seedRichRun(sidecar: SidecarLike, runId: string, prefix: string): Promise<void> {
  const created = await sidecar.send('POST', '/api/runs', {
    id: runId,
    workflow: 'triage ✓',
    command: ['python3', 'triage.py', '--issue', 'naïve "quoted"'],
    cwd: '/work/agent',
    git: { repo: 'git@example.com:acme/agent.git', branch: 'feature/ünïcode', commit: 'abc123def456', dirty: true },
    labels: ['nightly', 'bundle'],
    startedAt: '2026-01-01T12:00:00.000Z',
    replayOf: 'run-original-elsewhere',
    forkedFromNode: 'node-of-the-original',
  });
  assert.equal(created.status, 201, await created.clone().text());
  const n = (id: string) => `${prefix}${id}`;
  const nodes = [
    {
      id: n('root'),
      kind: 'step',
      name: 'triage',
      key: '/triage#0',
      seq: 0,
      startedAt: '2026-01-01T12:00:00.100Z',
      input: { issue: 'Crash on 日本語 input 🚀', nested: { deep: [1, 2.5, { apiKey: 'sk-secret', ok: true }], empty: {} } },
      source: { file: 'triage.py', line: 12, column: 4, function: 'main' },
    },
    {
      id: n('llm'),
      parentId: n('root'),
      kind: 'llm',
      name: 'classify',
      key: '/triage#0/classify#0',
      seq: 1,
      status: 'ok',
      startedAt: '2026-01-01T12:00:00.200Z',
      endedAt: '2026-01-01T12:00:01.450Z',
      input: [{ role: 'user', content: 'Ünïcödé — "quotes" \\ backslash\nnewline' }],
      output: { label: 'bug', confidence: 0.93, password: 'hunter2' },
      attributes: { model: 'gpt-x', temperature: 0 },
      tokensIn: 120,
      tokensOut: 35,
      costUsd: 0.00123,
      source: { file: 'triage.py', line: 20 },
    },
    {
      id: n('choice'),
      parentId: n('root'),
      kind: 'decision',
      name: 'route',
      key: '/triage#0/route#0',
      seq: 2,
      status: 'ok',
      startedAt: '2026-01-01T12:00:01.500Z',
      endedAt: '2026-01-01T12:00:01.510Z',
      output: { chosen: 'fix' },
      attributes: { options: [{ label: 'fix', score: 0.8, rationale: 'a bug' }, { label: 'close' }], chosen: 'fix' },
      replayed: true,
    },
    {
      id: n('tool'),
      parentId: n('root'),
      kind: 'tool',
      name: 'run_tests',
      key: '/triage#0/run_tests#0',
      seq: 3,
      status: 'error',
      startedAt: '2026-01-01T12:00:01.600Z',
      endedAt: '2026-01-01T12:00:02.000Z',
      input: null,
      error: { message: 'tests failed', type: 'AssertionError', stack: 'AssertionError: tests failed\n    at run (tests.py:3)' },
      diverged: true,
    },
    // Its parent never arrives: the run keeps a placeholder.
    {
      id: n('orphan'),
      parentId: n('ghost'),
      kind: 'log',
      name: 'stdout',
      seq: 4,
      status: 'running',
      startedAt: '2026-01-01T12:00:02.100Z',
    },
  ];
  const ingested = await sidecar.send('POST', `/api/runs/${runId}/nodes`, { nodes });
  assert.equal(ingested.status, 200, await ingested.clone().text());
  const finished = await sidecar.send('PATCH', `/api/runs/${runId}`, {
    status: 'error',
    endedAt: '2026-01-01T12:00:03.000Z',
    error: { message: 'run failed', stack: 'Error: run failed\n    at main (triage.py:30)', apiKey: 'sk-run' },
  });
  assert.equal(finished.status, 200, await finished.clone().text());
}

/** A bundle's lines without the header's exportedAt, for byte comparison. */
export function withoutExportedAt(text: string): string {
  const [header, ...rest] = text.split('\n');
  const parsed = JSON.parse(header as string) as Record<string, unknown>;
  delete parsed.exportedAt;
  return [JSON.stringify(parsed), ...rest].join('\n');
}
