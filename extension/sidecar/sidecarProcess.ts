import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as readline from 'node:readline';
import { formatSidecarLine, type ListeningInfo, parseListeningLine, type SidecarLogLine } from './sidecarLog';

/**
 * One run of the bundled sidecar as a child process (no VS Code here, so the tests drive it under
 * plain node): spawn `dist/sidecar.js` with the given runtime, stream its output line by line to
 * `onLine` for as long as it lives (a pipe nobody reads would block it), read the URL and token
 * back from its `listening` line, and stop it with SIGTERM, then SIGKILL. Restart policy and
 * state belong to SidecarManager; this class only knows one process.
 */

export interface SidecarProcessOptions {
  /** Absolute path of dist/sidecar.js. */
  readonly bundle: string;
  /** The runtime: VS Code's own (`process.execPath`, with ELECTRON_RUN_AS_NODE=1 in `env`) or node. */
  readonly execPath?: string;
  /** Runtime flags before the bundle, e.g. `--inspect=9229` for a debug variant. */
  readonly execArgv?: readonly string[];
  /** The whole environment of the child (see settings.ts `sidecarEnvironment`). */
  readonly env: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** How long to wait for the `listening` line before killing it. */
  readonly startTimeoutMs?: number;
  /** Every output line, formatted; called until the process has exited. */
  readonly onLine?: (line: SidecarLogLine, stream: 'stdout' | 'stderr') => void;
  /** Aborting before it listens stops the child (SIGTERM, then SIGKILL) and rejects with `aborted`. */
  readonly signal?: AbortSignal;
}

export interface SidecarExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** True when stop() asked for it; false for a crash. */
  readonly requested: boolean;
  /** The last stderr lines and error-level log lines: why it died, in its own words. */
  readonly lastErrors: readonly string[];
}

/** Why a start failed: `config` is exit code 2 (bad settings; restarting cannot help); `aborted`: the caller gave up. */
export type SidecarStartFailure = 'config' | 'exited' | 'timeout' | 'spawn' | 'token' | 'aborted';

export class SidecarStartError extends Error {
  override name = 'SidecarStartError';
  constructor(
    readonly failure: SidecarStartFailure,
    message: string,
    readonly exit?: SidecarExit,
  ) {
    super(message);
  }
}

const lastErrorLines = 20;
/** After `exit`, output still in the pipes is read for at most this long. */
const drainMs = 500;

/** Children alive in this process; SIGTERMed if the extension host exits without stopping them. */
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

function trackChild(child: ChildProcess): void {
  liveChildren.add(child);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const live of liveChildren) live.kill('SIGTERM');
  });
}

export class SidecarProcess {
  private stopRequested = false;

  private constructor(
    private readonly child: ChildProcess,
    readonly pid: number,
    readonly info: ListeningInfo,
    readonly token: string,
    /** Settles once the process has exited and its output has been read. */
    readonly exited: Promise<SidecarExit>,
    private readonly markRequested: () => void,
  ) {}

