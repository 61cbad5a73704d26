import { type SseEvent, SseParser } from '../../protocol/sseParser';
import { Backoff } from './restartPolicy';

/**
 * One `GET /api/events` connection that stays open (no VS Code here): fetch streaming with the
 * bearer token, and when the connection drops, a reconnect with backoff and `Last-Event-ID`, so
 * the relay replays what was missed (or says `reset` when it no longer can). An answer that
 * retrying cannot change (401: wrong token) ends it with `failed`.
 */

export type EventStreamStatus =
  /** Connected; `resumed` when it picked up after a Last-Event-ID (nothing missed unless a `reset` follows). */
  | { readonly kind: 'open'; readonly resumed: boolean }
  /** The connection broke; another attempt follows in `retryInMs`. Reported once per attempt. */
  | { readonly kind: 'down'; readonly reason: string; readonly retryInMs: number }
  /** Stopped for good: the sidecar refused the stream (wrong token, unknown route). */
  | { readonly kind: 'failed'; readonly reason: string };

export interface EventStreamOptions {
  /** The sidecar's base URL. */
  readonly url: string;
  readonly token: string;
  /** Only this run's events; all runs when left out. */
  readonly runId?: string;
  /** Resume after this id (the relay replays what came after it). */
  readonly lastEventId?: string;
  readonly onEvent: (event: SseEvent) => void;
  readonly onStatus?: (status: EventStreamStatus) => void;
  readonly initialRetryMs?: number;
  readonly maxRetryMs?: number;
  /** Injectable for tests; the global fetch otherwise. */
  readonly fetch?: typeof fetch;
}

export class EventStream {
  private closed = false;
  private controller: AbortController | undefined;
  private lastId: string | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly options: EventStreamOptions) {
    this.lastId = options.lastEventId;
  }

  /** The id of the last event received: what a reconnect sends as Last-Event-ID. */
  get lastEventId(): string | undefined {
    return this.lastId;
  }

  start(): void {
    void this.run();
  }

  /** Ends the connection and any pending reconnect; no callback fires afterwards. */
  close(): void {
    this.closed = true;
    this.controller?.abort();
    this.wake?.();
  }

  private async run(): Promise<void> {
    const { url, token, runId, onEvent, onStatus = () => {}, initialRetryMs = 1_000, maxRetryMs = 30_000 } = this.options;
    const fetchImpl = this.options.fetch ?? fetch;
    const backoff = new Backoff(initialRetryMs, maxRetryMs);
    const target = `${url}/api/events${runId === undefined ? '' : `?runId=${encodeURIComponent(runId)}`}`;
    while (!this.closed) {
      const controller = new AbortController();
      this.controller = controller;
      const parser = new SseParser(this.lastId);
      let reason: string;
      try {
        const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'text/event-stream' };
        if (this.lastId !== undefined) headers['last-event-id'] = this.lastId;
        const res = await fetchImpl(target, { headers, signal: controller.signal });
        if (!res.ok) {
          const message = await errorText(res);
          if (res.status !== 503 && res.status < 500) {
            if (!this.closed) onStatus({ kind: 'failed', reason: `The sidecar refused the event stream (${res.status}): ${message}` });
            return;
          }
          throw new Error(`the sidecar answered ${res.status}: ${message}`);
        }
        if (res.body === null) throw new Error('the sidecar sent an empty event stream');
        if (this.closed) return;
        onStatus({ kind: 'open', resumed: this.lastId !== undefined });
        backoff.reset();
        const decoder = new TextDecoder();
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          for (const event of parser.push(decoder.decode(chunk, { stream: true }))) {
            if (this.closed) return;
            this.lastId = event.id;
            onEvent(event);
          }
        }
        reason = 'the sidecar closed the event stream';
      } catch (error) {
        if (this.closed) return;
        reason = describeFetchError(error);
      } finally {
        controller.abort();
      }
      if (this.closed) return;
      const retryInMs = Math.min(maxRetryMs, Math.max(parser.retryMs ?? 0, backoff.next()));
      onStatus({ kind: 'down', reason, retryInMs });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, retryInMs);
        this.wake = done;
        function done() {
          clearTimeout(timer);
          resolve();
        }
      });
      this.wake = undefined;
    }
  }
}

async function errorText(res: Response): Promise<string> {
  try {
    const text = await res.text();
    const body = JSON.parse(text) as { error?: { message?: unknown } };
    return typeof body.error?.message === 'string' ? body.error.message : text.slice(0, 200);
  } catch {
    return res.statusText;
  }
}

/** fetch() failures as one phrase: "connection refused (ECONNREFUSED)" instead of "fetch failed". */
export function describeFetchError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ECONNREFUSED') return 'connection refused (ECONNREFUSED)';
    if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'the connection was reset';
    if (code === 'ENOTFOUND') return `unknown host (${(cause as NodeJS.ErrnoException & { hostname?: string }).hostname ?? 'ENOTFOUND'})`;
    return code === undefined ? cause.message : `${cause.message} (${code})`;
  }
  if (error.name === 'TimeoutError') return 'no answer in time';
  return error.message;
}
