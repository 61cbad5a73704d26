import type { SettingProblem } from '../settings';
import { explainConfigError } from '../settings';
import { findRunningSidecar } from './discovery';
import { defaultRestartPolicy, RestartPolicy, type RestartPolicyOptions } from './restartPolicy';
import { RuntrailClient } from './runtrailClient';
import { type LinkLogger, LinkStateHolder, type SidecarLink } from './sidecarLink';
import { describeExit, SidecarProcess, SidecarStartError } from './sidecarProcess';

/**
 * Auto mode (no VS Code here): the extension runs the bundled sidecar itself. One instance serves
 * one configuration; the manager builds a new one when the settings change.
 *
 * - Before spawning it looks for a sidecar already running on the same data folder (`runtrail
 *   serve`, the demo, another window): the embedded store has one owner, so a second sidecar
 *   could not open it. Such a sidecar is used, watched by health checks, and never stopped by us;
 *   when it goes away, we spawn our own.
 * - A crash (or a failed start) is restarted after 1 s, then 2 s…; three within a minute and it
 *   gives up, saying why in the sidecar's own words. Exit code 2 is bad configuration: never
 *   restarted, reported with the setting to fix.
 */

export interface AutoSidecarOptions extends LinkLogger {
  /** Absolute path of dist/sidecar.js. */
  readonly bundle: string;
  readonly execPath?: string;
  readonly execArgv?: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** RUNTRAIL_DATA_DIR as the sidecar will resolve it: where to look for a running sidecar. */
  readonly dataDir: string;
  /** Problems found in the settings before starting: reported instead of starting. */
  readonly problems?: readonly SettingProblem[];
  /** Use a sidecar already running on `dataDir` (default true). */
  readonly attach?: boolean;
  readonly policy?: RestartPolicyOptions;
  readonly startTimeoutMs?: number;
  /** SIGTERM, then SIGKILL after this long. */
  readonly stopGraceMs?: number;
  /** How often an attached sidecar's health is checked. */
  readonly attachedHealthIntervalMs?: number;
  readonly now?: () => number;
}

export class AutoSidecar implements SidecarLink {
  private readonly holder = new LinkStateHolder();
  readonly onDidChangeState = this.holder.onDidChangeState;
  private readonly policy: RestartPolicy;
  /** Bumped by start() and stop(): async work of an older generation drops its result. */
  private generation = 0;
  private process: SidecarProcess | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** The launch in progress, so stop() can cancel it and wait: a process still starting is stopped too. */
  private launching: { readonly controller: AbortController; done: Promise<void> } | undefined;

  constructor(private readonly options: AutoSidecarOptions) {
    this.policy = new RestartPolicy(options.policy ?? defaultRestartPolicy);
  }

  get state() {
    return this.holder.state;
  }

  /** The spawned process's id (undefined when attached or not running). */
  get pid(): number | undefined {
    return this.process?.alive ? this.process.pid : undefined;
  }

  async start(): Promise<void> {
    if (this.holder.state.kind === 'running') return;
    // Already on its way up: wait for it rather than kill a process that is nearly listening.
    if (this.holder.state.kind === 'starting' && this.launching !== undefined) return this.holder.settled();
    this.clearTimer();
    this.policy.reset();
    const generation = ++this.generation;
    this.relaunch(generation);
    await this.holder.settled();
  }

  async stop(reason?: string): Promise<void> {
    this.generation++;
    this.clearTimer();
    const launching = this.launching;
    launching?.controller.abort();
    const child = this.process;
    this.process = undefined;
    if (this.holder.state.kind !== 'stopped') this.holder.set({ kind: 'stopped', reason });
    if (child?.alive) {
      this.options.log('info', `stopping the sidecar (pid ${child.pid})`);
      const exit = await child.stop(this.options.stopGraceMs ?? 3_000);
      this.options.log('info', `the sidecar stopped (${describeExit(exit)})`);
    }
    await launching?.done;
  }

  private relaunch(generation: number): void {
    this.launching?.controller.abort();
    const controller = new AbortController();
    const launching = { controller, done: Promise.resolve() };
    this.launching = launching;
    launching.done = this.launch(generation, controller.signal).finally(() => {
      if (this.launching === launching) this.launching = undefined;
    });
  }

