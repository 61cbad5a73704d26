import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FlatTree } from '../../../protocol/runs';
import { readJson } from '../../fixtures/sidecarApp';
import { startSidecarProcess } from '../../fixtures/sidecarProcess';

describe('embedded store survives kill -9 during ingest', function () {
  this.timeout(120_000);

  it('keeps every acknowledged node and reopens without manual steps', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runtrail-e2e-kill-'));
    try {
      const first = await startSidecarProcess({ RUNTRAIL_DATA_DIR: dataDir });
      const auth = { authorization: `Bearer ${first.token}`, 'content-type': 'application/json' };
      const created = await fetch(`${first.url}/api/runs`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ id: 'killed-run', workflow: 'crash' }),
      });
      assert.equal(created.status, 201);

      // Eight writers post batches of 20 until the process dies under them.
      const acknowledged = new Set<string>();
      let stop = false;
      let n = 0;
      const writers = Array.from({ length: 8 }, async () => {
        while (!stop) {
          const nodes = Array.from({ length: 20 }, () => {
            const i = n++;
            return { id: `k${i}`, parentId: i >= 20 ? `k${i - 20}` : null, output: { i, text: 'x'.repeat(200) } };
          });
          try {
            const res = await fetch(`${first.url}/api/runs/killed-run/nodes`, {
              method: 'POST',
              headers: auth,
              body: JSON.stringify({ nodes }),
            });
            if (res.status === 200) for (const node of nodes) acknowledged.add(node.id);
          } catch {
            return; // connection refused or reset: the process is gone
          }
        }
      });
      await new Promise((r) => setTimeout(r, 1_500));
      first.child.kill('SIGKILL');
      stop = true;
      await Promise.all(writers);
      await first.exited;
      assert.ok(acknowledged.size >= 100, `only ${acknowledged.size} nodes were acknowledged before the kill`);
      assert.ok(fs.existsSync(path.join(dataDir, 'runtrail.db.pid')), 'the killed process left its pid file behind');

      const second = await startSidecarProcess({ RUNTRAIL_DATA_DIR: dataDir });
      try {
        const tree = await readJson(
          await fetch(`${second.url}/api/runs/killed-run/tree`, { headers: { authorization: `Bearer ${second.token}` } }),
          FlatTree,
        );
        const stored = new Set(tree.nodes.map((node) => node.id));
        const lost = [...acknowledged].filter((id) => !stored.has(id));
        assert.deepEqual(lost.slice(0, 10), [], `${lost.length} of ${acknowledged.size} acknowledged nodes were lost`);
        assert.equal(tree.run.nodeCount, tree.nodes.length, 'run counters match the nodes: no half-written batch');
        // Writes keep working after the restart.
        const more = await fetch(`${second.url}/api/runs/killed-run/nodes`, {
          method: 'POST',
          headers: { authorization: `Bearer ${second.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ nodes: [{ id: 'after-restart' }] }),
        });
        assert.equal(more.status, 200);
      } finally {
        await second.stop();
      }
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
