import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stopProcess } from '../../test/fixtures/services/childProcess';
import { freePort } from '../../test/fixtures/services/freePort';
import { spawnSidecarProcess } from '../../test/fixtures/sidecarProcess';
import { SidecarApi } from './sidecarApi';

export interface BenchSidecar {
  readonly pid: number;
  readonly url: string;
  readonly token: string;
  readonly api: SidecarApi;
  /** Why a failure may be the sidecar's: its exit code, if it exited, and the end of its output. */
  describe(): string;
  stop(): Promise<void>;
}

/**
 * The built sidecar (dist/sidecar.js) as its own process with a fresh data dir, at log level
 * warn so per-request logging costs nothing. startSidecarProcess waits for the info-level
 * `listening` line, which warn suppresses, so this one picks the port and token itself and polls
 * the API until the store is ready (the Neo4j store answers 503 until its schema is in place).
 */
export async function startBenchSidecar(env: Record<string, string | undefined>, maxSockets: number): Promise<BenchSidecar> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runtrail-bench-'));
  const port = await freePort();
  const token = randomBytes(24).toString('hex');
  const { child, output } = spawnSidecarProcess({
    RUNTRAIL_LOG_LEVEL: 'warn',
    ...env,
    RUNTRAIL_PORT: String(port),
    RUNTRAIL_TOKEN: token,
    RUNTRAIL_DATA_DIR: dataDir,
  });
  const url = `http://127.0.0.1:${port}`;
  const api = new SidecarApi(url, token, maxSockets);
  const stop = async () => {
    api.close();
    await stopProcess(child, 15_000);
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitUntilStoreReady(api, () => child.exitCode !== null, output);
  } catch (error) {
    await stop();
    throw error;
  }
  const describe = () =>
    `the sidecar ${child.exitCode === null && child.signalCode === null ? 'is running' : `exited (code ${child.exitCode}, signal ${child.signalCode})`}; ` +
    `the end of its output:\n${output().slice(-4_000)}`;
  return { pid: child.pid as number, url, token, api, describe, stop };
}

async function waitUntilStoreReady(api: SidecarApi, exited: () => boolean, output: () => string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited()) throw new Error(`the sidecar exited during start-up:\n${output()}`);
    const status = await api.request('GET', '/api/runs?limit=1').then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`the sidecar's store was not ready after ${timeoutMs} ms:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
