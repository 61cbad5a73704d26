import * as assert from 'node:assert/strict';
import { replayWithConsent } from '../../../extension/replay/replayConsent';
import { SidecarRequestError } from '../../../extension/services';
import type { ReplayRequest } from '../../../protocol/replay';
import type { Run } from '../../../protocol/runs';

/**
 * The consent step before replaying a command runtrail.json does not declare. The sidecar's side
 * (the 403 and its details) is tested against a real sidecar in test/integration/sidecar/replay;
 * here a scripted answer stands in for it to pin down the client's choices.
 */
describe('replayWithConsent', () => {
  const details = { reason: 'undeclared_command', command: ['python3', 'agent.py'], cwd: '/work' };
  const run = { id: 'run_new' } as Run;

  function sidecar(first: Error | undefined) {
    const requests: ReplayRequest[] = [];
    return {
      requests,
      api: {
        async replayRun(_runId: string, request: ReplayRequest): Promise<Run> {
          requests.push(request);
          if (requests.length === 1 && first) throw first;
          return run;
        },
      },
    };
  }

  it('asks with the command and folder, and replays again with consent when the user agrees', async () => {
    const { api, requests } = sidecar(new SidecarRequestError(403, 'forbidden', 'not declared', details));
    const asked: unknown[] = [];
    const result = await replayWithConsent(api, 'run_a', { untilNodeId: 'n1' }, async (runId, shown) => {
      asked.push([runId, shown]);
      return true;
    });
    assert.equal(result, run);
    assert.deepEqual(asked, [['run_a', details]]);
    assert.deepEqual(requests, [{ untilNodeId: 'n1' }, { untilNodeId: 'n1', allowUndeclaredCommand: true }]);
  });

  it('starts nothing when the user declines', async () => {
    const { api, requests } = sidecar(new SidecarRequestError(403, 'forbidden', 'not declared', details));
    assert.equal(await replayWithConsent(api, 'run_a', {}, async () => false), undefined);
    assert.equal(requests.length, 1);
  });

  it('passes other refusals through without asking', async () => {
    for (const error of [
      new SidecarRequestError(403, 'forbidden', 'other', { reason: 'something else' }),
      new SidecarRequestError(404, 'not_found', 'No run'),
    ]) {
      const { api } = sidecar(error);
      await assert.rejects(
        replayWithConsent(api, 'run_a', {}, async () => assert.fail('asked')),
        (thrown) => thrown === error,
      );
    }
  });
});