  get url(): string {
    return this.info.url;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Spawns the bundle and resolves once it listens. Rejects with SidecarStartError when it exits
   * first (exit code 2: `config`), does not listen within the timeout (it is killed), or leaves no
   * readable token. Never leaves a process behind on rejection.
   */
  static start(options: SidecarProcessOptions): Promise<SidecarProcess> {
    const { bundle, execPath = process.execPath, execArgv = [], env, cwd, startTimeoutMs = 30_000, onLine, signal } = options;
    if (signal?.aborted) return Promise.reject(new SidecarStartError('aborted', 'The sidecar start was cancelled.'));
    if (!fs.existsSync(bundle)) {
      return Promise.reject(
        new SidecarStartError('spawn', `The sidecar bundle ${bundle} is missing: reinstall the extension (or run npm run build).`),
      );
    }
    let child: ChildProcess;
    try {
      child = spawn(execPath, [...execArgv, bundle], { env: { ...env }, cwd, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    } catch (error) {
      return Promise.reject(new SidecarStartError('spawn', `Cannot start ${execPath}: ${(error as Error).message}`));
    }
    trackChild(child);

    let requested = false;
    const lastErrors: string[] = [];
    const remember = (text: string) => {
      lastErrors.push(text);
      if (lastErrors.length > lastErrorLines) lastErrors.shift();
    };
    let onListening: ((info: ListeningInfo) => void) | undefined;

    const readers = (['stdout', 'stderr'] as const).map((stream) => {
      const reader = readline.createInterface({ input: child[stream] as NodeJS.ReadableStream, crlfDelay: Number.POSITIVE_INFINITY });
      reader.on('line', (raw) => {
        if (raw.trim() === '') return;
        const line = formatSidecarLine(raw, stream);
        if (stream === 'stderr' || line.level === 'error') remember(line.text);
        if (stream === 'stdout' && onListening !== undefined) {
          const info = parseListeningLine(raw);
          if (info !== undefined) onListening(info);
        }
        onLine?.(line, stream);
      });
      return new Promise<void>((resolve) => reader.once('close', resolve));
    });

    const exited = new Promise<SidecarExit>((resolve) => {
      let spawnError: Error | undefined;
      child.once('error', (error) => {
        spawnError = error;
        // A process that never started emits no 'exit'.
        if (child.pid === undefined) finish(null, null);
      });
      child.once('exit', (code, signal) => finish(code, signal));
      let finished = false;
      function finish(code: number | null, signal: NodeJS.Signals | null) {
        if (finished) return;
        finished = true;
        liveChildren.delete(child);
        if (spawnError !== undefined && child.pid === undefined) remember(`cannot start ${execPath}: ${spawnError.message}`);
        const drained = Promise.all(readers).then(() => undefined);
        const timeout = new Promise<void>((r) => setTimeout(r, drainMs).unref?.());
        void Promise.race([drained, timeout]).then(() => resolve({ code, signal, requested, lastErrors: [...lastErrors] }));
      }
    });

    return new Promise<SidecarProcess>((resolve, reject) => {
      let settled = false;
      const onAbort = () => {
        if (settled) return;
        settled = true;
        onListening = undefined;
        clearTimeout(timer);
        child.kill('SIGTERM');
        const kill = setTimeout(() => child.kill('SIGKILL'), 3_000);
        void exited.then((exit) => {
          clearTimeout(kill);
          reject(new SidecarStartError('aborted', 'The sidecar start was cancelled.', exit));
        });
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      void exited.then(() => signal?.removeEventListener('abort', onAbort));
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        onListening = undefined;
        child.kill('SIGKILL');
        void exited.then((exit) =>
          reject(
            new SidecarStartError('timeout', `The sidecar did not report listening within ${Math.round(startTimeoutMs / 1000)} s.`, exit),
          ),
        );
      }, startTimeoutMs);

      onListening = (info) => {
        if (settled) return;
        settled = true;
        onListening = undefined;
        clearTimeout(timer);
        let token: string | undefined;
        try {
          token = info.tokenFile === null ? env.RUNTRAIL_TOKEN : fs.readFileSync(info.tokenFile, 'utf8').trim();
        } catch (error) {
          token = undefined;
          remember(`cannot read the token file ${info.tokenFile}: ${(error as Error).message}`);
        }
        if (token === undefined || token === '') {
          child.kill('SIGKILL');
          void exited.then((exit) =>
            reject(
              new SidecarStartError(
                'token',
                `The sidecar listens on ${info.url} but its token could not be read (${info.tokenFile ?? 'no token file'}).`,
                exit,
              ),
            ),
          );
          return;
        }
        const pid = child.pid ?? 0;
        resolve(
          new SidecarProcess(child, pid, info, token, exited, () => {
            requested = true;
          }),
        );
      };

      void exited.then((exit) => {
        if (settled) return;
        settled = true;
        onListening = undefined;
        clearTimeout(timer);
        const said = exit.lastErrors.length > 0 ? `: ${exit.lastErrors.join(' ')}` : '';
        if (exit.code === 2) reject(new SidecarStartError('config', `The sidecar rejected its configuration${said}`, exit));
        else if (child.pid === undefined) reject(new SidecarStartError('spawn', `Cannot start ${execPath}${said}`, exit));
        else reject(new SidecarStartError('exited', `The sidecar exited during start-up (${describeExit(exit)})${said}`, exit));
      });
    });
  }

  /**
   * Stops it: SIGTERM (the sidecar drains and closes its store), SIGKILL after `graceMs`.
   * Resolves once the process is gone; safe to call again or after a crash.
   */
  stop(graceMs = 3_000): Promise<SidecarExit> {
    if (!this.stopRequested && this.alive) {
      this.stopRequested = true;
      this.markRequested();
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (this.alive) this.child.kill('SIGKILL');
      }, graceMs);
      void this.exited.then(() => clearTimeout(timer));
    }
    return this.exited;
  }
}

/** "code 1", "signal SIGKILL": for messages. */
export function describeExit(exit: Pick<SidecarExit, 'code' | 'signal'>): string {
  if (exit.signal !== null) return `signal ${exit.signal}`;
  return `exit code ${exit.code ?? 'unknown'}`;
}
