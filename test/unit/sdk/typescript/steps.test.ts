import * as assert from 'node:assert/strict';
import { FlatTree, Node, RunDetail } from '../../../../protocol/runs';
import { decide, finish, llm, log, type RunHandle, startRun, step, tool, usage } from '../../../../sdk/typescript/src/index';
import { readJson, startTestSidecar, type TestSidecar } from '../../../fixtures/sidecarApp';

describe('TypeScript SDK steps in process', function () {
  this.timeout(20_000);
  let sidecar: TestSidecar;
  let run: RunHandle;

  before(async () => {
    sidecar = await startTestSidecar();
  });
  after(async () => {
    await sidecar?.close();
  });
  beforeEach(async () => {
    run = await startRun({ url: sidecar.url, token: sidecar.token, workflow: 'steps' });
  });
  afterEach(async () => {
    await finish();
  });

  async function nodesOf(handle: RunHandle) {
    await handle.finish();
    const tree = await readJson(await sidecar.request(`/api/runs/${handle.id}/tree`), FlatTree);
    return Promise.all(tree.nodes.map(async (n) => readJson(await sidecar.request(`/api/nodes/${n.id}`), Node)));
  }

  it('returns results unchanged and records what JSON cannot hold as its string form', async () => {
    const circular: Record<string, unknown> = { name: 'loop' };
    circular.self = circular;
    assert.equal(await step('circular', () => circular), circular);
    assert.equal(await tool('big', async () => 10n), 10n);
    assert.equal(await llm('sync', () => 'plain'), 'plain');
    assert.equal(await step('nothing', () => undefined), undefined);
    const byName = new Map((await nodesOf(run)).map((n) => [n.name, n]));
    assert.equal(byName.get('circular')?.output, '[object Object]');
    assert.equal(byName.get('big')?.output, '10');
    assert.equal(byName.get('sync')?.output, 'plain');
    assert.equal(byName.get('nothing')?.status, 'ok');
  });

  it('records usage() counts on llm nodes and returns the bare output', async () => {
    const text = await llm('answer', () => usage('42', { tokensIn: 10.4, tokensOut: 2, costUsd: -1 }), { model: 'm' });
    assert.equal(text, '42');
    const [node] = await nodesOf(run);
    assert.deepEqual(
      [node?.tokensIn, node?.tokensOut, node?.costUsd, node?.attributes],
      [10, 2, null, { model: 'm' }],
      'a negative cost is left out',
    );
  });

  it('rethrows the last error when every retry fails, each attempt its own node', async () => {
    let attempts = 0;
    await assert.rejects(
      step(
        'always',
        () => {
          attempts++;
          throw new Error(`failure ${attempts}`);
        },
        { retries: 2 },
      ),
      /failure 3/,
    );
    const nodes = (await nodesOf(run)).sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
    assert.deepEqual(
      nodes.map((n) => [n.key, n.status, n.attributes?.attempt, (n.error as { message: string }).message]),
      [
        ['/always#0', 'error', 1, 'failure 1'],
        ['/always#1', 'error', 2, 'failure 2'],
        ['/always#2', 'error', 3, 'failure 3'],
      ],
    );
  });

  it('rejects a choice that is not an option, naming the options, and records the decision as failed', async () => {
    await assert.rejects(
      decide('route', ['search', 'answer'], () => 'guess' as 'search'),
      (error: Error) =>
        error.message === 'decide("route"): choose() returned "guess", which is not one of the options ("search", "answer").',
    );
    assert.equal(await decide('again', [{ label: 'a', score: 1 }, 'b'], async (options) => options[1] ?? 'a'), 'b');
    const nodes = await nodesOf(run);
    assert.equal(nodes.find((n) => n.name === 'route')?.status, 'error');
    assert.deepEqual(nodes.find((n) => n.name === 'again')?.output, { chosen: 'b' });
  });

  it('answers bad arguments with a TypeError that says what is wrong', async () => {
    await assert.rejects(
      step('', () => 1),
      { name: 'TypeError', message: 'step(): name must be a non-empty string.' },
    );
    await assert.rejects(
      tool('fetch', 'not a function' as unknown as () => void),
      /tool\("fetch"\): the second argument must be the function to run/,
    );
    await assert.rejects(
      step('s', () => 1, { retries: -1 }),
      /retries must be a whole number/,
    );
    await assert.rejects(
      decide('d', [], () => 'x'),
      /options must be a non-empty array/,
    );
    await assert.rejects(
      decide('d', ['a', 'a'], () => 'a'),
      /option label "a" appears twice/,
    );
    await assert.rejects(run.finish({ status: 'running' as 'ok' }), /status must be "ok", "error" or "cancelled"/);
    assert.deepEqual(await nodesOf(run), []);
  });

  it('records into the run a node belongs to, and finishes a run once', async () => {
    const second = await startRun({ url: sidecar.url, token: sidecar.token, workflow: 'steps' });
    await run.step('outer', async () => {
      await step('inner', () => 1);
      log('inside');
    });
    await step('latest', () => 2);
    assert.deepEqual((await nodesOf(run)).map((n) => n.key).sort(), ['/outer#0', '/outer#0/inner#0', '/outer#0/inside#0']);
    assert.deepEqual(
      (await nodesOf(second)).map((n) => n.key),
      ['/latest#0'],
    );
    await second.finish({ status: 'cancelled' });
    assert.equal((await readJson(await sidecar.request(`/api/runs/${second.id}`), RunDetail)).status, 'ok', 'the first finish() decided');
  });

  it('runs steps live when RUNTRAIL_REPLAY_OF names a recording the sidecar cannot serve', async () => {
    process.env.RUNTRAIL_REPLAY_OF = 'no-such-run';
    try {
      const replaying = await startRun({ url: sidecar.url, token: sidecar.token, workflow: 'steps' });
      assert.equal(await replaying.step('live', () => 'computed'), 'computed');
      const [node] = await nodesOf(replaying);
      assert.deepEqual([node?.output, node?.replayed, node?.diverged], ['computed', false, false]);
    } finally {
      delete process.env.RUNTRAIL_REPLAY_OF;
    }
  });

  it('records a finish with an error as a failed run', async () => {
    await run.finish({ error: new Error('gave up') });
    const detail = await readJson(await sidecar.request(`/api/runs/${run.id}`), RunDetail);
    assert.equal(detail.status, 'error');
    assert.equal((detail.error as { message: string }).message, 'gave up');
  });
});
