import * as assert from 'node:assert/strict';
import { BundleRunSource, bundleReadOnlyMessage } from '../../../extension/bundles/bundleRunSource';
import { GraphSession } from '../../../extension/graph/graphSession';
import { parseBundle } from '../../../protocol/bundle';
import { FlatTree, Node } from '../../../protocol/runs';
import type { ToWebview } from '../../../protocol/webviewMessages';
import { startTestSidecar, type TestSidecar } from '../../fixtures/sidecarApp';
import { seedRichRun } from '../../integration/sidecar/bundleRun';

/**
 * The graph panel's bundle run source: a bundle exported by a real (in-process) sidecar, read back
 * with protocol/bundle.ts, must answer exactly what that sidecar answers for the run, and a
 * GraphSession over it marks the snapshot read-only and refuses replay and compare.
 */
describe('extension bundle run source', function () {
  this.timeout(20_000);
  let sidecar: TestSidecar;
  let source: BundleRunSource;
  const runId = 'unit-bundle-run';

  before(async () => {
    sidecar = await startTestSidecar();
    await seedRichRun(sidecar, runId, 'ub.');
    const text = await (await sidecar.request(`/api/runs/${runId}/export`)).text();
    source = new BundleRunSource(parseBundle(text), 'run.jsonl');
  });
  after(async () => {
    await sidecar?.close();
  });

  it('answers the tree and every node as the sidecar does, placeholders included', async () => {
    const expected = FlatTree.parse(await (await sidecar.request(`/api/runs/${runId}/tree`)).json());
    assert.deepEqual(await source.tree(runId), expected);
    for (const node of expected.nodes) {
      const stored = Node.parse(await (await sidecar.request(`/api/nodes/${node.id}`)).json());
      assert.deepEqual(await source.node(node.id), stored, node.id);
    }
    const detail = await source.getRun(runId);
    assert.deepEqual(detail.counts, {
      total: 5,
      byStatus: { running: 2, ok: 2, error: 1 },
      byKind: { step: 1, llm: 1, decision: 1, tool: 1, log: 1 },
    });
    await assert.rejects(source.node('nope'), /No node nope in the bundle run\.jsonl/);
    await assert.rejects(source.tree('other'), /Run other is not in the bundle/);
  });

  it('drives a read-only graph session: snapshot marked readOnly, replay and compare refused', async () => {
    const posted: ToWebview[] = [];
    const session = new GraphSession({
      runId,
      api: () => source,
      readOnly: () => true,
      revealSource: async () => true,
      post: (message) => posted.push(structuredClone(message)),
      visible: () => true,
    });
    await session.receive({ type: 'notify', method: 'graph/ready', params: {} });
    const snapshot = posted.find((m) => m.type === 'notify' && m.method === 'graph/snapshot') as
      | { params: { readOnly?: boolean; nodes: unknown[] } }
      | undefined;
    assert.equal(snapshot?.params.readOnly, true);
    assert.equal(snapshot?.params.nodes.length, 6);
    await session.receive({ type: 'request', id: 1, method: 'graph/openNode', params: { nodeId: 'ub.llm' } });
    await session.receive({ type: 'request', id: 2, method: 'graph/replay', params: { runId, request: {} } });
    await session.receive({ type: 'request', id: 3, method: 'graph/diff', params: { a: runId, b: runId } });
    await session.receive({ type: 'request', id: 4, method: 'graph/revealSource', params: { nodeId: 'ub.root' } });
    const reply = (id: number) => posted.find((m) => (m.type === 'response' || m.type === 'error') && m.id === id);
    assert.deepEqual((reply(1) as { result: { output: unknown } }).result.output, { label: 'bug', confidence: 0.93, password: 'hunter2' });
    for (const id of [2, 3]) {
      const error = reply(id) as { type: string; error: { message: string } };
      assert.equal(error.type, 'error');
      assert.ok(error.error.message.includes(bundleReadOnlyMessage), error.error.message);
    }
    assert.deepEqual(reply(4), { type: 'response', id: 4, result: true });
  });
});
