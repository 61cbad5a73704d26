import * as assert from 'node:assert/strict';
import { GraphSession } from '../../../extension/graph/graphSession';
import { RuntrailClient } from '../../../extension/sidecar/runtrailClient';
import type { ToWebview } from '../../../protocol/webviewMessages';
import type { Host } from '../../../webview/host';
import { createVsCodeHost, type VsCodeApi } from '../../../webview/hosts/vscodeHost';
import { startTestSidecar, type TestSidecar } from '../../fixtures/sidecarApp';

/**
 * Replay, compare and opening another run over the graph protocol (issue 8): createVsCodeHost as
 * the webview runs it, GraphSession as the panel runs it, a real in-process sidecar. Replays that
 * actually re-spawn a workflow are covered in the browser (test/e2e/ui/replayFromGraph.test.ts).
 */
function wire(sidecar: TestSidecar, runId: string): { host: Host; session: GraphSession; posted: ToWebview[]; opened: string[] } {
  const target = new EventTarget();
  const client = new RuntrailClient(sidecar.url, sidecar.token);
  const posted: ToWebview[] = [];
  const opened: string[] = [];
  const session = new GraphSession({
    runId,
    api: () => client,
    revealSource: async () => false,
    post: (message) => {
      posted.push(message);
      target.dispatchEvent(Object.assign(new Event('message'), { data: structuredClone(message) }));
    },
    visible: () => true,
    openRun: (id) => opened.push(id),
  });
  let state: unknown;
  const api: VsCodeApi = {
    postMessage: (message) => void session.receive(structuredClone(message)),
    getState: () => state,
    setState: (value) => {
      state = value;
    },
  };
  return { host: createVsCodeHost({ api, target, runId }), session, posted, opened };
}

describe('extension run graph panel: replay and compare', () => {
  let sidecar: TestSidecar;
  const runs: string[] = [];

  before(async () => {
    sidecar = await startTestSidecar();
    for (const chosen of ['a', 'b']) {
      const run = (await (await sidecar.send('POST', '/api/runs', { workflow: 'graph-replay' })).json()) as { id: string };
      runs.push(run.id);
      const nodes = [
        { id: `${run.id}-root`, key: '/plan#0', kind: 'step', name: 'plan', status: 'ok', seq: 0, output: 1 },
        {
          id: `${run.id}-pick`,
          key: '/route#0',
          kind: 'decision',
          name: 'route',
          status: 'ok',
          seq: 1,
          output: chosen,
          attributes: { options: [{ label: 'a' }, { label: 'b' }], chosen },
        },
      ];
      const answer = await sidecar.send('POST', `/api/runs/${run.id}/nodes`, { nodes });
      assert.equal(answer.status, 200, await answer.text());
    }
  });

  after(() => sidecar?.close());

  it('compares two runs through graph/diff', async () => {
    const [a, b] = runs as [string, string];
    const { host } = wire(sidecar, b);
    await host.loadRun(b);
    const diff = await host.diff(a, b);
    assert.equal(diff.a, a);
    assert.equal(diff.b, b);
    assert.equal(diff.firstDivergence?.key, '/route#0');
    assert.equal(diff.firstDivergence?.bNodeId, `${b}-pick`);
    assert.deepEqual(diff.counts, { added: 0, removed: 0, changed: 1, same: 1 });
  });

  it('says why a run cannot be replayed, and rejects bad replay params', async () => {
    const [a] = runs as [string];
    const { host, session, posted } = wire(sidecar, a);
    await host.loadRun(a);
    await assert.rejects(host.replay(a, { untilNodeId: `${a}-pick` }), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'invalid');
      assert.match(error.message, /command|runner/i);
      return true;
    });
    await session.receive({ type: 'request', id: 950, method: 'graph/replay', params: { runId: a, request: { until: 'x' } } });
    const reply = posted.find((m) => m.type === 'error' && m.id === 950);
    assert.ok(reply && reply.type === 'error');
    assert.equal(reply.error.code, 'invalid');
    assert.match(reply.error.message, /Bad params for graph\/replay/);
  });

  it('asks the extension to open another run', async () => {
    const [a, b] = runs as [string, string];
    const { host, opened } = wire(sidecar, a);
    await host.loadRun(a);
    host.openRun(b);
    // Notifications are handled as they arrive; the next request's reply comes after it.
    await host.listRuns();
    assert.deepEqual(opened, [b]);
  });
});
