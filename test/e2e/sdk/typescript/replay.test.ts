import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FlatTree, Node } from '../../../../protocol/runs';
import { fixture, runWorkflow } from '../../../fixtures/sdk/typescript/workflowProcess';
import { readJson, startTestSidecar, type TestSidecar } from '../../../fixtures/sidecarApp';

const workflow = fixture('replayWorkflow.ts');

interface Outcome {
  readonly runId: string;
  readonly result: Record<string, unknown>;
  /** The step bodies (and `choose`) the process really ran, in order. */
  readonly bodies: string[];
}

// The keys the fixture records, in order (attempts of `flaky` are separate keys).
const allKeys = [
  '/fetch#0',
  '/flaky#0',
  '/flaky#1',
  '/validate#0',
  '/plan#0',
  '/plan#0/think#0',
  '/plan#0/think#1',
  '/route#0',
  '/answer-a#0',
  '/summarize#0',
];

describe('TypeScript SDK replay against an in-process sidecar', function () {
  this.timeout(60_000);
  let sidecar: TestSidecar;
  let tmp: string;
  let original: Outcome;
  let originalNodes: Map<string, Node>;

  const runOnce = async (extraEnv: Record<string, string>): Promise<Outcome> => {
    const bodiesFile = path.join(tmp, `bodies-${Math.random().toString(36).slice(2)}`);
    fs.writeFileSync(bodiesFile, '');
    const done = await runWorkflow(workflow, {
      RUNTRAIL_URL: sidecar.url,
      RUNTRAIL_TOKEN: sidecar.token,
      RUNTRAIL_TEST_BODIES: bodiesFile,
      ...extraEnv,
    });
    assert.equal(done.code, 0, done.stderr);
    assert.equal(done.stderr, '');
    const lines = done.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const runId = lines.find((l) => 'runId' in l)?.runId as string;
    const result = lines.find((l) => 'result' in l)?.result as Record<string, unknown>;
    assert.ok(runId && result, `the workflow printed its run id and result; stdout: ${done.stdout}`);
    return { runId, result, bodies: fs.readFileSync(bodiesFile, 'utf8').split('\n').filter(Boolean) };
  };

  const nodesByKey = async (runId: string): Promise<Map<string, Node>> => {
    const tree = await readJson(await sidecar.request(`/api/runs/${runId}/tree`), FlatTree);
    const nodes = await Promise.all(tree.nodes.map(async (n) => readJson(await sidecar.request(`/api/nodes/${n.id}`), Node)));
    return new Map(nodes.map((n) => [n.key ?? n.id, n]));
  };

  const idOf = (key: string): string => {
    const node = originalNodes.get(key);
    assert.ok(node, `the original run has ${key}`);
    return node.id;
  };

  before(async () => {
    sidecar = await startTestSidecar();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'runtrail-replay-'));
    original = await runOnce({});
    originalNodes = await nodesByKey(original.runId);
  });
  after(async () => {
    await sidecar?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('records the original run with every body run live', () => {
    assert.deepEqual(original.bodies, [
      'fetch',
      'flaky1',
      'flaky2',
      'validate',
      'plan',
      'think0',
      'think1',
      'choose',
      'answer-a',
      'summarize',
    ]);
    assert.deepEqual([...originalNodes.keys()].sort(), [...allKeys].sort());
    assert.deepEqual(original.result.caught, { name: 'RangeError', message: 'n=3 is out of range', isRangeError: true });
  });

  it('replays a finished run with the same keys and outputs and no body run', async () => {
    const replay = await runOnce({ RUNTRAIL_REPLAY_OF: original.runId });
    assert.deepEqual(replay.bodies, [], 'no recorded body ran again');
    assert.deepEqual(replay.result, original.result, 'the workflow saw the recorded outputs, errors included');

    const nodes = await nodesByKey(replay.runId);
    assert.deepEqual([...nodes.keys()].sort(), [...allKeys].sort());
    for (const key of allKeys) {
      const node = nodes.get(key) as Node;
      const recorded = originalNodes.get(key) as Node;
      assert.equal(node.replayed, true, `${key} is marked replayed`);
      assert.equal(node.diverged, false, `${key} did not diverge`);
      assert.equal(node.status, recorded.status, `${key} keeps its status`);
      assert.deepEqual(node.output, recorded.output, `${key} keeps its output`);
      assert.equal(node.attributes?.replays, recorded.id, `${key} names the node it replays`);
    }
    const failedAttempt = nodes.get('/flaky#0') as Node;
    assert.deepEqual(
      [failedAttempt.status, (failedAttempt.error as { message: string; type: string }).type, failedAttempt.attributes?.attempt],
      ['error', 'TypeError', 1],
    );
    assert.equal((nodes.get('/validate#0')?.error as { message?: string } | undefined)?.message, 'n=3 is out of range');
  });

  it('goes live from the RUNTRAIL_REPLAY_UNTIL node, ancestors included, and serves what lies before it', async () => {
    const fork = await runOnce({ RUNTRAIL_REPLAY_OF: original.runId, RUNTRAIL_REPLAY_UNTIL: idOf('/plan#0/think#1') });
    // plan is an ancestor of the fork node, so it runs again for think#1 to run; think#0 lies before it.
    assert.deepEqual(fork.bodies, ['plan', 'think1', 'choose', 'answer-a', 'summarize']);
    assert.deepEqual(fork.result, original.result);
    const nodes = await nodesByKey(fork.runId);
    const replayed = allKeys.filter((key) => nodes.get(key)?.replayed);
    assert.deepEqual(replayed, ['/fetch#0', '/flaky#0', '/flaky#1', '/validate#0', '/plan#0/think#0']);
    assert.ok(
      allKeys.every((key) => nodes.get(key)?.diverged === false),
      'keys the recording holds are never diverged',
    );
  });

  it('takes the overridden option at a decision without asking choose, and runs what follows live', async () => {
    const fork = await runOnce({
      RUNTRAIL_REPLAY_OF: original.runId,
      RUNTRAIL_REPLAY_UNTIL: idOf('/route#0'),
      RUNTRAIL_OVERRIDES: JSON.stringify({ '/route#0': 'b' }),
    });
    assert.deepEqual(fork.bodies, ['answer-b', 'summarize'], 'choose was not called; the other branch and the step after it ran');
    assert.equal(fork.result.route, 'b');
    assert.equal(fork.result.answer, 'B: alpha! beta!');
    const nodes = await nodesByKey(fork.runId);
    const route = nodes.get('/route#0') as Node;
    assert.deepEqual(
      [route.replayed, route.output, route.attributes?.overridden, route.attributes?.chosen],
      [false, { chosen: 'b' }, true, 'b'],
    );
    const answer = nodes.get('/answer-b#0') as Node;
    assert.deepEqual([answer.replayed, answer.diverged], [false, true], 'a key the recording lacks is diverged');
    assert.deepEqual([nodes.get('/summarize#0')?.replayed, nodes.get('/summarize#0')?.diverged], [false, false]);
    assert.ok(['/fetch#0', '/flaky#0', '/flaky#1', '/validate#0', '/plan#0'].every((key) => nodes.get(key)?.replayed));
  });
});
