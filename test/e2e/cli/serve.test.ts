import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli, spawnCli } from '../../fixtures/cli/cliProcess';

describe('CLI serve (runtrail serve)', function () {
  this.timeout(60_000);
  let dataDir: string;

  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runtrail-cli-serve-'));
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('prints where it listens and where the token is, serves, and stops on SIGTERM with exit 0', async () => {
    const serve = spawnCli(['serve', '--port', '0', '--data-dir', dataDir], {});
    try {
      const [, url] = await serve.waitForOutput(/^Runtrail sidecar listening on (http:\/\/127\.0\.0\.1:\d+)$/m, 30_000);
      const out = serve.stdout();
      assert.match(out, new RegExp(`^  store: embedded \\(${literal(path.join(dataDir, 'runtrail.db'))}\\)$`, 'm'));
      assert.match(out, /^ {2}relay: in-process$/m);
      const tokenFile = path.join(dataDir, 'token');
      assert.match(out, new RegExp(`^  token: ${literal(tokenFile)}$`, 'm'));

      const token = fs.readFileSync(tokenFile, 'utf8').trim();
      const runs = await fetch(`${url}/api/runs`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(runs.status, 200);
      // Other commands find it through sidecar.json without being told the URL.
      const discovered = await runCli(['runs'], { RUNTRAIL_DATA_DIR: dataDir });
      assert.equal(discovered.code, 0, discovered.stderr);
      assert.equal(discovered.stdout, 'No runs yet.\n');
      assert.equal(serve.stderr(), '', 'nothing logged below warn');

      serve.child.kill('SIGTERM');
      const { code } = await serve.result;
      assert.equal(code, 0);
      assert.equal(fs.existsSync(path.join(dataDir, 'sidecar.json')), false, 'the discovery file went with it');
    } finally {
      await serve.stop();
    }
  });

  it('reads the workflows of the folder --workspace names', async () => {
    const workspace = path.join(dataDir, 'ws');
    fs.mkdirSync(workspace);
    fs.writeFileSync(path.join(workspace, 'runtrail.json'), JSON.stringify({ workflows: { hello: { command: ['node', '-e', '0'] } } }));
    const serve = spawnCli(['serve', '--port', '0', '--data-dir', dataDir, '--workspace', workspace], {});
    try {
      const [, url] = await serve.waitForOutput(/^Runtrail sidecar listening on (http:\/\/127\.0\.0\.1:\d+)$/m, 30_000);
      const token = fs.readFileSync(path.join(dataDir, 'token'), 'utf8').trim();
      const res = await fetch(`${url}/api/workflows`, { headers: { authorization: `Bearer ${token}` } });
      const list = (await res.json()) as { configFile: string; workflows: { name: string }[] };
      assert.equal(list.configFile, path.join(workspace, 'runtrail.json'));
      assert.deepEqual(
        list.workflows.map((w) => w.name),
        ['hello'],
      );
    } finally {
      await serve.stop();
    }
  });

  it('exits 1 with one line when the port is taken', async () => {
    const blocker = net.createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => blocker.once('listening', resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      const { code, stdout, stderr } = await runCli(['serve', '--port', String(port), '--data-dir', dataDir], {});
      assert.equal(code, 1);
      assert.equal(stdout, '');
      assert.equal(
        stderr,
        `runtrail: port ${port} on 127.0.0.1 is already in use: stop the other process, or pick another with --port (0 picks a free one)\n`,
      );
    } finally {
      blocker.close();
    }
  });

  it('exits 2 on bad configuration, naming the variable or the flag on one line', async () => {
    const fromEnv = await runCli(['serve'], { RUNTRAIL_DATA_DIR: dataDir, RUNTRAIL_PORT: 'x', REDIS_URL: 'localhost' });
    assert.equal(fromEnv.code, 2);
    assert.equal(fromEnv.stderr.split('\n').length, 2, fromEnv.stderr);
    assert.match(fromEnv.stderr, /^runtrail: invalid configuration: RUNTRAIL_PORT="x" is not an integer from 0 to 65535/);
    assert.match(fromEnv.stderr, /REDIS_URL="localhost" is not a Redis URL/);

    const fromFlag = await runCli(['serve', '--port', '70000', '--log-level', 'loud'], { RUNTRAIL_DATA_DIR: dataDir });
    assert.equal(fromFlag.code, 2);
    assert.match(fromFlag.stderr, /^runtrail: invalid configuration: --port "70000" is not an integer from 0 to 65535/);
    assert.match(fromFlag.stderr, /--log-level "loud" is not a log level/);
  });
});

function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
