import { SidecarRequestError } from '../services';
import { Backoff } from './restartPolicy';
import { RuntrailClient } from './runtrailClient';
import { type LinkLogger, LinkStateHolder, type SidecarLink } from './sidecarLink';

/**
 * External mode (no VS Code here): a sidecar someone else runs (docker compose, a team server) at
 * a configured URL and token. Nothing is spawned; the link checks `GET /api/health` and the token
 * (one authenticated request), then keeps checking: unreachable → `failed` with the reason, and
 * retried with backoff (1 s … 30 s) until it answers again. A rejected token is not retried: only
 * a new token (which restarts the link) can fix it.
 */

export interface ExternalSidecarOptions extends LinkLogger {
  readonly url: string;
  /** Undefined when none is configured: the first authenticated request tells the user to set one. */
  readonly token: string | undefined;
  /** How often a running sidecar's health is checked. */
  readonly healthIntervalMs?: number;
  readonly retryInitialMs?: number;
  readonly retryMaxMs?: number;
  readonly requestTimeoutMs?: number;
}

export class ExternalSidecar implements SidecarLink {
  private readonly holder = new LinkStateHolder();
  readonly onDidChangeState = this.holder.onDidChangeState;
  private generation = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly backoff: Backoff;
  private readonly client: RuntrailClient;

  constructor(private readonly options: ExternalSidecarOptions) {
    this.backoff = new Backoff(options.retryInitialMs ?? 1_000, options.retryMaxMs ?? 30_000);
    this.client = new RuntrailClient(options.url, options.token ?? '', { timeoutMs: options.requestTimeoutMs ?? 5_000 });
  }

  get state() {
    return this.holder.state;
  }

  async start(): Promise<void> {
    if (this.holder.state.kind === 'running') return;
    this.clearTimer();
    this.backoff.reset();
    const generation = ++this.generation;
    this.holder.set({ kind: 'starting', detail: `connecting to ${this.options.url}` });
    void this.check(generation);
    await this.holder.settled();
  }

  async stop(reason?: string): Promise<void> {
    this.generation++;
    this.clearTimer();
    if (this.holder.state.kind !== 'stopped') this.holder.set({ kind: 'stopped', reason });
  }

  private async check(generation: number): Promise<void> {
    const { url, log } = this.options;
    let store = 'unknown';
    let relay = 'unknown';
    try {
      const health = await this.client.health();
      store = health.store.service;
      relay = health.relay.service;
      if (health.status !== 'ok')
        log('warn', `the sidecar at ${url} is ${health.status}: store ${health.store.message}; relay ${health.relay.message}`);
      await this.client.listRuns({ limit: 1 });
    } catch (error) {
      if (generation !== this.generation) return;
      if (error instanceof SidecarRequestError && (error.status === 401 || error.status === 403)) {
        const reason =
          this.options.token === undefined
            ? `The Runtrail sidecar at ${url} needs a token: run "Runtrail: Set Sidecar Token" (for docker compose: docker compose exec sidecar cat /data/token).`
            : `The Runtrail sidecar at ${url} rejected the token (${error.message}): run "Runtrail: Set Sidecar Token" with the token of that sidecar.`;
        log('error', reason);
        this.holder.set({ kind: 'failed', cause: 'unauthorized', reason, setting: 'runtrail.sidecar.token', lastErrors: [] });
        return;
      }
      const delay = this.backoff.next();
      const reason = `${(error as Error).message} Is it running? Runtrail keeps retrying; or set runtrail.sidecar.mode to "auto" to let VS Code run a sidecar itself.`;
      if (this.holder.state.kind !== 'failed' || this.holder.state.reason !== reason) {
        log('warn', `${(error as Error).message} (retrying in ${delay / 1000} s)`);
        this.holder.set({ kind: 'failed', cause: 'unreachable', reason, setting: 'runtrail.sidecar.url', lastErrors: [] });
      }
      this.schedule(generation, delay);
      return;
    }
    if (generation !== this.generation) return;
    this.backoff.reset();
    const current = this.holder.state;
    if (current.kind !== 'running' || current.endpoint.store !== store || current.endpoint.relay !== relay) {
      log('info', `connected to the sidecar at ${url}: store ${store}, relay ${relay}`);
      this.holder.set({
        kind: 'running',
        endpoint: { url, token: this.options.token ?? '', store, relay, origin: 'external', pid: undefined, dataDir: undefined },
      });
    }
    this.schedule(generation, this.options.healthIntervalMs ?? 15_000);
  }

  private schedule(generation: number, delayMs: number): void {
    this.clearTimer();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (generation === this.generation) void this.check(generation);
    }, delayMs);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
