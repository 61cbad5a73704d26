import { type ChildProcess, spawn } from 'node:child_process';
import type { ErrorInfo, Run } from '../../protocol/runs';
import { terminalStatuses } from '../../protocol/runs';
import type { CancelRunResponse, StartWorkflowRequest, WorkflowList } from '../../protocol/workflows';
import { DomainError } from '../errors';
import type { IngestQueue } from '../ingest/ingestQueue';
import type { Logger } from '../log';
import type { Relay } from '../relay/relay';
import { runEvent } from '../relay/relayEvents';
import { finishPatch, newRunRow } from '../runs/runLifecycle';
import { toRun } from '../store/rowMapping';
import type { RunPatch, RunStore } from '../store/runStore';
import { Backoff } from '../util/backoff';
import { processAlive, processStartTicks } from '../util/processes';
import { gitContext } from './gitContext';
import { LogNodeWriter, type OutputStream } from './logNodes';
import { OutputLines } from './outputLines';
import { type LedgerEntry, RunnerLedger, signalGroup } from './runnerLedger';
import { configFileName, describeWorkflows, isDeclaredLaunch, readWorkflowConfig, replayEnv, resolveWorkflow } from './workflowConfig';

export interface WorkflowRunnerDeps {
  readonly store: RunStore;
  readonly relay: Relay;
  readonly ingest: IngestQueue;
  readonly log: Logger;
  readonly dataDir: string;
  /** Where runtrail.json is looked for. */
  readonly workspace: string;
  /** Handed to workflows as RUNTRAIL_TOKEN. */
  readonly token: string;
  /** The sidecar's own URL (handed to workflows as RUNTRAIL_URL); known once it listens. */
  readonly sidecarUrl: () => string | undefined;
  readonly storeReady: () => boolean;
  readonly cancelGraceMs: number;
  readonly maxFieldBytes: number;
  /** How often a workflow adopted from the ledger is checked for being gone. */
  readonly lostPollMs?: number;
}

/** What to spawn for a run; `start` builds it from runtrail.json, replay may build its own. */
export interface LaunchSpec {
  readonly workflow: string;
  readonly argv: readonly string[];
  readonly cwd: string;
  /** Added to the sidecar's environment (before the RUNTRAIL_* variables the runner sets). */
  readonly env: Readonly<Record<string, string>>;
  readonly labels?: readonly string[];
  readonly replayOf?: string;
  readonly forkedFromNode?: string;
}

type Outcome = { status: 'ok' } | { status: 'cancelled' } | { status: 'error'; error: Exclude<ErrorInfo, string> };

interface ActiveRun {
  readonly runId: string;
  readonly workflow: string;
  readonly child: ChildProcess;
  /** Also the process group id: workflows are spawned detached, as group leaders. */
  readonly pid: number;
  readonly output: LogNodeWriter;
  cancelRequested: boolean;
  exited: boolean;
}

interface AdoptedRun {
  readonly entry: LedgerEntry;
  cancelRequested: boolean;
}

/** The sidecar's own environment that must not leak into a workflow's. */
const notInherited = ['ELECTRON_RUN_AS_NODE', 'RUNTRAIL_REPLAY_OF', 'RUNTRAIL_REPLAY_UNTIL', 'RUNTRAIL_OVERRIDES'];
/** After the workflow exits, how long a grandchild holding its pipes may keep them before we stop reading. */
const pipeGraceMs = 2_000;

/**
 * OpenTelemetry exporter settings for a spawned workflow, so a program instrumented only with OTel
 * sends its spans into the run the runner made (POST /v1/traces, resource runtrail.run.id), with
 * no code change. Whatever the workflow's own env (runtrail.json) sets wins. The header value is
 * URL-encoded: the JS and Python exporters URL-decode OTEL_EXPORTER_OTLP_*_HEADERS values.
 */
export function otelEnv(
  sidecarUrl: string,
  token: string,
  runId: string,
  own: Readonly<Record<string, string>>,
  inheritedResource: string | undefined,
): Record<string, string> {
  const env: Record<string, string> = {};
  if (own.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT === undefined)
    env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = `${sidecarUrl.replace(/\/+$/, '')}/v1/traces`;
  if (own.OTEL_EXPORTER_OTLP_TRACES_HEADERS === undefined)
    env.OTEL_EXPORTER_OTLP_TRACES_HEADERS = `Authorization=Bearer%20${encodeURIComponent(token)}`;
  if (own.OTEL_RESOURCE_ATTRIBUTES === undefined) {
    const base = inheritedResource?.trim() ?? '';
    env.OTEL_RESOURCE_ATTRIBUTES = `${base === '' ? '' : `${base},`}runtrail.run.id=${encodeURIComponent(runId)}`;
  }
  return env;
}

