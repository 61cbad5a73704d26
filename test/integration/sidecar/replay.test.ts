import * as assert from 'node:assert/strict';
import { RecordedResponse, RunDiff, RunFamily } from '../../../protocol/replay';
import { Run } from '../../../protocol/runs';
import { neo4jService } from '../../fixtures/services/testServices';
import { readJson } from '../../fixtures/sidecarApp';
import { storeKinds } from '../../fixtures/stores';
import { expectError, RunnerHarness, scripted } from '../runner/runnerHarness';

/**
 * Replay and fork over HTTP, on both stores: the recording an SDK fetches (with and without a
 * fork point), and replays of runner-started runs, checked through what the replayed workflow
 * saw in its environment.
 */

interface Handover {
  env: Record<string, string>;
  argv: string[];
  cwd: string;
}

for (const kind of storeKinds) {
  describe(`Replay API (${kind} store)`, function () {
    this.timeout(60_000);
    let runner: RunnerHarness;
    let seq = 0;
    const fresh = (prefix: string) => `${prefix}-${kind}-${Date.now().toString(36)}-${seq++}`;

    before(async () => {
      const env: Record<string, string> = {};
      if (kind === 'neo4j') {
        const neo4j = await neo4jService();
        Object.assign(env, { NEO4J_URI: neo4j.uri, NEO4J_USER: neo4j.user, NEO4J_PASSWORD: neo4j.password });
      }
      runner = await RunnerHarness.start(env);
      // Neo4j sets its schema up in the background; wait until data routes answer.
      for (let i = 0; i < 120 && (await runner.sidecar.request('/api/runs')).status === 503; i++) {
        await new Promise((r) => setTimeout(r, 250));
      }
    });
    after(async () => {
      await runner?.stop();
    });

    async function createRun(body: Record<string, unknown> = {}): Promise<Run> {
      const res = await runner.sidecar.send('POST', '/api/runs', { workflow: 'agent', ...body });
      assert.equal(res.status, 201, await res.clone().text());
      return readJson(res, Run);
    }

    async function ingest(runId: string, nodes: Record<string, unknown>[]): Promise<void> {
      const res = await runner.sidecar.send('POST', `/api/runs/${runId}/nodes`, { nodes });
      assert.equal(res.status, 200, await res.clone().text());
    }

    async function recorded(runId: string, until?: string): Promise<RecordedResponse> {
      const res = await runner.sidecar.request(`/api/runs/${runId}/recorded${until === undefined ? '' : `?until=${until}`}`);
      assert.equal(res.status, 200, await res.clone().text());
      return readJson(res, RecordedResponse);
    }

    const replay = (runId: string, body?: unknown) => runner.sidecar.send('POST', `/api/runs/${runId}/replay`, body);

    async function replayed(runId: string, body?: unknown): Promise<Run> {
      const res = await replay(runId, body);
      assert.equal(res.status, 201, await res.clone().text());
      assert.match(res.headers.get('location') ?? '', /^\/api\/runs\//);
      return readJson(res, Run);
    }

    /** What the fixture workflow's `env` action printed: the environment, argv and cwd it got. */
    async function handover(runId: string): Promise<Handover> {
      await runner.finished(runId);
      const lines = (await runner.logNodes(runId)).map((node) => (node.output as { line: string }).line);
      const json = lines.find((line) => line.startsWith('{'));
      assert.ok(json, `no env line in ${JSON.stringify(lines)}`);
      return JSON.parse(json) as Handover;
    }

    describe('GET /api/runs/:runId/recorded', () => {
      // plan(0) ─┬─ search(1) ─ fetch(2, error)
      //          ├─ route(3, decision) ─ draft(4)
      //          └─ review(5, still running)        and a log line without a key
      let runId: string;
      const id = (name: string) => `${runId}-${name}`;
      before(async () => {
        runId = (await createRun({ id: fresh('rec') })).id;
        await ingest(runId, [
          { id: id('plan'), key: '/plan#0', seq: 0, status: 'ok', output: { steps: 3 } },
          { id: id('search'), parentId: id('plan'), key: '/plan#0/search#0', seq: 1, kind: 'tool', status: 'ok', output: ['a', 'b'] },
          {
            id: id('fetch'),
            parentId: id('search'),
            key: '/plan#0/search#0/fetch#0',
            seq: 2,
            status: 'error',
            error: { message: 'timed out', type: 'TimeoutError' },
          },
          {
            id: id('route'),
            parentId: id('plan'),
            key: '/plan#0/route#0',
            seq: 3,
            kind: 'decision',
            status: 'ok',
            output: { chosen: 'cheap' },
            attributes: { options: [{ label: 'cheap' }, { label: 'thorough' }], chosen: 'cheap' },
          },
          { id: id('draft'), parentId: id('route'), key: '/plan#0/route#0/draft#0', seq: 4, kind: 'llm', status: 'ok', output: 'text' },
          { id: id('review'), parentId: id('plan'), key: '/plan#0/review#0', seq: 5, status: 'running' },
          { id: id('log'), kind: 'log', seq: 6, status: 'ok', output: { line: 'no key' } },
        ]);
      });

      it('returns every keyed node with its output or error, replayable when finished', async () => {
        const body = await recorded(runId);
        assert.equal(body.runId, runId);
        assert.equal(body.untilNodeId, null);
        assert.deepEqual(
          body.nodes.map((n) => [n.id, n.key, n.kind, n.status, n.replay]),
          [
            [id('plan'), '/plan#0', 'step', 'ok', true],
            [id('search'), '/plan#0/search#0', 'tool', 'ok', true],
            [id('fetch'), '/plan#0/search#0/fetch#0', 'step', 'error', true],
            [id('route'), '/plan#0/route#0', 'decision', 'ok', true],
            [id('draft'), '/plan#0/route#0/draft#0', 'llm', 'ok', true],
            [id('review'), '/plan#0/review#0', 'step', 'running', false],
          ],
        );
        const byId = new Map(body.nodes.map((n) => [n.id, n]));
        assert.deepEqual(byId.get(id('search'))?.output, ['a', 'b']);
        assert.deepEqual(byId.get(id('fetch'))?.error, { message: 'timed out', type: 'TimeoutError' });
        assert.equal(byId.get(id('fetch'))?.output, null);
        assert.deepEqual(byId.get(id('route'))?.output, { chosen: 'cheap' });
      });

      it('with until, serves only earlier nodes that are not ancestors of the fork node', async () => {
        const body = await recorded(runId, id('draft'));
        assert.equal(body.untilNodeId, id('draft'));
        assert.deepEqual(Object.fromEntries(body.nodes.map((n) => [n.id.slice(runId.length + 1), n.replay])), {
          plan: false,
          search: true,
          fetch: true,
          route: false,
          draft: false,
          review: false,
        });
      });

      it('answers 404 for an unknown run and 400 for an until that is not a node of the run', async () => {
        await expectError(await runner.sidecar.request(`/api/runs/${fresh('missing')}/recorded`), 404, 'not_found', /No run/);
        await expectError(
          await runner.sidecar.request(`/api/runs/${runId}/recorded?until=nope`),
          400,
          'invalid',
          new RegExp(`until nope is not a node of run ${runId}`),
        );
        const other = await createRun({ id: fresh('other') });
        await ingest(other.id, [{ id: `${other.id}-n`, key: '/n#0', status: 'ok' }]);
        await expectError(
          await runner.sidecar.request(`/api/runs/${runId}/recorded?until=${other.id}-n`),
          400,
          'invalid',
          /is not a node of run/,
        );
        await expectError(await runner.sidecar.request(`/api/runs/${runId}/recorded?until=a%20b`), 400, 'invalid', /Invalid query: until/);
        await expectError(await runner.sidecar.request(`/api/runs/${runId}/recorded?key=x`), 400, 'invalid', /Invalid query/);
      });
    });

    describe('POST /api/runs/:runId/replay', () => {
      let original: Run;
      let decisionId: string;
      let logId: string;
      before(async () => {
        runner.writeConfig({
          workflows: {
            envy: {
              ...scripted('env', 'mode=replayable'),
              // biome-ignore lint/suspicious/noTemplateCurlyInString: runtrail.json's own ${input:…} placeholders
              env: { FROM_CONFIG_MODEL: 'small', FROM_CONFIG_GREETING: 'hi ${input:who}', FROM_CONFIG_KEY: '${input:key}' },
              inputs: { who: { default: 'Ada' }, key: {} },
            },
          },
        });
        original = await runner.started('envy', { inputs: { key: 'k-1' } });
        await runner.finished(original.id);
        // The fixture records no decisions itself: add one as an SDK in it would have.
        decisionId = `${original.id}-route`;
        await ingest(original.id, [
          {
            id: decisionId,
            key: '/route#0',
            kind: 'decision',
            status: 'ok',
            output: { chosen: 'cheap' },
            attributes: { options: [{ label: 'cheap' }, { label: 'thorough' }], chosen: 'cheap' },
          },
          { id: `${original.id}-step`, key: '/summarize#0', kind: 'step', status: 'ok' },
        ]);
        const logs = await runner.logNodes(original.id);
        logId = logs[0]?.id ?? assert.fail('no log node');
      });

      it('starts the recorded command again as a replay of the run', async () => {
        const run = await replayed(original.id);
        assert.equal(run.replayOf, original.id);
        assert.equal(run.forkedFromNode, null);
        assert.equal(run.workflow, 'envy');
        assert.deepEqual(run.command, original.command);
        assert.equal(run.cwd, original.cwd);
        const got = await handover(run.id);
        assert.equal(got.env.RUNTRAIL_REPLAY_OF, original.id);
        assert.equal(got.env.RUNTRAIL_RUN_ID, run.id);
        assert.equal(got.env.RUNTRAIL_REPLAY_UNTIL, undefined);
        assert.equal(got.env.RUNTRAIL_OVERRIDES, undefined);
        assert.deepEqual(got.argv, ['env', 'mode=replayable']);
        assert.equal(got.cwd, original.cwd);
        // runtrail.json's env again: inputs at their defaults; one without a default cannot be known.
        assert.equal(got.env.FROM_CONFIG_MODEL, 'small');
        assert.equal(got.env.FROM_CONFIG_GREETING, 'hi Ada');
        assert.equal(got.env.FROM_CONFIG_KEY, undefined);
      });

      it('forks at a node', async () => {
        const run = await replayed(original.id, { untilNodeId: logId });
        assert.equal(run.replayOf, original.id);
        assert.equal(run.forkedFromNode, logId);
        const got = await handover(run.id);
        assert.equal(got.env.RUNTRAIL_REPLAY_OF, original.id);
        assert.equal(got.env.RUNTRAIL_REPLAY_UNTIL, logId);
        assert.equal(got.env.RUNTRAIL_OVERRIDES, undefined);
      });

      it('takes another option at a decision: forks at the decision with the override', async () => {
        const run = await replayed(original.id, { overrides: { '/route#0': 'thorough' } });
        assert.equal(run.forkedFromNode, decisionId);
        const got = await handover(run.id);
        assert.equal(got.env.RUNTRAIL_REPLAY_UNTIL, decisionId);
        assert.deepEqual(JSON.parse(got.env.RUNTRAIL_OVERRIDES ?? 'null'), { '/route#0': 'thorough' });
      });

      it('replays a replay, linked to the run it replays', async () => {
        const first = await replayed(original.id);
        await runner.finished(first.id);
        const second = await replayed(first.id);
        assert.equal(second.replayOf, first.id);
        assert.equal((await handover(second.id)).env.RUNTRAIL_REPLAY_OF, first.id);
      });

      it('answers 422 for a run without a recorded argv command', async () => {
        const bare = await createRun({ id: fresh('bare') });
        await expectError(await replay(bare.id), 422, 'unprocessable', /cannot be replayed: it has no recorded command/);
        const shell = await createRun({ id: fresh('shell'), command: 'python3 agent.py', cwd: '/tmp' });
        await expectError(await replay(shell.id, {}), 422, 'unprocessable', /not started by the runner/);
      });

      it('refuses (403) a command runtrail.json does not declare until the caller allows it', async () => {
        // As a script started from a terminal with the SDK records itself: its own argv and cwd.
        const script = await createRun({
          id: fresh('script'),
          command: [...scripted('env', 'mode=terminal').command],
          cwd: runner.workspace,
        });
        const refused = await expectError(
          await replay(script.id),
          403,
          'forbidden',
          /is not workflow "agent" of this workspace's runtrail\.json/,
        );
        assert.deepEqual(refused.error.details, { reason: 'undeclared_command', command: script.command, cwd: runner.workspace });
        const run = await replayed(script.id, { allowUndeclaredCommand: true });
        assert.deepEqual((await handover(run.id)).argv, ['env', 'mode=terminal']);
        // A declared workflow's name with another command is not that workflow either.
        const disguised = await createRun({
          id: fresh('disguised'),
          workflow: 'envy',
          command: ['sh', '-c', 'echo hi'],
          cwd: runner.workspace,
        });
        await expectError(await replay(disguised.id), 403, 'forbidden', /is not workflow "envy"/);
        // Allowed, it still gets none of envy's declared variables: only its name is envy's.
        const borrowed = await createRun({
          id: fresh('borrowed'),
          workflow: 'envy',
          command: [...scripted('env', 'mode=borrowed').command],
          cwd: runner.workspace,
        });
        const run2 = await replayed(borrowed.id, { allowUndeclaredCommand: true });
        assert.equal((await handover(run2.id)).env.FROM_CONFIG_MODEL, undefined);
      });

      it('answers 404 for an unknown run and 400 for bad nodes, decisions, labels and bodies', async () => {
        await expectError(await replay(fresh('missing')), 404, 'not_found', /No run/);
        await expectError(await replay(original.id, { untilNodeId: 'nope' }), 400, 'invalid', /untilNodeId nope is not a node of run/);
        await expectError(await replay(original.id, { overrides: { '/nope#0': 'a' } }), 400, 'invalid', /has no node with that key/);
        await expectError(
          await replay(original.id, { overrides: { '/summarize#0': 'a' } }),
          400,
          'invalid',
          /it is a step node .* not a decision/,
        );
        await expectError(
          await replay(original.id, { overrides: { '/route#0': 'fancy' } }),
          400,
          'invalid',
          /with "fancy": its options are "cheap", "thorough"/,
        );
        await expectError(await replay(original.id, { until: logId }), 400, 'invalid', /Invalid body/);
        await expectError(await replay(original.id, { overrides: { '/route#0': 3 } }), 400, 'invalid', /overrides/);
      });
    });

    describe('GET /api/runs/:a/diff/:b', () => {
      it('matches nodes by key and reports what changed, with the first divergence', async () => {
        const a = await createRun({ id: fresh('diff-a') });
        const b = await createRun({ id: fresh('diff-b'), replayOf: a.id });
        const t = Date.UTC(2026, 0, 1, 12);
        const nodes = (runId: string, branch: string, extra: Record<string, unknown>[]) => [
          { id: `${runId}-load`, key: '/load#0', seq: 0, status: 'ok', output: { rows: 3, source: 'db' }, startedAt: t, endedAt: t + 100 },
          {
            id: `${runId}-route`,
            key: '/route#0',
            seq: 1,
            kind: 'decision',
            status: 'ok',
            output: { chosen: branch },
            attributes: { options: [{ label: 'cheap' }, { label: 'thorough' }], chosen: branch },
          },
          { id: `${runId}-${branch}`, parentId: `${runId}-route`, key: `/route#0/${branch}#0`, seq: 2, status: 'ok' },
          ...extra,
        ];
        await ingest(a.id, nodes(a.id, 'cheap', []));
        await ingest(
          b.id,
          nodes(b.id, 'thorough', [
            { id: `${b.id}-extra`, key: '/extra#0', seq: 3, status: 'error', error: { message: 'boom' } },
            { id: `${b.id}-log`, kind: 'log', seq: 4, status: 'ok' },
          ]).map((node) =>
            node.key === '/load#0' ? { ...node, output: { source: 'db', rows: 3 }, endedAt: t + 40, replayed: true } : node,
          ),
        );

        const res = await runner.sidecar.request(`/api/runs/${a.id}/diff/${b.id}`);
        assert.equal(res.status, 200, await res.clone().text());
        const diff = await readJson(res, RunDiff);
        assert.equal(diff.a, a.id);
        assert.equal(diff.b, b.id);
        assert.deepEqual(diff.firstDivergence, { key: '/route#0', change: 'changed', aNodeId: `${a.id}-route`, bNodeId: `${b.id}-route` });
        assert.deepEqual(diff.counts, { added: 2, removed: 1, changed: 1, same: 1 });
        assert.deepEqual(
          diff.nodes.map((n) => [n.key, n.change]),
          [
            ['/load#0', 'same'],
            ['/route#0', 'changed'],
            ['/route#0/thorough#0', 'added'],
            ['/extra#0', 'added'],
            ['/route#0/cheap#0', 'removed'],
          ],
        );
        const [load, route] = diff.nodes;
        assert.equal(load?.durationDeltaMs, -60);
        assert.equal(load?.b?.replayed, true);
        assert.deepEqual(route?.output, { a: { chosen: 'cheap' }, b: { chosen: 'thorough' } });

        const same = await readJson(await runner.sidecar.request(`/api/runs/${a.id}/diff/${a.id}`), RunDiff);
        assert.equal(same.firstDivergence, null);
        assert.deepEqual(same.counts, { added: 0, removed: 0, changed: 0, same: 3 });
      });

      it('answers 404 when either run is unknown and 400 for a malformed id', async () => {
        const a = await createRun({ id: fresh('diff-only') });
        await expectError(
          await runner.sidecar.request(`/api/runs/${a.id}/diff/nope-${kind}`),
          404,
          'not_found',
          new RegExp(`No run nope-${kind}`),
        );
        await expectError(await runner.sidecar.request(`/api/runs/nope-${kind}/diff/${a.id}`), 404, 'not_found', /No run/);
        await expectError(await runner.sidecar.request(`/api/runs/${a.id}/diff/a%20b`), 400, 'invalid', /Invalid path: otherRunId/);
      });
    });

    describe('GET /api/runs/:runId/family', () => {
      async function family(runId: string): Promise<RunFamily> {
        const res = await runner.sidecar.request(`/api/runs/${runId}/family`);
        assert.equal(res.status, 200, await res.clone().text());
        return readJson(res, RunFamily);
      }
      const shape = (f: RunFamily) => f.runs.map((m) => [m.run.id, m.parentId, m.depth]);

      it('returns the whole family in tree order from any of its runs', async () => {
        // root ─┬─ a (t+2) ─ a1 (replay of a replay)
        //       └─ b (t+1, forked)        siblings oldest first: b before a
        const t = Date.UTC(2026, 2, 1);
        const at = (ms: number) => new Date(t + ms).toISOString();
        const root = await createRun({ id: fresh('fam-root'), startedAt: at(0) });
        const a = await createRun({ id: fresh('fam-a'), startedAt: at(2000), replayOf: root.id });
        const b = await createRun({ id: fresh('fam-b'), startedAt: at(1000), replayOf: root.id, forkedFromNode: 'n1' });
        const a1 = await createRun({ id: fresh('fam-a1'), startedAt: at(3000), replayOf: a.id });
        const unrelated = await createRun({ id: fresh('fam-other'), startedAt: at(500) });
        const expected = [
          [root.id, null, 0],
          [b.id, root.id, 1],
          [a.id, root.id, 1],
          [a1.id, a.id, 2],
        ];
        for (const id of [root.id, a.id, b.id, a1.id]) {
          const f = await family(id);
          assert.equal(f.rootId, root.id, `from ${id}`);
          assert.deepEqual(shape(f), expected, `from ${id}`);
        }
        assert.equal((await family(b.id)).runs[1]?.run.forkedFromNode, 'n1');
        assert.deepEqual(shape(await family(unrelated.id)), [[unrelated.id, null, 0]]);
      });

      it('roots the family at the oldest run left when the original was deleted', async () => {
        const gone = await createRun({ id: fresh('fam-gone') });
        const child = await createRun({ id: fresh('fam-child'), replayOf: gone.id });
        const grandchild = await createRun({ id: fresh('fam-grandchild'), replayOf: child.id });
        assert.equal((await runner.sidecar.send('DELETE', `/api/runs/${gone.id}`)).status, 204);
        const f = await family(grandchild.id);
        assert.equal(f.rootId, child.id);
        assert.deepEqual(shape(f), [
          [child.id, null, 0],
          [grandchild.id, child.id, 1],
        ]);
      });

      it('answers 404 for an unknown run and 400 for a malformed id', async () => {
        await expectError(await runner.sidecar.request(`/api/runs/nope-${kind}/family`), 404, 'not_found', /No run/);
        await expectError(await runner.sidecar.request('/api/runs/a%20b/family'), 400, 'invalid', /Invalid path: runId/);
      });
    });
  });
}
