import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Run } from '../../../protocol/runs';
import { runCli, spawnCli, workflowFixture } from '../../fixtures/cli/cliProcess';
import { freePort } from '../../fixtures/services/freePort';
import { redisUrl } from '../../fixtures/services/testServices';
import { readJson } from '../../fixtures/sidecarApp';
import { type SidecarProcess, startSidecarProcess } from '../../fixtures/sidecarProcess';

describe('CLI run (runtrail run <workflow>)', function () {
  this.timeout(60_000);
  let workspace: string;
  let sidecar: SidecarProcess;
  let env: Record<string, string>;

  before(async () => {
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'runtrail-cli-workspace-'));
    fs.writeFileSync(
      path.join(workspace, 'runtrail.json'),
      JSON.stringify({
        workflows: {
          demo: {
            // biome-ignore lint/suspicious/noTemplateCurlyInString: runtrail.json placeholders, not template syntax.
            command: [process.execPath, workflowFixture, '${input:mode}', '${input:topic}'],
            description: 'the CLI test workflow',
            inputs: { mode: { default: 'ok' }, topic: { description: 'what it is about' } },
          },
          broken: { command: [path.join(workspace, 'no-such-program')] },
        },
      }),
    );
    sidecar = await startSidecarProcess({ RUNTRAIL_WORKSPACE: workspace, RUNTRAIL_CANCEL_GRACE_MS: '2000' });
    env = { RUNTRAIL_DATA_DIR: sidecar.dataDir };
  });

  after(async () => {
    await sidecar?.stop();
    fs.rmSync(workspace, { recursive: true, force: true });
  });

  const getRun = async (runId: string) =>
    readJson(await fetch(`${sidecar.url}/api/runs/${runId}`, { headers: { authorization: `Bearer ${sidecar.token}` } }), Run);

  it('streams the nodes and the output as they come and exits 0 when the run ends ok', async () => {
    const { code, stdout, stderr } = await runCli(['run', 'demo', '--input', 'topic=cats', '--label', 'from-cli'], env);
    assert.equal(code, 0, stderr);
    const [, runId] = /^▶ demo {2}(run_\w+)$/m.exec(stdout) ?? [];
    assert.ok(runId, stdout);
    const lines = stdout.trimEnd().split('\n');
    // Start lines, then end lines, indented by depth; the workflow's stdout as log lines.
    assert.ok(lines.includes('● step plan cats'), stdout);
    assert.ok(lines.includes('  ● llm draft'), stdout);
    assert.ok(
      lines.some((line) => /^ {2}✓ llm draft {2}\S+ · 200 tok$/.test(line)),
      stdout,
    );
    assert.ok(
      lines.some((line) => /^✓ step plan cats {2}\S+$/.test(line)),
      stdout,
    );
    assert.ok(lines.includes('› hello from the workflow about cats'), stdout);
    assert.match(lines.at(-1) ?? '', new RegExp(`^✓ ok · demo · ${runId} · 3 nodes · \\S+ · 200 tok$`));
    assert.ok(lines.indexOf('● step plan cats') < lines.indexOf('  ● llm draft'), 'in the order they happened');

    const run = await getRun(runId as string);
    assert.equal(run.status, 'ok');
    assert.deepEqual(run.labels, ['from-cli']);
  });

  it('exits 1 when the run ends in error, with the error and the failed node', async () => {
    const { code, stdout } = await runCli(['run', 'demo', '-i', 'mode=fail', '-i', 'topic=dogs'], env);
    assert.equal(code, 1, stdout);
    assert.match(stdout, /^ {2}✗ tool search\b.*index offline$/m);
    assert.match(stdout, /^› giving up$/m);
    assert.match(stdout, /^error: exited with code 3$/m);
    assert.match(stdout.trimEnd().split('\n').at(-1) ?? '', /^✗ error · demo · run_\w+ · 5 nodes/);
  });

  it('--quiet prints only the summary line', async () => {
    const { code, stdout } = await runCli(['run', 'demo', '-i', 'topic=quiet', '--quiet'], env);
    assert.equal(code, 0);
    assert.match(stdout, /^✓ ok · demo · run_\w+ · 3 nodes · \S+ · 200 tok\n$/);
  });

  it('follows a run the same way through the Redis relay (team mode)', async () => {
    const team = await startSidecarProcess({ RUNTRAIL_WORKSPACE: workspace, REDIS_URL: await redisUrl() });
    try {
      const { code, stdout, stderr } = await runCli(['run', 'demo', '-i', 'topic=redis'], { RUNTRAIL_DATA_DIR: team.dataDir });
      assert.equal(code, 0, stderr);
      assert.match(stdout, /^ {2}✓ llm draft {2}\S+ · 200 tok$/m);
      assert.match(stdout, /^› hello from the workflow about redis$/m);
      assert.match(stdout.trimEnd().split('\n').at(-1) ?? '', /^✓ ok · demo · run_\w+ · 3 nodes/);
    } finally {
      await team.stop();
    }
  });

  it('Ctrl-C cancels the run, waits for it to end, and exits 130', async () => {
    const cli = spawnCli(['run', 'demo', '-i', 'mode=hang', '-i', 'topic=waiting'], env);
    try {
      const [, runId] = await cli.waitForOutput(/^▶ demo {2}(run_\w+)$/m, 30_000);
      await cli.waitForOutput(/^› waiting to be cancelled$/m, 30_000);
      cli.child.kill('SIGINT');
      const { code, stdout, stderr } = await cli.result;
      assert.equal(code, 130, `${stdout}\n${stderr}`);
      assert.match(stderr, new RegExp(`^runtrail: Cancelling ${runId}… \\(Ctrl-C again to stop waiting\\)$`, 'm'));
      assert.match(stdout.trimEnd().split('\n').at(-1) ?? '', new RegExp(`^⊘ cancelled · demo · ${runId} · `));
      assert.equal((await getRun(runId as string)).status, 'cancelled');
    } finally {
      await cli.stop();
    }
  });

  it('rides out a sidecar restart: reconnects, reloads the run, and still ends with it', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runtrail-cli-restart-'));
    const sidecarEnv = {
      RUNTRAIL_WORKSPACE: workspace,
      RUNTRAIL_DATA_DIR: dataDir,
      RUNTRAIL_PORT: String(await freePort()),
      // The followed event stream counts as a request in flight: do not wait the default 10 s for it.
      RUNTRAIL_SHUTDOWN_GRACE_MS: '500',
    };
    let current = await startSidecarProcess(sidecarEnv);
    const cli = spawnCli(['run', 'demo', '-i', 'mode=hang', '-i', 'topic=restart'], { RUNTRAIL_DATA_DIR: dataDir });
    try {
      const [, runId] = await cli.waitForOutput(/^▶ demo {2}(run_\w+)$/m, 30_000);
      await cli.waitForOutput(/^› waiting to be cancelled$/m, 30_000);
      // Stopping a sidecar leaves its workflows running; the next one on the data dir adopts them.
      await current.stop();
      await cli.waitForOutput(/^runtrail: .*; reconnecting…$/m, 30_000, 'stderr');
      current = await startSidecarProcess(sidecarEnv);
      await cli.waitForOutput(/^runtrail: reconnected$/m, 30_000, 'stderr');
      cli.child.kill('SIGINT');
      const { code, stdout, stderr } = await cli.result;
      assert.equal(code, 130, `${stdout}\n${stderr}`);
      assert.match(stdout.trimEnd().split('\n').at(-1) ?? '', new RegExp(`^⊘ cancelled · demo · ${runId} · `));
      assert.equal(stdout.match(/^› waiting to be cancelled$/gm)?.length, 1, 'nothing printed twice after the reload');
    } finally {
      await cli.stop();
      await current.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('a command that cannot start gives a run that failed at once: exit 1 with the reason', async () => {
    const { code, stdout } = await runCli(['run', 'broken'], env);
    assert.equal(code, 1, stdout);
    assert.match(stdout, /^error: cannot start workflow broken: .*was not found/m);
    assert.match(stdout.trimEnd().split('\n').at(-1) ?? '', /^✗ error · broken · run_\w+ · 0 nodes/);
  });

  it('an unknown workflow exits 1 naming the declared ones; a missing input exits 2', async () => {
    const unknown = await runCli(['run', 'nope'], env);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, `runtrail: no workflow "nope" in ${path.join(workspace, 'runtrail.json')} (declared: demo, broken)\n`);

    const missing = await runCli(['run', 'demo'], env);
    assert.equal(missing.code, 2);
    assert.equal(missing.stderr.split('\n').length, 2, missing.stderr);
    assert.match(missing.stderr, /^runtrail: .*topic.* \(400 invalid\)$/m);
  });
});