export const lostError = { message: 'the workflow process vanished (lost)', reason: 'lost' };

/**
 * Runs the workflows declared in runtrail.json (DESIGN.md "Runner, replay, fork, decisions"): each
 * start creates a run through the normal run lifecycle (so watchers see it), spawns the command as
 * the leader of its own process group with RUNTRAIL_URL/TOKEN/RUN_ID/WORKFLOW in its environment,
 * records every stdout/stderr line as a `log` node, and after the output is committed sets the
 * run's status from the exit. Cancel signals the whole group (SIGTERM, then SIGKILL).
 *
 * Each live workflow has an entry in the ledger (runnerLedger.ts). Stopping the sidecar does not
 * kill workflows: it stops reading their output (a workflow that keeps printing then gets EPIPE /
 * SIGPIPE, as with any closed pipe) and leaves their entries, so the next sidecar on the same data
 * dir marks each run `error` with reason `lost` once its process is gone.
 */
export class WorkflowRunner {
  private readonly ledger: RunnerLedger;
  private readonly active = new Map<string, ActiveRun>();
  private readonly adopted = new Map<string, AdoptedRun>();
  /** Runs being finished right now; close() waits for them. */
  private readonly settling = new Set<Promise<void>>();
  private pollTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly deps: WorkflowRunnerDeps) {
    this.ledger = new RunnerLedger(deps.dataDir);
  }

  /** GET /api/workflows: the file as it is now; no file is an empty list, not an error. */
  listWorkflows(): WorkflowList {
    const config = readWorkflowConfig(this.deps.workspace);
    if (config === undefined) return { configFile: null, workflows: [] };
    return { configFile: config.file, workflows: describeWorkflows(config) };
  }

  /**
   * What runtrail.json says about replaying a run's argv in its cwd (read once): whether workflow
   * `name` declares exactly that launch (workflowConfig.isDeclaredLaunch), and if so the env it
   * gets again (workflowConfig.replayEnv). An undeclared launch gets no declared env: a run that
   * only carries a workflow's name must not receive that workflow's variables (they may be
   * secrets). A runtrail.json that cannot be read now declares nothing.
   */
  replayLaunch(
    workflow: string,
    argv: readonly string[],
    cwd: string,
  ): { readonly declared: boolean; readonly env: Record<string, string> } {
    let config: ReturnType<typeof readWorkflowConfig>;
    try {
      config = readWorkflowConfig(this.deps.workspace);
    } catch {
      return { declared: false, env: {} };
    }
    const declared = isDeclaredLaunch(config, workflow, argv, cwd);
    return { declared, env: declared ? replayEnv(config, workflow, cwd) : {} };
  }

  /** POST /api/workflows/:name/runs. */
  async start(name: string, request: StartWorkflowRequest): Promise<Run> {
    const config = readWorkflowConfig(this.deps.workspace);
    if (config === undefined) {
      throw new DomainError(
        'not_found',
        `No ${configFileName} in ${this.deps.workspace} (RUNTRAIL_WORKSPACE), so no workflow ${JSON.stringify(name)}: create the file to declare workflows.`,
        { workspace: this.deps.workspace },
      );
    }
    const workflow = resolveWorkflow(config, name, request.inputs ?? {});
    return this.launch({ workflow: name, argv: workflow.argv, cwd: workflow.cwd, env: workflow.env, labels: request.labels });
  }

  /**
   * Creates the run and spawns its process; resolves once the process started (or failed to).
   * A command that cannot be started (not found, not executable) still gives a run, finished as
   * `error` with a message naming the command, so the attempt shows in the run list like any
   * other failure.
   */
  async launch(spec: LaunchSpec): Promise<Run> {
    if (this.closed) {
      throw new DomainError('unavailable', 'The sidecar is shutting down: start the workflow on its successor.', undefined, 1);
    }
    const url = this.deps.sidecarUrl();
    if (url === undefined) throw new DomainError('unavailable', 'The sidecar is not listening yet: retry shortly.', undefined, 1);
    const git = await gitContext(spec.cwd);
    const row = newRunRow(
      {
        workflow: spec.workflow,
        command: [...spec.argv],
        cwd: spec.cwd,
        git,
        labels: spec.labels === undefined ? undefined : [...spec.labels],
        replayOf: spec.replayOf,
        forkedFromNode: spec.forkedFromNode,
      },
      Date.now(),
    );
    const { run } = await this.deps.store.createRun(row);
    const created = toRun(run);
    this.deps.relay.publish([runEvent(created)]);

    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of notInherited) delete env[name];
    Object.assign(env, spec.env, {
      RUNTRAIL_URL: reachableUrl(url),
      RUNTRAIL_TOKEN: this.deps.token,
      RUNTRAIL_RUN_ID: run.id,
      RUNTRAIL_WORKFLOW: spec.workflow,
    });
    Object.assign(env, otelEnv(reachableUrl(url), this.deps.token, run.id, spec.env, process.env.OTEL_RESOURCE_ATTRIBUTES));
    const [program = '', ...args] = spec.argv;
    let child: ChildProcess;
    try {
      child = spawn(program, args, { cwd: spec.cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    } catch (error) {
      return this.failedToStart(run.id, spec, error as NodeJS.ErrnoException);
    }
    const failure = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      child.once('spawn', () => resolve(undefined));
      child.once('error', resolve);
    });
    // Later errors (a failed kill) must not crash the sidecar.
    child.on('error', (error) => this.deps.log.warn({ runId: run.id, err: error }, 'workflow process error'));
    if (failure !== undefined || child.pid === undefined) return this.failedToStart(run.id, spec, failure);

    const active = this.track(run.id, spec.workflow, child, child.pid);
    this.deps.log.info({ runId: run.id, workflow: spec.workflow, pid: child.pid, argv: spec.argv, cwd: spec.cwd }, 'workflow started');
    this.supervise(active).catch((error: unknown) => this.deps.log.error({ runId: run.id, err: error }, 'supervising a workflow failed'));
    return created;
  }

  /**
   * POST /api/runs/:runId/cancel: SIGTERM to the run's process group, SIGKILL after the grace
   * period; the run ends `cancelled`. Repeating it while the run is ending is harmless.
   */
  async cancel(runId: string): Promise<CancelRunResponse> {
    const active = this.active.get(runId);
    if (active !== undefined && !active.exited) {
      if (!active.cancelRequested) {
        active.cancelRequested = true;
        this.deps.log.info({ runId, pid: active.pid }, 'cancelling workflow');
        this.killGroup(active.pid);
      }
      return { runId, status: 'cancelling' };
    }
    const adopted = this.adopted.get(runId);
    if (adopted !== undefined) {
      if (!adopted.cancelRequested) {
        adopted.cancelRequested = true;
        this.killGroup(adopted.entry.pid);
      }
      return { runId, status: 'cancelling' };
    }
    const run = await this.deps.store.getRun(runId);
    if (run === undefined) throw new DomainError('not_found', `No run ${runId}.`);
    if (active !== undefined) {
      throw new DomainError('conflict', `Run ${runId} cannot be cancelled: its process has exited already and the run is being finished.`);
    }
    if (terminalStatuses.includes(run.status)) {
      throw new DomainError('conflict', `Run ${runId} cannot be cancelled: it already finished as ${run.status}.`, { status: run.status });
    }
    throw new DomainError(
      'conflict',
      `Run ${runId} cannot be cancelled: it is running, but not under this sidecar's runner (it was started by a workflow through the API, or by another sidecar); stop its process where it runs.`,
      { status: run.status },
    );
  }

  /**
   * Settles what the ledger holds from before this sidecar started: runs of gone processes are
   * finished `error`/`lost` now; live ones are watched and finished the same way once they end
   * (their exit code is unknowable: they are not our children any more). Waits for the store.
   */
  async recover(): Promise<void> {
    while (!this.deps.storeReady()) {
      if (this.closed) return;
      await new Promise((resolve) => setTimeout(resolve, 500).unref());
    }
    for (const entry of this.ledger.entries()) {
      if (this.closed) return;
      if (this.active.has(entry.runId) || this.adopted.has(entry.runId)) continue;
      // A live other sidecar on this data dir (team mode on Neo4j) still owns its workflows.
      if (entry.sidecarPid !== process.pid && entry.sidecarPid !== 0 && processAlive(entry.sidecarPid)) continue;
      const run = await this.deps.store.getRun(entry.runId);
      if (run === undefined || run.status !== 'running') {
        this.ledger.remove(entry.runId);
        continue;
      }
      if (isGone(entry)) {
        this.deps.log.warn({ runId: entry.runId, pid: entry.pid }, 'workflow process vanished while no sidecar watched it: run lost');
        await this.settle(entry.runId, { status: 'error', error: lostError });
      } else {
        this.deps.log.info({ runId: entry.runId, pid: entry.pid }, 'watching a workflow started before this sidecar');
        this.adopted.set(entry.runId, { entry, cancelRequested: false });
      }
    }
    if (this.adopted.size > 0 && !this.closed) {
      this.pollTimer = setInterval(() => this.pollAdopted(), this.deps.lostPollMs ?? 2_000);
      this.pollTimer.unref();
    }
  }

  /**
   * Stops recording without stopping workflows: no more output is read (what was read is
   * committed first), ledger entries stay for the next sidecar, runs that are finishing right
   * now are finished.
   */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.pollTimer);
    for (const active of this.active.values()) {
      if (active.exited) continue;
      active.child.stdout?.destroy();
      active.child.stderr?.destroy();
      active.child.unref();
    }
    await Promise.allSettled([...this.active.values()].map((active) => active.output.drain()));
    for (const active of this.active.values()) if (!active.exited) active.output.stop();
    await Promise.allSettled([...this.settling]);
  }

  private track(runId: string, workflow: string, child: ChildProcess, pid: number): ActiveRun {
    const pipes = [child.stdout, child.stderr];
    const output = new LogNodeWriter(runId, this.deps.ingest, this.deps.log, this.deps.maxFieldBytes, (paused) => {
      for (const pipe of pipes) {
        if (paused) pipe?.pause();
        else pipe?.resume();
      }
    });
    const active: ActiveRun = { runId, workflow, child, pid, output, cancelRequested: false, exited: false };
    this.active.set(runId, active);
    try {
      this.ledger.record({
        runId,
        pid,
        workflow,
        startedAt: new Date().toISOString(),
        sidecarPid: process.pid,
        startTicks: processStartTicks(pid),
      });
    } catch (error) {
      // Without the entry only the lost-after-restart detection is missing; the run goes on.
      this.deps.log.warn({ runId, err: error }, 'could not write the runner ledger entry');
    }
    return active;
  }

  /** Reads the output until the process and its pipes are done, then finishes the run. */
  private async supervise(active: ActiveRun): Promise<void> {
    const { child, output, runId } = active;
    const lines: Record<OutputStream, OutputLines> = {
      stdout: new OutputLines((line) => output.line('stdout', line)),
      stderr: new OutputLines((line) => output.line('stderr', line)),
    };
    for (const stream of ['stdout', 'stderr'] as const) {
      const pipe = child[stream];
      pipe?.on('data', (chunk: Buffer) => lines[stream].push(chunk));
      pipe?.on('error', (error) => this.deps.log.debug({ runId, stream, err: error }, 'workflow pipe error'));
    }
    const ended = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('exit', () => {
        active.exited = true;
        // A grandchild that inherited the pipes may hold them open for long: stop waiting for it
        // (but not while the pipes are paused because the store is behind: that output is the workflow's).
        const closePipes = () => {
          if (output.isPaused) {
            setTimeout(closePipes, pipeGraceMs).unref();
            return;
          }
          child.stdout?.destroy();
          child.stderr?.destroy();
        };
        setTimeout(closePipes, pipeGraceMs).unref();
      });
      child.once('close', (code, signal) => resolve({ code, signal }));
    });
    active.exited = true;
    if (this.closed) return;
    lines.stdout.end();
    lines.stderr.end();
    const settled = (async () => {
      await output.drain();
      const outcome: Outcome = active.cancelRequested
        ? { status: 'cancelled' }
        : ended.code === 0
          ? { status: 'ok' }
          : ended.code !== null
            ? { status: 'error', error: { message: `exited with code ${ended.code}`, exitCode: ended.code } }
            : { status: 'error', error: { message: `killed by ${ended.signal}`, signal: ended.signal } };
      this.deps.log.info({ runId, ...ended, status: outcome.status, lines: output.lineCounts }, 'workflow ended');
      await this.settle(runId, outcome);
    })();
    this.settling.add(settled);
    try {
      await settled;
    } finally {
      this.settling.delete(settled);
      this.active.delete(runId);
    }
  }

  /**
   * Finishes the run through the run lifecycle and drops its ledger entry. A run its workflow
   * finished already (through the API) keeps what it said, except that a failed exit turns an
   * `ok` into `error`. Store failures are retried for about a minute; after that the entry stays,
   * and the next sidecar settles the run as lost.
   */
  private async settle(runId: string, outcome: Outcome): Promise<void> {
    const backoff = new Backoff({ initialMs: 200, maxMs: 10_000 });
    for (let attempt = 1; ; attempt++) {
      try {
        await this.finishRun(runId, outcome);
        this.ledger.remove(runId);
        return;
      } catch (error) {
        if (this.closed || attempt >= 10) {
          this.deps.log.error({ runId, err: error, outcome }, 'could not finish the run of a workflow');
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, backoff.next()));
      }
    }
  }

  private async finishRun(runId: string, outcome: Outcome): Promise<void> {
    const { store, relay } = this.deps;
    const run = await store.getRun(runId);
    // Deleted while it ran: nothing to finish.
    if (run === undefined) return;
    let patch: RunPatch;
    if (terminalStatuses.includes(run.status)) {
      const exitFailed = outcome.status === 'error' && outcome.error !== lostError;
      if (!(exitFailed && run.status === 'ok')) return;
      patch = { status: 'error', error: JSON.stringify(outcome.error) };
    } else {
      patch = finishPatch(run, { status: outcome.status, ...(outcome.status === 'error' ? { error: outcome.error } : {}) }, Date.now());
    }
    const updated = await store.updateRun(runId, patch);
    if (updated !== undefined) relay.publish([runEvent(toRun(updated))]);
  }

  private failedToStart(runId: string, spec: LaunchSpec, error: NodeJS.ErrnoException | undefined): Promise<Run> {
    const program = spec.argv[0] ?? '';
    const code = error?.code ?? 'unknown';
    const why =
      code === 'ENOENT'
        ? `${JSON.stringify(program)} was not found (${program.includes('/') || program.includes('\\') ? `relative to ${spec.cwd}` : 'on PATH'})`
        : code === 'EACCES'
          ? `${JSON.stringify(program)} is not executable (EACCES)`
          : `${JSON.stringify(program)} failed to start (${error?.message ?? code})`;
    const message = `cannot start workflow ${spec.workflow}: ${why}`;
    this.deps.log.warn({ runId, argv: spec.argv, cwd: spec.cwd, err: error }, message);
    return this.finishRunNow(runId, { message, reason: 'spawn_failed', code, command: [...spec.argv] });
  }

  private async finishRunNow(runId: string, error: Exclude<ErrorInfo, string>): Promise<Run> {
    await this.finishRun(runId, { status: 'error', error });
    const run = await this.deps.store.getRun(runId);
    if (run === undefined) throw new DomainError('not_found', `Run ${runId} was deleted while it started.`);
    return toRun(run);
  }

  private killGroup(pid: number): void {
    if (!signalGroup(pid, 'SIGTERM')) return;
    // Also after the leader exits: a grandchild that ignores SIGTERM still goes.
    setTimeout(() => {
      try {
        signalGroup(pid, 'SIGKILL');
      } catch (error) {
        this.deps.log.warn({ pid, err: error }, 'could not SIGKILL a cancelled workflow');
      }
    }, this.deps.cancelGraceMs).unref();
  }

  private pollAdopted(): void {
    for (const [runId, adopted] of this.adopted) {
      if (!isGone(adopted.entry)) continue;
      this.adopted.delete(runId);
      const outcome: Outcome = adopted.cancelRequested ? { status: 'cancelled' } : { status: 'error', error: lostError };
      this.deps.log.warn({ runId, pid: adopted.entry.pid, status: outcome.status }, 'adopted workflow process ended');
      const settled = this.settle(runId, outcome).finally(() => this.settling.delete(settled));
      this.settling.add(settled);
    }
    if (this.adopted.size === 0) clearInterval(this.pollTimer);
  }
}

/** Gone, or its pid now belongs to another process (same pid, another start time). */
function isGone(entry: LedgerEntry): boolean {
  if (!processAlive(entry.pid)) return true;
  const ticks = processStartTicks(entry.pid);
  return entry.startTicks !== undefined && ticks !== undefined && ticks !== entry.startTicks;
}

/** A wildcard bind address is not a destination: workflows connect over loopback instead. */
function reachableUrl(url: string): string {
  return url.replace('//0.0.0.0:', '//127.0.0.1:').replace('//[::]:', '//[::1]:');
}