  private async launch(generation: number, signal: AbortSignal): Promise<void> {
    const { problems = [], log } = this.options;
    if (problems.length > 0) {
      const [first] = problems;
      this.holder.set({
        kind: 'failed',
        cause: 'settings',
        reason: problems.map((problem) => problem.message).join(' '),
        setting: first?.setting,
        lastErrors: [],
      });
      return;
    }
    this.holder.set({ kind: 'starting' });

    if (this.options.attach !== false && (await this.attach(generation))) return;
    if (generation !== this.generation) return;

    log(
      'info',
      `starting the sidecar: ${this.options.execPath ?? process.execPath} ${this.options.bundle} (data folder ${this.options.dataDir})`,
    );
    let started: SidecarProcess;
    try {
      started = await SidecarProcess.start({
        bundle: this.options.bundle,
        execPath: this.options.execPath,
        execArgv: this.options.execArgv,
        env: this.options.env,
        cwd: this.options.cwd,
        startTimeoutMs: this.options.startTimeoutMs,
        onLine: (line, stream) => this.options.sidecarLine?.(line, stream),
        signal,
      });
    } catch (error) {
      if (generation !== this.generation || signal.aborted) return;
      if (!(error instanceof SidecarStartError)) {
        this.crashed(generation, `Cannot start the sidecar: ${(error as Error).message}`, []);
        return;
      }
      if (error.failure === 'config') {
        const { message, setting } = explainConfigError(error.exit?.lastErrors.join('\n') ?? '');
        log('error', `the sidecar rejected its configuration: ${message}`);
        this.holder.set({
          kind: 'failed',
          cause: 'settings',
          reason: `Runtrail cannot start: ${message}`,
          setting,
          lastErrors: error.exit?.lastErrors ?? [],
        });
        return;
      }
      this.crashed(generation, error.message, error.exit?.lastErrors ?? []);
      return;
    }
    if (generation !== this.generation) {
      await started.stop(this.options.stopGraceMs ?? 3_000);
      return;
    }
    this.process = started;
    const { info } = started;
    log('info', `the sidecar (pid ${started.pid}) listens on ${info.url}, store ${info.store}, relay ${info.relay}`);
    this.holder.set({
      kind: 'running',
      endpoint: {
        url: info.url,
        token: started.token,
        store: info.store,
        relay: info.relay,
        origin: 'spawned',
        pid: started.pid,
        dataDir: info.dataDir ?? this.options.dataDir,
      },
    });
    void started.exited.then((exit) => {
      if (exit.requested || generation !== this.generation || this.process !== started) return;
      this.process = undefined;
      this.crashed(generation, `The sidecar (pid ${started.pid}) exited unexpectedly (${describeExit(exit)})`, exit.lastErrors);
    });
  }

  /** Uses a healthy sidecar already running on our data folder; true when it did. */
  private async attach(generation: number): Promise<boolean> {
    const found = findRunningSidecar(this.options.dataDir);
    if (found === undefined) return false;
    const client = new RuntrailClient(found.url, found.token, { timeoutMs: 3_000 });
    try {
      await client.health();
      await client.listRuns({ limit: 1 });
    } catch (error) {
      this.options.log(
        'warn',
        `a sidecar (pid ${found.pid}) is registered on ${this.options.dataDir} but does not answer at ${found.url}: ${(error as Error).message}`,
      );
      return false;
    }
    if (generation !== this.generation) return true;
    this.options.log(
      'info',
      `using the sidecar already running on this data folder: pid ${found.pid} at ${found.url} (started outside this window; stop it to let VS Code run its own)`,
    );
    this.holder.set({
      kind: 'running',
      endpoint: {
        url: found.url,
        token: found.token,
        store: found.store,
        relay: found.relay,
        origin: 'attached',
        pid: found.pid,
        dataDir: this.options.dataDir,
      },
    });
    this.watchAttached(generation, client, found.pid);
    return true;
  }

  private watchAttached(generation: number, client: RuntrailClient, pid: number): void {
    this.timer = setTimeout(async () => {
      if (generation !== this.generation) return;
      try {
        await client.health();
        if (generation === this.generation) this.watchAttached(generation, client, pid);
      } catch (error) {
        if (generation !== this.generation) return;
        this.options.log('warn', `the sidecar (pid ${pid}) at ${client.url} went away (${(error as Error).message}): starting our own`);
        this.relaunch(generation);
      }
    }, this.options.attachedHealthIntervalMs ?? 10_000);
  }

  private crashed(generation: number, what: string, lastErrors: readonly string[]): void {
    const decision = this.policy.recordCrash((this.options.now ?? Date.now)());
    const said = lastErrors.at(-1);
    if (decision.action === 'giveUp') {
      const window = Math.round(decision.windowMs / 1000);
      const reason = `The Runtrail sidecar failed ${decision.crashes} times within ${window} s, so it is not restarted again.${said === undefined ? '' : ` Last error: ${said}`}`;
      this.options.log('error', `${what}. ${reason}`);
      this.holder.set({ kind: 'failed', cause: 'crashes', reason, lastErrors });
      return;
    }
    this.options.log('warn', `${what}; restarting in ${decision.delayMs / 1000} s`);
    this.holder.set({ kind: 'starting', detail: `restarting after a crash${said === undefined ? '' : `: ${said}`}` });
    this.clearTimer();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (generation === this.generation) this.relaunch(generation);
    }, decision.delayMs);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
