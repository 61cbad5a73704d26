import { Emitter, type Event } from './emitter';
import type { LogLevel, SidecarLogLine } from './sidecarLog';

/**
 * What the extension is connected to, whichever way (no VS Code here): the sidecar it spawned
 * (`AutoSidecar`), one it found already running on the same data folder, or a configured external
 * one (`ExternalSidecar`). SidecarManager turns this into services.ts `SidecarState` and UI.
 */

export interface SidecarEndpoint {
  /** Base URL without a trailing slash. */
  readonly url: string;
  readonly token: string;
  /** `sqlite` or `neo4j`; `unknown` until an external sidecar's health says. */
  readonly store: string;
  /** `memory` or `redis`. */
  readonly relay: string;
  /** spawned: our child process; attached: a sidecar another process runs on our data folder; external: configured. */
  readonly origin: 'spawned' | 'attached' | 'external';
  /** The sidecar's process id when it runs on this machine. */
  readonly pid: number | undefined;
  readonly dataDir: string | undefined;
}

/** Why a link gave up; decides what the notification offers. */
export type FailureCause = 'settings' | 'crashes' | 'unreachable' | 'unauthorized';

export type LinkState =
  | { readonly kind: 'stopped'; readonly reason?: string }
  | { readonly kind: 'starting'; readonly detail?: string }
  | { readonly kind: 'running'; readonly endpoint: SidecarEndpoint }
  | {
      readonly kind: 'failed';
      /** One or two sentences that say what happened and what to do. */
      readonly reason: string;
      readonly cause: FailureCause;
      /** The setting to open (`runtrail.neo4j.uri`) when a setting is to blame. */
      readonly setting?: string;
      /** The sidecar's last stderr / error lines, for the logs and the notification. */
      readonly lastErrors: readonly string[];
    };

export interface LinkLogger {
  /** Messages of the extension about the sidecar. */
  log(level: LogLevel, message: string): void;
  /** The sidecar's own output, already formatted. */
  sidecarLine?(line: SidecarLogLine, stream: 'stdout' | 'stderr'): void;
}

export interface SidecarLink {
  readonly state: LinkState;
  readonly onDidChangeState: Event<LinkState>;
  /** Starts (again); resolves once it runs, failed, or was stopped meanwhile. */
  start(): Promise<void>;
  /** Stops; resolves once a spawned process has exited. */
  stop(reason?: string): Promise<void>;
}

/** State and its change event, plus "wait until settled" for start(). */
export class LinkStateHolder {
  private current: LinkState = { kind: 'stopped' };
  private readonly emitter = new Emitter<LinkState>();
  readonly onDidChangeState = this.emitter.event;

  get state(): LinkState {
    return this.current;
  }

  set(state: LinkState): void {
    this.current = state;
    this.emitter.fire(state);
  }

  /** Resolves at the first state that is not `starting` (at once if already there). */
  settled(): Promise<void> {
    if (this.current.kind !== 'starting') return Promise.resolve();
    return new Promise((resolve) => {
      const subscription = this.onDidChangeState((state) => {
        if (state.kind === 'starting') return;
        subscription.dispose();
        resolve();
      });
    });
  }
}

/** A link that cannot start because of its settings: `start()` reports them as `failed`. */
export class MisconfiguredLink implements SidecarLink {
  private readonly holder = new LinkStateHolder();
  readonly onDidChangeState = this.holder.onDidChangeState;

  constructor(
    private readonly reason: string,
    private readonly setting: string | undefined,
  ) {}

  get state(): LinkState {
    return this.holder.state;
  }

  async start(): Promise<void> {
    this.holder.set({ kind: 'failed', cause: 'settings', reason: this.reason, setting: this.setting, lastErrors: [] });
  }

  async stop(reason?: string): Promise<void> {
    if (this.holder.state.kind !== 'stopped') this.holder.set({ kind: 'stopped', reason });
  }
}
