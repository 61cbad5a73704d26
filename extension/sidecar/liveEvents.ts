import { NodeEventData } from '../../protocol/events';
import { type Run, Run as RunSchema } from '../../protocol/runs';
import type { SseEvent } from '../../protocol/sseParser';
import type { LiveEvents, NodeDelta } from '../services';
import { Emitter } from './emitter';
import { EventStream, type EventStreamStatus } from './eventStream';
import type { LogLevel } from './sidecarLog';

/**
 * services.ts `LiveEvents` for the whole extension: one `GET /api/events` stream (all runs) per
 * running sidecar, shared by every view. The emitters outlive the connections: the manager calls
 * `connect` whenever the sidecar (re)starts and `disconnect` when it stops, and listeners keep
 * their subscriptions across both. A fresh subscription (new sidecar, or no resume point) is
 * followed by `onReset` once the stream is open, so views reload after nothing can be missed.
 */

export type LiveEvent =
  | { readonly kind: 'node'; readonly node: NodeDelta }
  | { readonly kind: 'run'; readonly run: Run | { readonly id: string; readonly deleted: true } }
  | { readonly kind: 'reset'; readonly reason: string }
  | { readonly kind: 'paused'; readonly reason: string }
  | { readonly kind: 'resumed' }
  | { readonly kind: 'ignored'; readonly why: string };

/** One SSE event of `/api/events` as the extension's vocabulary (pure; protocol/events.ts). */
export function decodeLiveEvent(event: SseEvent): LiveEvent {
  let data: unknown;
  try {
    data = JSON.parse(event.data);
  } catch {
    return { kind: 'ignored', why: `a ${event.event} event whose data is not JSON` };
  }
  const reason = (data as { reason?: unknown } | null)?.reason;
  switch (event.event) {
    case 'node': {
      const parsed = NodeEventData.safeParse(data);
      return parsed.success
        ? { kind: 'node', node: parsed.data as NodeDelta }
        : { kind: 'ignored', why: 'a node event without runId and id' };
    }
    case 'run': {
      const deleted = data as { id?: unknown; deleted?: unknown };
      if (deleted?.deleted === true && typeof deleted.id === 'string') return { kind: 'run', run: { id: deleted.id, deleted: true } };
      const parsed = RunSchema.safeParse(data);
      if (parsed.success) return { kind: 'run', run: parsed.data };
      const issue = parsed.error.issues[0];
      return { kind: 'ignored', why: `a run event of unexpected shape (${issue?.path.join('.')}: ${issue?.message})` };
    }
    case 'reset':
      return { kind: 'reset', reason: typeof reason === 'string' ? reason : 'events were missed' };
    case 'paused':
      return { kind: 'paused', reason: typeof reason === 'string' ? reason : 'live updates paused' };
    case 'resumed':
      return { kind: 'resumed' };
    default:
      return { kind: 'ignored', why: `an unknown event type ${JSON.stringify(event.event)}` };
  }
}

export interface LiveEventsOptions {
  /** Where connection trouble is reported (the output channel). */
  readonly log: (level: LogLevel, message: string) => void;
  readonly initialRetryMs?: number;
  readonly maxRetryMs?: number;
}

export class LiveEventsHub implements LiveEvents {
  private readonly nodeEmitter: Emitter<NodeDelta>;
  private readonly runEmitter: Emitter<Run | { readonly id: string; readonly deleted: true }>;
  private readonly resetEmitter: Emitter<void>;
  private readonly pausedEmitter: Emitter<string>;
  private readonly resumedEmitter: Emitter<void>;
  readonly onNode;
  readonly onRun;
  readonly onReset;
  readonly onPaused;
  readonly onResumed;

  private stream: EventStream | undefined;
  private target: { readonly url: string; readonly token: string } | undefined;
  /** Set from a `down` until the next open (across connect/disconnect): one outage, one paused/resumed pair. */
  private outage = false;

