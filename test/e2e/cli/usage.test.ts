import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { version } from '../../../package.json';
import { runCli } from '../../fixtures/cli/cliProcess';
import { freePort } from '../../fixtures/services/freePort';

describe('CLI usage, help and connection errors', function () {
  this.timeout(30_000);
  let dataDir: string;
  let env: Record<string, string>;

  before(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runtrail-cli-usage-'));
    env = { RUNTRAIL_DATA_DIR: dataDir };
  });
  after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('an unknown command exits 2 with one line and a usage hint', async () => {
    const { code, stdout, stderr } = await runCli(['frobnicate'], env);
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.equal(
      stderr,
      'runtrail: unknown command "frobnicate": use one of serve, run, runs, show, replay, diff, family, export, import, token, demo (see runtrail --help)\n',
    );
  });

  it('an unknown flag, a missing value or argument, a bad value each exit 2 with one line', async () => {
    const cases: [string[], string][] = [
      [['runs', '--frob'], 'runtrail: unknown option --frob for runs (see runtrail runs --help)\n'],
      [['runs', '--limit'], 'runtrail: --limit needs a value: --limit <n> (see runtrail runs --help)\n'],
      [['runs', '--limit', '0'], 'runtrail: --limit "0" is not a number from 1 to 200 (see runtrail runs --help)\n'],
      [
        ['runs', '--status', 'done'],
        'runtrail: --status "done" is not a run status: use one of running, ok, error, cancelled (see runtrail runs --help)\n',
      ],
      [['show'], 'runtrail: show needs <runId>: runtrail show <runId> [--json] (see runtrail show --help)\n'],
      [['show', 'a', 'b'], 'runtrail: unexpected argument "b" for show (see runtrail show --help)\n'],
      [['run', 'demo', '--input', 'novalue'], 'runtrail: --input "novalue" is not name=value (see runtrail run --help)\n'],
      [['runs', '--json=yes'], 'runtrail: --json takes no value (see runtrail runs --help)\n'],
    ];
    for (const [args, expected] of cases) {
      const { code, stderr } = await runCli(args, env);
      assert.equal(stderr, expected, args.join(' '));
      assert.equal(code, 2, args.join(' '));
    }
  });

  it('--help per command and --version exit 0 on stdout', async () => {
    const general = await runCli(['--help'], env);
    assert.equal(general.code, 0);
    assert.match(general.stdout, /^Usage: runtrail <command> \[options\]$/m);
    for (const name of ['serve', 'run', 'runs', 'show', 'token']) assert.match(general.stdout, new RegExp(`^ {2}${name} +\\S`, 'm'));

    const run = await runCli(['run', '--help'], env);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /^Usage: runtrail run <workflow> \[--input <name=value>\]\.\.\./);
    assert.match(run.stdout, /-i, --input <name=value>/);
    const viaHelp = await runCli(['help', 'run'], env);
    assert.equal(viaHelp.stdout, run.stdout);

    const versionOut = await runCli(['--version'], env);
    assert.equal(versionOut.code, 0);
    assert.equal(versionOut.stdout, `runtrail ${version}\n`);

    const bare = await runCli([], env);
    assert.equal(bare.code, 2, 'no command is a usage error');
    assert.match(bare.stderr, /^Usage: runtrail <command>/m);
  });

  it('an unreachable sidecar exits 1 with one line saying how to start it', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    for (const args of [['runs'], ['show', 'some-run'], ['run', 'demo']]) {
      const { code, stdout, stderr } = await runCli(args, { ...env, RUNTRAIL_URL: url });
      assert.equal(code, 1, args.join(' '));
      assert.equal(stdout, '');
      assert.equal(
        stderr,
        `runtrail: cannot reach the sidecar at ${url} (connection refused): start it with "runtrail serve" or check RUNTRAIL_URL\n`,
      );
    }
    const viaFlag = await runCli(['runs', '--url', url], env);
    assert.equal(
      viaFlag.stderr,
      `runtrail: cannot reach the sidecar at ${url} (connection refused): start it with "runtrail serve" or check --url\n`,
    );
  });

  it('a sidecar.json left by a dead sidecar is ignored', async () => {
    const port = await freePort();
    fs.writeFileSync(
      path.join(dataDir, 'sidecar.json'),
      // pid 2^22+ is above Linux's pid_max default: no such process.
      JSON.stringify({ url: `http://127.0.0.1:${port}`, pid: 4_194_399, tokenFile: null, store: 'sqlite', relay: 'memory', startedAt: '' }),
    );
    try {
      // It falls back to the default URL (whatever answers there, the stale one is not used).
      const { stderr } = await runCli(['runs'], env);
      assert.doesNotMatch(stderr, new RegExp(`:${port}\\b`), 'the stale URL was not used');
    } finally {
      fs.rmSync(path.join(dataDir, 'sidecar.json'), { force: true });
    }
  });

  it('a bad --url is a usage error', async () => {
    const { code, stderr } = await runCli(['runs', '--url', 'localhost:7317'], env);
    assert.equal(code, 2);
    assert.match(stderr, /^runtrail: --url "localhost:7317" is not an http\(s\) URL/);
  });
});
