import * as assert from 'node:assert/strict';
import type { DomainError } from '../../../sidecar/errors';
import type { IngestOutcome, IngestRecord, NodeRow, RunStore } from '../../../sidecar/store/runStore';
import { aChain, aRecord, aRequest, aRun } from '../../fixtures/builders';
import { openStore, type StoreUnderTest, storeKinds } from '../../fixtures/stores';

/**
 * The RunStore conformance suite: every test runs against the embedded SQLite store and against a
 * real Neo4j. A behaviour belongs here when a user of the REST API could notice it.
 */

function expectOk(outcome: IngestOutcome | undefined): { accepted: number; created: number } {
  assert.ok(outcome, 'no outcome');
  if (!outcome.ok) assert.fail(`ingest rejected: ${outcome.error.code} ${outcome.error.message}`);
  return outcome;
}

function expectRejected(outcome: IngestOutcome | undefined, code: DomainError['code']): DomainError {
  assert.ok(outcome, 'no outcome');
  if (outcome.ok) assert.fail(`expected a ${code} rejection, got ok`);
  assert.equal(outcome.error.code, code, outcome.error.message);
  return outcome.error;
}

async function ingest(store: RunStore, runId: string, records: IngestRecord[], receivedAt?: number) {
  const [outcome] = await store.ingest([aRequest(runId, records, receivedAt)]);
  return outcome;
}

const ids = (rows: readonly Pick<NodeRow, 'id'>[]) => rows.map((r) => r.id);