  constructor(private readonly options: LiveEventsOptions) {
    const onListenerError = (error: unknown) =>
      options.log('error', `a live-event listener failed: ${(error as Error)?.stack ?? String(error)}`);
    this.nodeEmitter = new Emitter(onListenerError);
    this.runEmitter = new Emitter(onListenerError);
    this.resetEmitter = new Emitter(onListenerError);
    this.pausedEmitter = new Emitter(onListenerError);
    this.resumedEmitter = new Emitter(onListenerError);
    this.onNode = this.nodeEmitter.event;
    this.onRun = this.runEmitter.event;
    this.onReset = this.resetEmitter.event;
    this.onPaused = this.pausedEmitter.event;
    this.onResumed = this.resumedEmitter.event;
  }

  /** Whether a stream is open or being re-opened, and to where. */
  get connectedTo(): string | undefined {
    return this.target?.url;
  }

  /** Follows the sidecar at `url`; a no-op when already following it with this token. */
  connect(url: string, token: string): void {
    if (this.target?.url === url && this.target.token === token) return;
    // Same URL (an external sidecar that came back): resume where we were; the relay says reset if it cannot.
    const lastEventId = this.target?.url === url ? this.stream?.lastEventId : undefined;
    this.stream?.close();
    this.target = { url, token };
    const fresh = lastEventId === undefined;
    let opened = false;
    const stream = new EventStream({
      url,
      token,
      lastEventId,
      initialRetryMs: this.options.initialRetryMs,
      maxRetryMs: this.options.maxRetryMs,
      onEvent: (event) => this.dispatch(decodeLiveEvent(event)),
      onStatus: (status) =>
        this.status(status, () => {
          const first = !opened;
          opened = true;
          return first && fresh;
        }),
    });
    this.stream = stream;
    stream.start();
  }

  /**
   * Stops following (sidecar stopped or failed); listeners stay subscribed for the next connect.
   * A pause reported before stays in force until a later connection opens (then `onResumed`).
   */
  disconnect(): void {
    this.stream?.close();
    this.stream = undefined;
    this.target = undefined;
  }

  dispose(): void {
    this.disconnect();
    for (const emitter of [this.nodeEmitter, this.runEmitter, this.resetEmitter, this.pausedEmitter, this.resumedEmitter])
      emitter.dispose();
  }

  private status(status: EventStreamStatus, firstFreshOpen: () => boolean): void {
    switch (status.kind) {
      case 'open':
        this.options.log('debug', `live events connected to ${this.target?.url}${status.resumed ? ' (resumed)' : ''}`);
        if (firstFreshOpen()) this.resetEmitter.fire();
        if (this.outage) {
          this.outage = false;
          this.resumedEmitter.fire();
        }
        return;
      case 'down':
        this.options.log('warn', `live events: ${status.reason}; reconnecting in ${Math.round(status.retryInMs / 100) / 10} s`);
        if (!this.outage) {
          this.outage = true;
          this.pausedEmitter.fire(`Lost the live connection to the sidecar (${status.reason}): reconnecting…`);
        }
        return;
      case 'failed':
        this.options.log('error', `live events stopped: ${status.reason}`);
        if (!this.outage) {
          this.outage = true;
          this.pausedEmitter.fire(status.reason);
        }
        return;
    }
  }

  private dispatch(event: LiveEvent): void {
    switch (event.kind) {
      case 'node':
        this.nodeEmitter.fire(event.node);
        return;
      case 'run':
        this.runEmitter.fire(event.run);
        return;
      case 'reset':
        this.options.log('info', `live events reset: ${event.reason}`);
        this.resetEmitter.fire();
        return;
      case 'paused':
        this.options.log('warn', `live updates paused: ${event.reason}`);
        this.pausedEmitter.fire(event.reason);
        return;
      case 'resumed':
        this.options.log('info', 'live updates resumed');
        this.resumedEmitter.fire();
        return;
      case 'ignored':
        this.options.log('warn', `live events: ignored ${event.why}`);
        return;
    }
  }
}
