import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { currentHost, readSettings, resolveDataDir, sidecarEnvironment } from '../../../extension/settings';
import { AutoSidecar, type AutoSidecarOptions } from '../../../extension/sidecar/autoSidecar';
import { processAlive } from '../../../extension/sidecar/discovery';
import type { LinkState } from '../../../extension/sidecar/sidecarLink';
import type { SidecarLogLine } from '../../../extension/sidecar/sidecarLog';
import { SidecarProcess, SidecarStartError } from '../../../extension/sidecar/sidecarProcess';

/**
 * The extension's process logic against the real bundle (dist/sidecar.js, `npm run build` first)
 * under plain node, as VS Code runs it minus Electron: spawn, read URL and token back, crash and
 * restart, give up, attach to a sidecar already running, stop without leaving a process behind.
 */

const bundle = path.resolve(__dirname, '../../../dist/sidecar.js');
const fastPolicy = { maxCrashes: 3, windowMs: 60_000, initialDelayMs: 50, maxDelayMs: 200 };

/** The environment the extension would give the sidecar for `settings` (settings.ts, for real). */
function environmentFor(dataDir: string, settings: Record<string, unknown> = {}): Record<string, string> {
  const { settings: parsed } = readSettings({ get: <T>(key: string) => ({ dataDir, ...settings })[key] as T | undefined });
  return sidecarEnvironment(parsed, {}, { ...currentHost(dataDir), env: { PATH: process.env.PATH, HOME: process.env.HOME } }).env;
}

/** Sidecar processes this test process spawned that are still alive (orphans, if any after a stop). */
function ourSidecars(): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const argv = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (Number(ppid) === process.pid && state !== 'Z' && argv.includes(bundle)) pids.push(Number(entry));
    } catch {
      // Gone while we looked.
    }
  }
  return pids;
}

/** Resolves with the first state (current or next) that `accept` takes. */
function stateWhere(link: AutoSidecar, accept: (state: LinkState) => boolean, what: string, timeoutMs = 20_000): Promise<LinkState> {
  if (accept(link.state)) return Promise.resolve(link.state);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      subscription.dispose();
      reject(new Error(`${what}: not within ${timeoutMs} ms (state ${JSON.stringify(link.state)})`));
    }, timeoutMs);
    const subscription = link.onDidChangeState((state) => {
      if (!accept(state)) return;
      clearTimeout(timer);
      subscription.dispose();
      resolve(state);
    });
  });
}

function running(state: LinkState) {
  assert.equal(state.kind, 'running', JSON.stringify(state));
  return (state as Extract<LinkState, { kind: 'running' }>).endpoint;
}

