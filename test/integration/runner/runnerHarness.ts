import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ErrorBody } from '../../../protocol/errors';
import { FlatTree, Node, Run, RunDetail } from '../../../protocol/runs';
import { eventually, readJson, startTestSidecar, type TestSidecar } from '../../fixtures/sidecarApp';

/** The scripted workflow (test/fixtures/runner/workflow.mjs) run with this very node. */
export const fixtureScript = path.resolve(__dirname, '../../fixtures/runner/workflow.mjs');

/** A runtrail.json workflow entry running the fixture with these actions. */
export function scripted(...actions: string[]): { command: string[] } {
  return { command: [process.execPath, fixtureScript, ...actions] };
}

export async function expectError(res: Response, status: number, code: string, message?: RegExp) {
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${await res.clone().text()}`);
  const body = await readJson(res, ErrorBody);
  assert.equal(body.error.code, code);
  if (message) assert.match(body.error.message, message);
  return body;
}

/**
 * An in-process sidecar with its own workspace (RUNTRAIL_WORKSPACE) and data dir. `stop()` also
 * kills every workflow process group still in its ledger, so no test leaves processes behind.
 */
export class RunnerHarness {
  private constructor(
    readonly sidecar: TestSidecar,
    readonly workspace: string,
    readonly dataDir: string,
    private readonly ownsDirs: boolean,
  ) {}

  static async start(env: Record<string, string> = {}, dirs?: { workspace: string; dataDir: string }): Promise<RunnerHarness> {
    const workspace = dirs?.workspace ?? fs.mkdtempSync(path.join(os.tmpdir(), 'runtrail-ws-'));
    const dataDir = dirs?.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'runtrail-runner-'));
    const sidecar = await startTestSidecar({ ...env, RUNTRAIL_WORKSPACE: workspace, RUNTRAIL_DATA_DIR: dataDir });
    return new RunnerHarness(sidecar, workspace, dataDir, dirs === undefined);
  }

  get configFile(): string {
    return path.join(this.workspace, 'runtrail.json');
  }

  /** Writes runtrail.json: an object as JSON, a string as is. */
  writeConfig(config: unknown): void {
    fs.writeFileSync(this.configFile, typeof config === 'string' ? config : JSON.stringify(config, null, 2));
  }

  startRun(name: string, body?: unknown): Promise<Response> {
    return this.sidecar.send('POST', `/api/workflows/${encodeURIComponent(name)}/runs`, body ?? {});
  }

  async started(name: string, body?: unknown): Promise<Run> {
    const res = await this.startRun(name, body);
    assert.equal(res.status, 201, await res.clone().text());
    return readJson(res, Run);
  }

  async run(runId: string): Promise<Run> {
    return readJson(await this.sidecar.request(`/api/runs/${runId}`), RunDetail);
  }

  /** Waits until the run left `running` (the runner finishes it after committing its output). */
  finished(runId: string, timeoutMs = 20_000): Promise<Run> {
    return eventually(
      () => this.run(runId),
      (run) => run.status !== 'running',
      timeoutMs,
      `run ${runId} finished`,
    );
  }

  /** The run's log nodes with payloads, in tree order (seq). */
  async logNodes(runId: string): Promise<Node[]> {
    const tree = await readJson(await this.sidecar.request(`/api/runs/${runId}/tree`), FlatTree);
    const logs = tree.nodes.filter((node) => node.kind === 'log');
    return Promise.all(logs.map(async (node) => readJson(await this.sidecar.request(`/api/nodes/${node.id}`), Node)));
  }

  /** Waits for a log line (e.g. "ready") of a run that is still going. */
  waitForLine(runId: string, line: string, timeoutMs = 20_000): Promise<Node[]> {
    return eventually(
      () => this.logNodes(runId),
      (nodes) => nodes.some((node) => (node.output as { line?: string } | null)?.line === line),
      timeoutMs,
      `log line ${JSON.stringify(line)} of run ${runId}`,
    );
  }

  /** Stops the sidecar only: the data dir (ledger, store) stays for a successor. */
  async closeSidecar(): Promise<void> {
    await this.sidecar.close();
  }

  async stop(): Promise<void> {
    await this.sidecar.close();
    killLeftovers(this.dataDir);
    if (this.ownsDirs) {
      fs.rmSync(this.workspace, { recursive: true, force: true });
      fs.rmSync(this.dataDir, { recursive: true, force: true });
    }
  }
}

/** SIGKILLs the process group of every workflow still in a data dir's ledger. */
export function killLeftovers(dataDir: string): void {
  const folder = path.join(dataDir, 'runner');
  if (!fs.existsSync(folder)) return;
  for (const name of fs.readdirSync(folder)) {
    try {
      const { pid } = JSON.parse(fs.readFileSync(path.join(folder, name), 'utf8')) as { pid: number };
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Gone already, or not an entry.
    }
  }
}

/** Whether a pid is a live process (a zombie counts as gone). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Reads a pid a fixture wrote, once it is there. */
export function readPid(file: string): Promise<number> {
  return eventually(
    async () => (fs.existsSync(file) ? Number(fs.readFileSync(file, 'utf8')) : 0),
    (pid) => pid > 0,
    10_000,
    `pid in ${file}`,
  );
}
