import * as assert from 'node:assert/strict';
import { RunFamily } from '../../../protocol/replay';
import { runCli } from '../../fixtures/cli/cliProcess';
import { type SidecarProcess, startSidecarProcess } from '../../fixtures/sidecarProcess';

/** `runtrail family <runId>`: a run's replays and forks as an indented tree. */
describe('CLI family', function () {
  this.timeout(60_000);
  let sidecar: SidecarProcess;
  let env: Record<string, string>;

  before(async () => {
    sidecar = await startSidecarProcess();
    env = { RUNTRAIL_DATA_DIR: sidecar.dataDir };
  });
  after(async () => {
    await sidecar?.stop();
  });

  async function createRun(body: Record<string, unknown>): Promise<void> {
    const res = await fetch(`${sidecar.url}/api/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sidecar.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ workflow: 'agent', ...body }),
    });
    assert.equal(res.status, 201, await res.text());
  }

  it('prints the family as a tree: status, id, replay or fork point, the asked run marked', async () => {
    const at = (s: number) => new Date(Date.UTC(2026, 2, 1, 12, 0, s)).toISOString();
    await createRun({ id: 'fam_root', startedAt: at(0) });
    await createRun({ id: 'fam_replay', startedAt: at(1), replayOf: 'fam_root' });
    await createRun({ id: 'fam_fork', startedAt: at(2), replayOf: 'fam_replay', forkedFromNode: 'node_7' });

    const { code, stdout, stderr } = await runCli(['family', 'fam_replay'], env);
    assert.equal(code, 0, stderr);
    const lines = stdout.trimEnd().split('\n');
    assert.equal(lines.length, 3, stdout);
    assert.match(lines[0] ?? '', /^● fam_root {2}original · /);
    assert.match(lines[1] ?? '', /^└ ● fam_replay {2}replay · .* ◀$/);
    assert.match(lines[2] ?? '', /^ {2}└ ● fam_fork {2}fork at node_7 · /);

    const json = await runCli(['family', 'fam_fork', '--json'], env);
    assert.equal(json.code, 0, json.stderr);
    const family = RunFamily.parse(JSON.parse(json.stdout));
    assert.equal(family.rootId, 'fam_root');
    assert.deepEqual(
      family.runs.map((m) => m.parentId),
      [null, 'fam_root', 'fam_replay'],
    );
  });

  it('an unknown run exits 1 with one line; a missing id is a usage error', async () => {
    const unknown = await runCli(['family', 'nope'], env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^runtrail: .*No run nope/);
    assert.equal(unknown.stderr.trimEnd().split('\n').length, 1);
    const missing = await runCli(['family'], env);
    assert.equal(missing.code, 2);
  });
});