describe('sidecar process logic (real dist/sidecar.js under node)', function () {
  this.timeout(60_000);
  let dataDir: string;
  const cleanups: Array<() => Promise<unknown>> = [];
  const log: string[] = [];
  const logger = {
    log: (level: string, message: string) => log.push(`${level}: ${message}`),
    sidecarLine: (line: SidecarLogLine) => log.push(`[sidecar] ${line.level}: ${line.text}`),
  };
  const auto = (options: Partial<AutoSidecarOptions> = {}) => {
    const link = new AutoSidecar({
      ...logger,
      bundle,
      execPath: process.execPath,
      env: environmentFor(dataDir),
      dataDir,
      policy: fastPolicy,
      ...options,
    });
    cleanups.push(() => link.stop());
    return link;
  };

  before(() => {
    if (!fs.existsSync(bundle)) throw new Error(`${bundle} is missing: run npm run build first`);
  });

  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runtrail-ext-sidecar-'));
    log.length = 0;
  });

  afterEach(async function () {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    fs.rmSync(dataDir, { recursive: true, force: true });
    if (this.currentTest?.state === 'failed') console.log(log.join('\n'));
    assert.deepEqual(ourSidecars(), [], 'no sidecar process is left behind');
  });

  describe('SidecarProcess', () => {
    it('starts the bundle, reads URL and token from the listening line, and stops it with SIGTERM', async () => {
      const lines: SidecarLogLine[] = [];
      const sidecar = await SidecarProcess.start({ bundle, env: environmentFor(dataDir), onLine: (line) => lines.push(line) });
      cleanups.push(() => sidecar.stop());
      assert.match(sidecar.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(sidecar.info.store, 'sqlite');
      assert.equal(sidecar.info.relay, 'memory');
      assert.equal(sidecar.token, fs.readFileSync(path.join(dataDir, 'token'), 'utf8').trim());
      const res = await fetch(`${sidecar.url}/api/runs`, { headers: { authorization: `Bearer ${sidecar.token}` } });
      assert.equal(res.status, 200);
      assert.ok(
        lines.some((line) => line.text.startsWith('listening url=')),
        'the output channel gets the compact listening line',
      );

      const exit = await sidecar.stop();
      assert.deepEqual({ code: exit.code, requested: exit.requested }, { code: 0, requested: true });
      assert.equal(processAlive(sidecar.pid), false);
      assert.equal(sidecar.alive, false);
    });

    it("rejects with `config` and the sidecar's words when it exits with code 2", async () => {
      const env = { ...environmentFor(dataDir), NEO4J_URI: 'http://localhost:7474' };
      const error = await SidecarProcess.start({ bundle, env }).then(
        () => assert.fail('started with a bad NEO4J_URI'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof SidecarStartError);
      assert.equal(error.failure, 'config');
      assert.equal(error.exit?.code, 2);
      assert.match(error.message, /NEO4J_URI="http:\/\/localhost:7474" is not a Neo4j URI/);
    });

    it('rejects with `exited` when the store is held by another sidecar, quoting why', async () => {
      const first = await SidecarProcess.start({ bundle, env: environmentFor(dataDir) });
      cleanups.push(() => first.stop());
      const error = await SidecarProcess.start({ bundle, env: environmentFor(dataDir) }).then(
        () => assert.fail('two sidecars opened one store'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof SidecarStartError);
      assert.equal(error.failure, 'exited');
      assert.match(error.message, new RegExp(`is in use by process ${first.pid}`));
    });

    it('kills a sidecar that does not listen in time, and one whose start was cancelled', async () => {
      const slow = await SidecarProcess.start({ bundle, env: environmentFor(dataDir), startTimeoutMs: 1 }).then(
        () => assert.fail('listened within 1 ms'),
        (e: unknown) => e,
      );
      assert.ok(slow instanceof SidecarStartError);
      assert.equal(slow.failure, 'timeout');
      assert.equal(slow.exit?.signal, 'SIGKILL');

      const controller = new AbortController();
      const starting = SidecarProcess.start({ bundle, env: environmentFor(dataDir), signal: controller.signal });
      controller.abort();
      const aborted = await starting.then(
        () => assert.fail('started although cancelled'),
        (e: unknown) => e,
      );
      assert.ok(aborted instanceof SidecarStartError);
      assert.equal(aborted.failure, 'aborted');
    });

    it('says the bundle is missing instead of spawning nothing', async () => {
      const error = await SidecarProcess.start({ bundle: path.join(dataDir, 'nope.js'), env: {} }).then(
        () => assert.fail('started a missing bundle'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof SidecarStartError);
      assert.equal(error.failure, 'spawn');
      assert.match(error.message, /nope\.js is missing: reinstall the extension/);
    });
  });

  describe('AutoSidecar', () => {
    it('runs the sidecar and restarts it after a crash, on a new URL', async () => {
      const link = auto();
      await link.start();
      const first = running(link.state);
      assert.equal(first.origin, 'spawned');
      assert.equal(first.pid, link.pid);

      const restarting = stateWhere(link, (s) => s.kind === 'starting', 'restarting after the crash');
      process.kill(first.pid as number, 'SIGKILL');
      await restarting;
      const second = running(await stateWhere(link, (s) => s.kind === 'running', 'running again'));
      assert.notEqual(second.pid, first.pid);
      assert.equal(processAlive(first.pid as number), false);
      const res = await fetch(`${second.url}/api/health`);
      assert.equal(res.status, 200);
      assert.ok(log.some((line) => /exited unexpectedly \(signal SIGKILL\); restarting in 0\.05 s/.test(line)));
    });

    it("gives up after three failures within a minute and says why in the sidecar's words", async () => {
      // Another sidecar holds the embedded store: every start exits 1 with the same complaint.
      const holder = await SidecarProcess.start({ bundle, env: environmentFor(dataDir) });
      cleanups.push(() => holder.stop());
      const link = auto({ attach: false });
      await link.start();
      const state = link.state;
      assert.equal(state.kind, 'failed');
      assert.equal(state.kind === 'failed' && state.cause, 'crashes');
      const reason = state.kind === 'failed' ? state.reason : '';
      assert.match(reason, /failed 3 times within 60 s, so it is not restarted again/);
      assert.match(reason, new RegExp(`in use by process ${holder.pid}`));
      assert.ok(holder.alive, 'the other sidecar is untouched');

      // Retry (start again) tries afresh: still failing, but three new attempts.
      const attempts = log.filter((line) => line.includes('starting the sidecar:')).length;
      await link.start();
      assert.equal(link.state.kind, 'failed');
      assert.equal(log.filter((line) => line.includes('starting the sidecar:')).length, attempts + 3);
    });

    it("reports bad settings without starting, and the sidecar's exit 2 as the setting to fix", async () => {
      const misconfigured = auto({ problems: [{ setting: 'runtrail.neo4j.user', message: 'no Neo4j password is stored' }] });
      await misconfigured.start();
      assert.deepEqual(misconfigured.state, {
        kind: 'failed',
        cause: 'settings',
        reason: 'no Neo4j password is stored',
        setting: 'runtrail.neo4j.user',
        lastErrors: [],
      });

      const rejected = auto({ env: { ...environmentFor(dataDir), REDIS_URL: 'localhost:6379' } });
      await rejected.start();
      const state = rejected.state;
      assert.equal(state.kind, 'failed');
      if (state.kind !== 'failed') return;
      assert.equal(state.cause, 'settings');
      assert.equal(state.setting, 'runtrail.redis.url');
      assert.match(state.reason, /^Runtrail cannot start: runtrail\.redis\.url="localhost:6379" is not a Redis URL/);
      assert.equal(log.filter((line) => line.includes('starting the sidecar:')).length, 1, 'exit 2 is not restarted');
    });

    it('uses a sidecar already running on its data folder, leaves it running, and takes over when it goes', async () => {
      const other = await SidecarProcess.start({ bundle, env: environmentFor(dataDir) });
      cleanups.push(() => other.stop());
      const link = auto({ attachedHealthIntervalMs: 100 });
      await link.start();
      const attached = running(link.state);
      assert.deepEqual(
        { origin: attached.origin, pid: attached.pid, url: attached.url },
        { origin: 'attached', pid: other.pid, url: other.url },
      );
      assert.equal(attached.token, other.token);
      assert.equal(link.pid, undefined, 'nothing spawned');

      const ownSidecar = stateWhere(
        link,
        (s) => s.kind === 'running' && s.endpoint.origin === 'spawned',
        'our own sidecar after the other one stopped',
      );
      await other.stop();
      const ownPid = running(await ownSidecar).pid;
      assert.ok(ownPid !== undefined && ownPid !== other.pid);
      assert.equal(link.pid, ownPid);

      await link.stop();
      assert.equal(processAlive(ownPid), false);
    });

    it('does not stop an attached sidecar it did not start', async () => {
      const other = await SidecarProcess.start({ bundle, env: environmentFor(dataDir) });
      cleanups.push(() => other.stop());
      const link = auto();
      await link.start();
      assert.equal(running(link.state).origin, 'attached');
      await link.stop('test');
      assert.deepEqual(link.state, { kind: 'stopped', reason: 'test' });
      assert.ok(other.alive);
    });

    it('stop() during start-up stops the half-started process and waits for it', async () => {
      let spawning: () => void = () => {};
      const spawned = new Promise<void>((resolve) => {
        spawning = resolve;
      });
      const link = auto({
        log: (level, message) => {
          logger.log(level, message);
          // Logged right before the spawn, which happens in the same synchronous step.
          if (message.startsWith('starting the sidecar:')) spawning();
        },
      });
      const starting = link.start();
      await spawned;
      const [child, ...others] = ourSidecars();
      assert.ok(child !== undefined && others.length === 0, 'one sidecar process is starting');
      await link.stop();
      await starting;
      assert.equal(link.state.kind, 'stopped');
      assert.equal(processAlive(child), false);
      assert.ok(!log.some((line) => line.includes('listens on')), 'it was stopped before it listened');
    });

    it('resolves the data folder as the sidecar does', () => {
      assert.equal(resolveDataDir(dataDir, currentHost(undefined)), dataDir);
    });
  });
});
