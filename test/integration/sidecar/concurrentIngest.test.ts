import * as assert from 'node:assert/strict';
import { FlatTree, Run } from '../../../protocol/runs';
import { prng, randomTree, shuffle } from '../../fixtures/randomTree';
import { neo4jService } from '../../fixtures/services/testServices';
import { readJson, startTestSidecar, type TestSidecar } from '../../fixtures/sidecarApp';
import { storeKinds } from '../../fixtures/stores';

const writers = 16;
const size = 10_000;
const batchSize = 25;

for (const kind of storeKinds) {
  describe(`concurrent ingest (${kind} store)`, function () {
    this.timeout(300_000);
    let sidecar: TestSidecar;

    before(async () => {
      const neo4j = kind === 'neo4j' ? await neo4jService() : undefined;
      sidecar = await startTestSidecar(neo4j ? { NEO4J_URI: neo4j.uri } : {});
      for (let i = 0; i < 120 && (await sidecar.request('/api/runs')).status === 503; i++) await new Promise((r) => setTimeout(r, 250));
    });
    after(async () => {
      await sidecar?.close();
    });

    it(`${writers} writers, ${size.toLocaleString('en')} nodes in shuffled order (children before parents), some batches sent twice`, async () => {
      const run = await readJson(await sidecar.send('POST', '/api/runs', { workflow: 'concurrency' }), Run);
      const prefix = `${run.id}.`;
      const tree = randomTree(prefix, size, 42);
      const random = prng(7);
      const records = shuffle(
        tree.map((n) => ({ id: n.id, parentId: n.parentId, seq: n.seq, name: `step ${n.seq}` })),
        random,
      );
      const batches: (typeof records)[] = [];
      for (let i = 0; i < records.length; i += batchSize) batches.push(records.slice(i, i + batchSize));
      // Every tenth batch is retried, as an SDK would after a lost acknowledgement.
      const queue = batches.flatMap((b, i) => (i % 10 === 0 ? [b, b] : [b]));

      let next = 0;
      const failures: string[] = [];
      await Promise.all(
        Array.from({ length: writers }, async () => {
          while (next < queue.length) {
            const batch = queue[next++] as typeof records;
            const res = await sidecar.send('POST', `/api/runs/${run.id}/nodes`, { nodes: batch });
            if (res.status !== 200) failures.push(`${res.status} ${await res.text()}`);
          }
        }),
      );
      assert.deepEqual(failures, []);

      const flat = await readJson(await sidecar.request(`/api/runs/${run.id}/tree`), FlatTree);
      assert.equal(flat.nodes.length, size);
      assert.equal(flat.run.nodeCount, size);
      const expected = new Map(tree.map((n) => [n.id, n.parentId]));
      const wrong = flat.nodes.filter(
        (n) => n.placeholder || expected.get(n.id) !== n.parentId || n.seq !== Number(n.id.slice(prefix.length)),
      );
      assert.deepEqual(wrong.slice(0, 5), [], `${wrong.length} nodes with the wrong parent, seq or still placeholders`);
      assert.deepEqual(
        flat.nodes.map((n) => n.id),
        tree.map((n) => n.id),
        'sibling order = seq order',
      );
    });
  });
}
