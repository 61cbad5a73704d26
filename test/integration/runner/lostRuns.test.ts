import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Run } from '../../../protocol/runs';
import { eventually, readJson } from '../../fixtures/sidecarApp';
import { alive, killLeftovers, RunnerHarness, readPid, scripted } from './runnerHarness';

const lost = { message: 'the workflow process vanished (lost)', reason: 'lost' };

/**
 * Workflows whose end no sidecar saw: the sidecar stopped while they ran (stopping does not kill
 * them), and the next sidecar on the same data dir settles their runs as error/lost.
 */
describe('Runner lost workflows', function () {
  this.timeout(60_000);
  let workspace: string;
  let dataDir: string;

  beforeEach(() => {
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'runtrail-ws-lost-'));
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runtrail-lost-'));
  });
  afterEach(() => {
    killLeftovers(dataDir);
    fs.rmSync(workspace, { recursive: true, force: true });
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function startForever(first: RunnerHarness): Promise<{ run: Run; pid: number }> {
    const pidFile = path.join(workspace, 'workflow.pid');
    fs.rmSync(pidFile, { force: true });
    first.writeConfig({ workflows: { forever: scripted(`pidfile:${pidFile}`, 'ready', 'sleep') } });
    const run = await first.started('forever');
    await first.waitForLine(run.id, 'ready');
    return { run, pid: await readPid(pidFile) };
  }

  it('keeps a workflow running when the sidecar stops; the next one marks it lost once killed meanwhile', async () => {
    const first = await RunnerHarness.start({}, { workspace, dataDir });
    const { run, pid } = await startForever(first);
    await first.closeSidecar();
    assert.ok(alive(pid), 'stopping the sidecar did not kill the workflow');
    assert.ok(fs.existsSync(path.join(dataDir, 'runner', `${run.id}.json`)), 'its ledger entry stays');

    process.kill(-pid, 'SIGKILL');
    await eventually(
      async () => alive(pid),
      (live) => !live,
      10_000,
      'the workflow gone',
    );
    const second = await RunnerHarness.start({}, { workspace, dataDir });
    try {
      const settled = await second.finished(run.id);
      assert.equal(settled.status, 'error');
      assert.deepEqual(settled.error, lost);
      assert.deepEqual(fs.readdirSync(path.join(dataDir, 'runner')), []);
    } finally {
      await second.closeSidecar();
    }
  });

  it('watches a workflow still alive at start-up and marks it lost when it ends', async () => {
    const first = await RunnerHarness.start({}, { workspace, dataDir });
    const { run, pid } = await startForever(first);
    await first.closeSidecar();

    const second = await RunnerHarness.start({}, { workspace, dataDir });
    try {
      // Adopted, not settled: it is still running.
      await eventually(
        async () => (await second.run(run.id)).status,
        (status) => status === 'running',
        5_000,
        'still running',
      );
      process.kill(-pid, 'SIGKILL');
      const settled = await second.finished(run.id, 15_000);
      assert.equal(settled.status, 'error');
      assert.deepEqual(settled.error, lost);
    } finally {
      await second.closeSidecar();
    }
  });

  it('cancels a workflow adopted from a previous sidecar', async () => {
    const first = await RunnerHarness.start({}, { workspace, dataDir });
    const { run, pid } = await startForever(first);
    await first.closeSidecar();

    const second = await RunnerHarness.start({}, { workspace, dataDir });
    try {
      // Recovery runs in the background: cancel answers 202 once the run is adopted.
      await eventually(
        async () => (await second.sidecar.send('POST', `/api/runs/${run.id}/cancel`)).status,
        (status) => status === 202,
        10_000,
        'cancel accepted',
      );
      const settled = await second.finished(run.id, 15_000);
      assert.equal(settled.status, 'cancelled');
      assert.ok(!alive(pid));
    } finally {
      await second.closeSidecar();
    }
  });

  it('settles a ledger entry of a dead process at start-up, and drops entries of finished runs', async () => {
    const first = await RunnerHarness.start({}, { workspace, dataDir });
    const running = await readJson(await first.sidecar.send('POST', '/api/runs', { workflow: 'crashed' }), Run);
    const done = await readJson(await first.sidecar.send('POST', '/api/runs', { workflow: 'done' }), Run);
    await first.sidecar.send('PATCH', `/api/runs/${done.id}`, { status: 'ok' });
    await first.closeSidecar();

    // A pid that surely ended: a process that already exited.
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid;
    const ledger = path.join(dataDir, 'runner');
    fs.mkdirSync(ledger, { recursive: true });
    for (const run of [running, done]) {
      fs.writeFileSync(
        path.join(ledger, `${run.id}.json`),
        JSON.stringify({ runId: run.id, pid: deadPid, workflow: run.workflow, startedAt: run.startedAt, sidecarPid: process.pid }),
      );
    }
    fs.writeFileSync(path.join(ledger, 'garbage.json'), 'not json');

    const second = await RunnerHarness.start({}, { workspace, dataDir });
    try {
      const settled = await second.finished(running.id);
      assert.equal(settled.status, 'error');
      assert.deepEqual(settled.error, lost);
      assert.equal((await second.run(done.id)).status, 'ok');
      await eventually(
        async () => fs.readdirSync(ledger),
        (names) => names.length === 0,
        5_000,
        'ledger emptied',
      );
    } finally {
      await second.closeSidecar();
    }
  });
});