for (const kind of storeKinds) {
  describe(`RunStore conformance: ${kind}`, function () {
    this.timeout(60_000);
    let sut: StoreUnderTest;
    let store: RunStore;

    before(async () => {
      sut = await openStore(kind);
      store = sut.store;
    });
    after(async () => {
      await sut?.close();
    });
    beforeEach(async () => {
      await sut.reset();
    });

    describe('runs', () => {
      it('creates a run once and returns the stored one for a repeated id', async () => {
        const run = aRun({ labels: ['nightly', 'gpu'] });
        const first = await store.createRun(run);
        assert.equal(first.created, true);
        assert.deepEqual(first.run, run);
        const again = await store.createRun({ ...run, workflow: 'other' });
        assert.equal(again.created, false);
        assert.equal(again.run.workflow, 'triage');
        assert.deepEqual(await store.getRun(run.id), run);
        assert.equal(await store.getRun('missing'), undefined);
      });

      it('updates the given fields only', async () => {
        const run = aRun();
        await store.createRun(run);
        const updated = await store.updateRun(run.id, { status: 'error', endedAt: run.startedAt + 500, durationMs: 500, error: '"boom"' });
        assert.deepEqual(updated, { ...run, status: 'error', endedAt: run.startedAt + 500, durationMs: 500, error: '"boom"' });
        assert.equal(await store.updateRun('missing', { status: 'ok' }), undefined);
      });

      it('lists newest first with filters and a cursor', async () => {
        const t0 = Date.UTC(2026, 0, 1);
        const runs = [
          aRun({ id: 'r1', workflow: 'triage', startedAt: t0 + 1, gitBranch: 'main', labels: ['a'] }),
          aRun({ id: 'r2', workflow: 'triage', startedAt: t0 + 2, status: 'error', gitBranch: 'feature/x' }),
          aRun({ id: 'r3', workflow: 'summarize', startedAt: t0 + 3, labels: ['a', 'b'], command: '["node","Summarize.js"]' }),
          aRun({ id: 'r4', workflow: 'triage', startedAt: t0 + 3, status: 'ok' }),
        ];
        for (const run of runs) await store.createRun(run);
        assert.deepEqual(ids(await store.listRuns({}, 10)), ['r4', 'r3', 'r2', 'r1'], 'startedAt desc, then id desc');
        assert.deepEqual(ids(await store.listRuns({ workflow: 'triage' }, 10)), ['r4', 'r2', 'r1']);
        assert.deepEqual(ids(await store.listRuns({ status: 'error' }, 10)), ['r2']);
        assert.deepEqual(ids(await store.listRuns({ branch: 'feature/x' }, 10)), ['r2']);
        assert.deepEqual(ids(await store.listRuns({ label: 'a' }, 10)), ['r3', 'r1']);
        assert.deepEqual(ids(await store.listRuns({ text: 'SUMMAR' }, 10)), ['r3'], 'case-insensitive, workflow or command');
        assert.deepEqual(ids(await store.listRuns({ text: 'r2' }, 10)), ['r2'], 'matches the id');
        const page1 = await store.listRuns({}, 2);
        assert.deepEqual(ids(page1), ['r4', 'r3']);
        const last = page1[1] as { startedAt: number; id: string };
        assert.deepEqual(ids(await store.listRuns({}, 2, { startedAt: last.startedAt, id: last.id })), ['r2', 'r1']);
      });

      it('deletes a run with all its nodes', async () => {
        const run = aRun();
        await store.createRun(run);
        expectOk(await ingest(store, run.id, [aRecord('d1'), aRecord('d2', { parentId: 'd1' })]));
        assert.equal(await store.deleteRun(run.id), true);
        assert.equal(await store.getRun(run.id), undefined);
        assert.equal(await store.getNode('d1'), undefined);
        assert.equal(await store.getNode('d2'), undefined);
        assert.equal(await store.deleteRun(run.id), false);
        // The ids are free again.
        const next = aRun();
        await store.createRun(next);
        expectOk(await ingest(store, next.id, [aRecord('d1')]));
      });

      it('returns the replay family of a run from any of its members', async () => {
        const runs = [
          aRun({ id: 'f-root' }),
          aRun({ id: 'f-a', replayOf: 'f-root' }),
          aRun({ id: 'f-b', replayOf: 'f-root', forkedFromNode: 'n1' }),
          aRun({ id: 'f-a1', replayOf: 'f-a' }),
          aRun({ id: 'f-other' }),
          aRun({ id: 'f-orphan', replayOf: 'f-deleted' }),
        ];
        for (const run of runs) await store.createRun(run);
        const family = ['f-a', 'f-a1', 'f-b', 'f-root'];
        for (const id of family) {
          const rows = await store.runFamily(id);
          assert.deepEqual(ids(rows ?? []).sort(), family, `from ${id}`);
        }
        assert.deepEqual(
          (await store.runFamily('f-a1'))?.find((r) => r.id === 'f-b'),
          runs[2],
        );
        assert.deepEqual(ids((await store.runFamily('f-other')) ?? []), ['f-other']);
        assert.deepEqual(ids((await store.runFamily('f-orphan')) ?? []), ['f-orphan'], 'a missing original ends the walk up');
        assert.equal(await store.runFamily('missing'), undefined);
      });

      it('ends the family walk when replayOf forms a cycle', async () => {
        await store.createRun(aRun({ id: 'c-1', replayOf: 'c-2' }));
        await store.createRun(aRun({ id: 'c-2', replayOf: 'c-1' }));
        await store.createRun(aRun({ id: 'c-3', replayOf: 'c-2' }));
        assert.deepEqual(ids((await store.runFamily('c-3')) ?? []).sort(), ['c-1', 'c-2', 'c-3']);
      });

      it('is idempotent to initialise again', async () => {
        await store.init();
        await store.init();
      });
    });

    describe('ingest', () => {
      let runId: string;
      const t = Date.UTC(2026, 0, 1, 12);
      beforeEach(async () => {
        runId = (await store.createRun(aRun())).run.id;
      });

      it('creates nodes with every field and keeps the run count', async () => {
        const outcome = expectOk(
          await ingest(store, runId, [
            {
              id: 'n1',
              parentId: null,
              key: '/plan#0',
              kind: 'llm',
              name: 'plan',
              status: 'ok',
              seq: 0,
              startedAt: t,
              endedAt: t + 250,
              input: '{"prompt":"hi"}',
              output: '"hello"',
              attributes: '{"model":"m1"}',
              tokensIn: 10,
              tokensOut: 20,
              costUsd: 0.002,
              source: { file: 'agent.py', line: 12, column: 4, function: 'plan' },
              replayed: true,
            },
          ]),
        );
        assert.deepEqual(outcome, { ok: true, accepted: 1, created: 1 });
        const node = await store.getNode('n1');
        assert.deepEqual(node, {
          id: 'n1',
          runId,
          parentId: null,
          key: '/plan#0',
          kind: 'llm',
          name: 'plan',
          status: 'ok',
          seq: 0,
          startedAt: t,
          endedAt: t + 250,
          durationMs: 250,
          input: '{"prompt":"hi"}',
          output: '"hello"',
          error: null,
          attributes: '{"model":"m1"}',
          tokensIn: 10,
          tokensOut: 20,
          costUsd: 0.002,
          file: 'agent.py',
          line: 12,
          column: 4,
          function: 'plan',
          replayed: true,
          diverged: false,
          placeholder: false,
        } satisfies NodeRow);
        const run = await store.getRun(runId);
        assert.equal(run?.nodeCount, 1);
        assert.equal(run?.tokensIn, 10);
        assert.equal(run?.tokensOut, 20);
        assert.equal(run?.costUsd, 0.002);
      });

      it('upserts: a start record then an end record make one finished node', async () => {
        expectOk(await ingest(store, runId, [aRecord('s1', { status: 'running', startedAt: t, input: '"in"' })]));
        expectOk(await ingest(store, runId, [{ id: 's1', status: 'ok', endedAt: t + 40, output: '"out"', tokensIn: 5 }]));
        const node = await store.getNode('s1');
        assert.equal(node?.status, 'ok');
        assert.equal(node?.input, '"in"');
        assert.equal(node?.output, '"out"');
        assert.equal(node?.durationMs, 40);
        assert.equal(node?.name, 's1');
        assert.equal((await store.getRun(runId))?.nodeCount, 1);
        assert.equal((await store.getRun(runId))?.tokensIn, 5);
      });

      it('never goes backwards: a finished node stays finished and keeps its payloads', async () => {
        expectOk(await ingest(store, runId, [aRecord('b1', { status: 'ok', startedAt: t, endedAt: t + 10, output: '"first"' })]));
        // A late, retried start record arrives after the end.
        expectOk(
          await ingest(store, runId, [aRecord('b1', { status: 'running', startedAt: t + 5, input: '"late input"', output: '"second"' })]),
        );
        const node = await store.getNode('b1');
        assert.equal(node?.status, 'ok');
        assert.equal(node?.startedAt, t);
        assert.equal(node?.endedAt, t + 10);
        assert.equal(node?.output, '"first"', 'payloads are only filled in after the end');
        assert.equal(node?.input, '"late input"');
        expectOk(await ingest(store, runId, [{ id: 'b1', status: 'error', error: '"late"' }]));
        assert.equal((await store.getNode('b1'))?.status, 'ok');
      });

      it('ends a node ok (or error when it carries one) when a record gives only endedAt', async () => {
        expectOk(await ingest(store, runId, [aRecord('e1', { startedAt: t }), aRecord('e2', { startedAt: t })]));
        expectOk(
          await ingest(store, runId, [
            { id: 'e1', endedAt: t + 3 },
            { id: 'e2', endedAt: t + 4, error: '{"message":"x"}' },
          ]),
        );
        assert.equal((await store.getNode('e1'))?.status, 'ok');
        assert.equal((await store.getNode('e2'))?.status, 'error');
      });

      it('creates a placeholder for a parent that arrives after its child, then fills it', async () => {
        const created = expectOk(await ingest(store, runId, [aRecord('child', { parentId: 'parent', seq: 1 })]));
        assert.equal(created.created, 2);
        const placeholder = await store.getNode('parent');
        assert.equal(placeholder?.placeholder, true);
        assert.equal(placeholder?.runId, runId);
        assert.deepEqual(ids((await store.pathToRoot('child')) ?? []), ['parent', 'child']);

        const filled = expectOk(
          await ingest(store, runId, [aRecord('parent', { parentId: null, kind: 'decision', name: 'choose', seq: 0 })]),
        );
        assert.equal(filled.created, 0);
        const parent = await store.getNode('parent');
        assert.equal(parent?.placeholder, false);
        assert.equal(parent?.kind, 'decision');
        assert.equal(parent?.name, 'choose');
        assert.equal((await store.getRun(runId))?.nodeCount, 2);
        assert.deepEqual(ids(await store.children(runId, null, 10)), ['parent']);
        assert.deepEqual(ids(await store.children(runId, 'parent', 10)), ['child']);
      });

      it('is idempotent: the same batch twice changes nothing', async () => {
        const batch = [
          aRecord('i1', { startedAt: t, tokensIn: 7, costUsd: 0.5 }),
          aRecord('i2', { parentId: 'i1', startedAt: t, tokensOut: 3 }),
        ];
        expectOk(await ingest(store, runId, batch));
        const before = { run: await store.getRun(runId), nodes: await store.listRunNodes(runId) };
        const again = expectOk(await ingest(store, runId, batch));
        assert.equal(again.created, 0);
        assert.deepEqual({ run: await store.getRun(runId), nodes: await store.listRunNodes(runId) }, before);
        assert.equal(before.run?.tokensIn, 7);
        assert.equal(before.run?.costUsd, 0.5);
      });

      it('rejects a changed parentId (409) and writes nothing of that request', async () => {
        expectOk(await ingest(store, runId, [aRecord('p1'), aRecord('p2'), aRecord('c1', { parentId: 'p1' })]));
        const error = expectRejected(await ingest(store, runId, [aRecord('new1'), aRecord('c1', { parentId: 'p2' })]), 'conflict');
        assert.match(error.message, /parentId of node c1 is immutable/);
        assert.deepEqual(error.details, {
          records: [{ index: 1, id: 'c1', reason: 'parentId of node c1 is immutable: it was reported under p1, now under p2' }],
        });
        assert.equal(await store.getNode('new1'), undefined, 'all or nothing');
        assert.equal((await store.getNode('c1'))?.parentId, 'p1');
        // Turning a root into a child is a change of parent too.
        expectRejected(await ingest(store, runId, [aRecord('p1', { parentId: 'p2' })]), 'conflict');
      });

      it('rejects a parent in another run (422) and a node id taken by another run (409)', async () => {
        const other = (await store.createRun(aRun())).run.id;
        expectOk(await ingest(store, other, [aRecord('foreign')]));
        const error = expectRejected(await ingest(store, runId, [aRecord('mine', { parentId: 'foreign' })]), 'unprocessable');
        assert.match(error.message, /parent foreign of node mine is in run/);
        expectRejected(await ingest(store, runId, [aRecord('foreign', { name: 'hijack' })]), 'conflict');
        assert.equal((await store.getNode('foreign'))?.name, 'foreign');
        assert.equal(await store.getNode('mine'), undefined);
      });

      it('rejects an edge that would close a cycle (409), in one request or across requests', async () => {
        expectRejected(await ingest(store, runId, [aRecord('self', { parentId: 'self' })]), 'conflict');
        // y under x (x a placeholder), then x under y.
        expectOk(await ingest(store, runId, [aRecord('y', { parentId: 'x' })]));
        const error = expectRejected(await ingest(store, runId, [aRecord('x', { parentId: 'y' })]), 'conflict');
        assert.match(error.message, /would close a cycle/);
        assert.equal((await store.getNode('x'))?.placeholder, true);
        // Through a stored chain: c under b under a (a a placeholder), then a under c.
        expectOk(await ingest(store, runId, [aRecord('c', { parentId: 'b' }), aRecord('b', { parentId: 'a' })]));
        expectRejected(await ingest(store, runId, [aRecord('a', { parentId: 'c' })]), 'conflict');
        // Inside one request.
        expectRejected(await ingest(store, runId, [aRecord('m', { parentId: 'n' }), aRecord('n', { parentId: 'm' })]), 'conflict');
        assert.equal(await store.getNode('m'), undefined);
        // The legal fill still works.
        expectOk(await ingest(store, runId, [aRecord('a', { parentId: null })]));
        assert.deepEqual(ids((await store.pathToRoot('c')) ?? []), ['a', 'b', 'c']);
      });

      it('commits a group where one request fails and the others go through', async () => {
        expectOk(await ingest(store, runId, [aRecord('g0')]));
        const outcomes = await store.ingest([
          aRequest(runId, [aRecord('g1', { parentId: 'g0' })]),
          aRequest(runId, [aRecord('g2'), aRecord('g0', { parentId: 'g1' })]),
          aRequest('no-such-run', [aRecord('g3')]),
          aRequest(runId, [aRecord('g4', { parentId: 'g1' })]),
        ]);
        expectOk(outcomes[0]);
        expectRejected(outcomes[1], 'conflict');
        expectRejected(outcomes[2], 'not_found');
        expectOk(outcomes[3]);
        assert.deepEqual(ids(await store.listRunNodes(runId)).sort(), ['g0', 'g1', 'g4']);
        assert.equal((await store.getRun(runId))?.nodeCount, 3);
      });
    });

    describe('reads', () => {
      let runId: string;
      beforeEach(async () => {
        runId = (await store.createRun(aRun())).run.id;
        // root ─┬─ a ─┬─ a1
        //       │     └─ a2 ─ a2x
        //       └─ b
        expectOk(
          await ingest(store, runId, [
            aRecord('root', { seq: 0, input: '"big payload"' }),
            aRecord('a', { parentId: 'root', seq: 1, kind: 'llm', status: 'ok', endedAt: Date.UTC(2026, 0, 1, 12, 0, 2) }),
            aRecord('b', { parentId: 'root', seq: 2, kind: 'tool', status: 'error', error: '{"message":"timeout"}' }),
            aRecord('a2', { parentId: 'a', seq: 4 }),
            aRecord('a1', { parentId: 'a', seq: 3 }),
            aRecord('a2x', { parentId: 'a2', seq: 5, output: '"needle in output"' }),
          ]),
        );
      });

      it('lists a run in sibling order without payloads', async () => {
        const rows = await store.listRunNodes(runId);
        assert.deepEqual(ids(rows), ['root', 'a', 'b', 'a1', 'a2', 'a2x']);
        assert.equal(rows[0]?.input, null, 'payloads are not loaded');
        assert.equal(rows[2]?.error, '{"message":"timeout"}', 'errors are');
        assert.deepEqual(
          rows.map((r) => r.parentId),
          [null, 'root', 'root', 'a', 'a', 'a2'],
        );
      });

      it('lists the keyed nodes of a run with output, error and attributes, in seq order', async () => {
        const other = (await store.createRun(aRun())).run.id;
        expectOk(
          await ingest(store, runId, [
            aRecord('k-late', { key: '/late#0', seq: 9, status: 'ok', output: '{"n":9}', input: '"not loaded"' }),
            aRecord('k-choice', {
              key: '/root#0/choice#0',
              parentId: 'a2x',
              seq: 7,
              kind: 'decision',
              status: 'ok',
              output: '{"chosen":"b"}',
              attributes: '{"options":[{"label":"a"},{"label":"b"}],"chosen":"b"}',
            }),
            aRecord('k-failed', { key: '/failed#0', seq: 8, status: 'error', error: '{"message":"boom","type":"ValueError"}' }),
            // A child whose parent has not arrived: the placeholder parent has no key.
            aRecord('k-orphan', { key: '/ghost#0/orphan#0', parentId: 'ghost', seq: 10 }),
          ]),
        );
        expectOk(await ingest(store, other, [aRecord('k-other', { key: '/late#0', seq: 0 })]));
        const rows = await store.listKeyedNodes(runId);
        assert.deepEqual(ids(rows), ['k-choice', 'k-failed', 'k-late', 'k-orphan'], 'keyless nodes and other runs left out');
        const [choice, failed, late] = rows;
        assert.equal(choice?.parentId, 'a2x');
        assert.equal(choice?.kind, 'decision');
        assert.equal(choice?.seq, 7);
        assert.deepEqual(JSON.parse(choice?.attributes ?? 'null'), { options: [{ label: 'a' }, { label: 'b' }], chosen: 'b' });
        assert.deepEqual(JSON.parse(choice?.output ?? 'null'), { chosen: 'b' });
        assert.equal(failed?.status, 'error');
        assert.deepEqual(JSON.parse(failed?.error ?? 'null'), { message: 'boom', type: 'ValueError' });
        assert.deepEqual(JSON.parse(late?.output ?? 'null'), { n: 9 });
        assert.equal(late?.input, null, 'inputs are not loaded');
        assert.deepEqual(await store.listKeyedNodes('missing'), []);
      });

      it('pages the real nodes of a run with every payload, in seq order (bundle export)', async () => {
        expectOk(
          await ingest(store, runId, [
            aRecord('p-orphan', { parentId: 'p-ghost', seq: 6, attributes: '{"k":[1,{"deep":"ü"}]}', input: 'null' }),
          ]),
        );
        const first = await store.listNodesWithPayloads(runId, 4);
        assert.deepEqual(ids(first), ['root', 'a', 'b', 'a1'], 'placeholders are left out');
        assert.equal(first[0]?.input, '"big payload"');
        assert.equal(first[2]?.error, '{"message":"timeout"}');
        const last = first[3] as NodeRow;
        const rest = await store.listNodesWithPayloads(runId, 4, { seq: last.seq as number, id: last.id });
        assert.deepEqual(ids(rest), ['a2', 'a2x', 'p-orphan']);
        assert.equal(rest[1]?.output, '"needle in output"');
        assert.equal(rest[2]?.input, 'null', 'a recorded null is not an absent input');
        assert.equal(rest[2]?.attributes, '{"k":[1,{"deep":"ü"}]}');
        assert.equal(rest[2]?.parentId, 'p-ghost');
        assert.deepEqual(await store.listNodesWithPayloads('missing', 10), []);
      });

      it('returns the path from the root to a node', async () => {
        assert.deepEqual(ids((await store.pathToRoot('a2x')) ?? []), ['root', 'a', 'a2', 'a2x']);
        assert.deepEqual(ids((await store.pathToRoot('root')) ?? []), ['root']);
        assert.equal(await store.pathToRoot('missing'), undefined);
      });

      it('returns a depth-bounded subtree and says when it is truncated', async () => {
        const whole = await store.subtree('a', 10, 100);
        assert.deepEqual(
          whole?.rows.map((r) => [r.id, r.depth]),
          [
            ['a', 0],
            ['a1', 1],
            ['a2', 1],
            ['a2x', 2],
          ],
        );
        assert.equal(whole?.truncated, false);
        const shallow = await store.subtree('root', 1, 100);
        assert.deepEqual(ids(shallow?.rows ?? []), ['root', 'a', 'b']);
        assert.equal(shallow?.truncated, true);
        const limited = await store.subtree('root', 10, 3);
        assert.equal(limited?.rows.length, 3);
        assert.equal(limited?.truncated, true);
        assert.equal(await store.subtree('missing', 1, 10), undefined);
      });

      it('pages children in sibling order with a cursor', async () => {
        const first = await store.children(runId, 'a', 1);
        assert.deepEqual(ids(first), ['a1']);
        const cursor = { seq: first[0]?.seq ?? 0, id: first[0]?.id ?? '' };
        assert.deepEqual(ids(await store.children(runId, 'a', 10, cursor)), ['a2']);
        assert.deepEqual(ids(await store.children(runId, null, 10)), ['root']);
        assert.deepEqual(ids(await store.children(runId, 'a2x', 10)), []);
      });

      it('counts nodes by status and kind', async () => {
        expectOk(await ingest(store, runId, [aRecord('late', { parentId: 'ghost' })]));
        const counts = await store.countNodes(runId);
        assert.deepEqual(counts.byStatus, { running: 5, ok: 1, error: 1 });
        assert.deepEqual(counts.byKind, { step: 5, llm: 1, tool: 1 });
      });

      it('searches nodes by text, kind, status, workflow and run', async () => {
        assert.deepEqual(ids(await store.searchNodes({ text: 'NEEDLE' }, 10)), ['a2x'], 'payload text, case-insensitive');
        assert.deepEqual(ids(await store.searchNodes({ text: 'timeout' }, 10)), ['b'], 'error text');
        assert.deepEqual(ids(await store.searchNodes({ kind: 'llm' }, 10)), ['a']);
        assert.deepEqual(ids(await store.searchNodes({ status: 'error', runId }, 10)), ['b']);
        const hits = await store.searchNodes({ workflow: 'triage', text: 'a2' }, 10);
        assert.deepEqual(ids(hits).sort(), ['a2', 'a2x']);
        assert.equal(hits[0]?.workflow, 'triage');
        assert.deepEqual(ids(await store.searchNodes({ workflow: 'nope' }, 10)), []);
        const page1 = await store.searchNodes({ runId }, 4);
        const last = page1[3] as NodeRow;
        const page2 = await store.searchNodes({ runId }, 4, { startedAt: last.startedAt ?? 0, id: last.id });
        assert.deepEqual([...ids(page1), ...ids(page2)].sort(), ['a', 'a1', 'a2', 'a2x', 'b', 'root']);
      });

      it('handles a run 1,000 levels deep', async () => {
        // deep1…deep999 arrive first; deep0, their root, is a placeholder until its record comes.
        expectOk(await ingest(store, runId, aChain('deep', 1000).slice(1)));
        const path = (await store.pathToRoot('deep999')) ?? [];
        assert.equal(path.length, 1000);
        assert.equal(path[0]?.id, 'deep0');
        // A cycle check that has to walk the whole stored chain.
        const error = expectRejected(await ingest(store, runId, [aRecord('deep0', { parentId: 'deep999' })]), 'conflict');
        assert.match(error.message, /would close a cycle/);
        expectOk(await ingest(store, runId, [aRecord('deep0', { parentId: null, seq: 0 })]));
        const sub = await store.subtree('deep0', 1000, 10_000);
        assert.equal(sub?.rows.length, 1000);
        assert.equal(sub?.rows.at(-1)?.id, 'deep999');
        assert.equal(sub?.rows.at(-1)?.depth, 999);
        assert.equal(sub?.truncated, false);
      });

      it('pages a wide parent', async () => {
        const wide = Array.from({ length: 2000 }, (_, i) => aRecord(`w${i}`, { parentId: 'root', seq: 10 + i }));
        expectOk(await ingest(store, runId, wide));
        let cursor: { seq: number; id: string } | undefined;
        const seen: string[] = [];
        for (;;) {
          const page = await store.children(runId, 'root', 500, cursor);
          if (page.length === 0) break;
          seen.push(...ids(page));
          const last = page.at(-1) as NodeRow;
          cursor = { seq: last.seq ?? 0, id: last.id };
        }
        assert.equal(seen.length, 2002);
        assert.deepEqual(seen.slice(0, 3), ['a', 'b', 'w0']);
        assert.equal(seen.at(-1), 'w1999');
      });
    });

    describe('stats', () => {
      it('aggregates runs per workflow', async () => {
        const t0 = Date.UTC(2026, 0, 1);
        const durations = [100, 200, 300, 400];
        for (const [i, d] of durations.entries()) {
          await store.createRun(
            aRun({
              id: `s${i}`,
              workflow: 'triage',
              startedAt: t0 + i,
              status: i === 3 ? 'error' : 'ok',
              endedAt: t0 + i + d,
              durationMs: d,
            }),
          );
        }
        await store.createRun(aRun({ id: 'sx', workflow: 'other', startedAt: t0 + 10 }));
        expectOk(await ingest(store, 's0', [aRecord('tok1', { tokensIn: 100, tokensOut: 50, costUsd: 0.25 })]));
        expectOk(await ingest(store, 's1', [aRecord('tok2', { tokensIn: 1, tokensOut: 2, costUsd: 0.5 })]));

        const stats = await store.stats({});
        const triage = stats.find((s) => s.workflow === 'triage');
        assert.deepEqual(triage, {
          workflow: 'triage',
          runs: 4,
          byStatus: { ok: 3, error: 1 },
          p50DurationMs: 250,
          p95DurationMs: 385,
          tokensIn: 101,
          tokensOut: 52,
          costUsd: 0.75,
          lastRunAt: t0 + 3,
        });
        const other = stats.find((s) => s.workflow === 'other');
        assert.equal(other?.runs, 1);
        assert.equal(other?.p50DurationMs, null, 'unfinished runs have no duration');
        assert.deepEqual(
          (await store.stats({ workflow: 'other' })).map((s) => s.workflow),
          ['other'],
        );
        assert.equal((await store.stats({ since: t0 + 2, until: t0 + 4 })).find((s) => s.workflow === 'triage')?.runs, 2);
      });
    });
  });
}
