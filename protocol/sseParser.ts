/**
 * An incremental Server-Sent Events parser (pure; https://html.spec.whatwg.org/multipage/server-sent-events.html):
 * feed it text chunks as they arrive, get whole events back. `\n`, `\r\n` and `\r` end lines, a
 * blank line ends an event, `:` lines are comments (the sidecar's heartbeats), `retry:` sets the
 * reconnection delay. The last event id persists across events, as the spec says, so the caller
 * always knows what to send as `Last-Event-ID`.
 */

export interface SseEvent {
  /** The stream id to resume after; events without an `id:` line (reset, paused) keep the last one. */
  readonly id: string | undefined;
  readonly event: string;
  readonly data: string;
}

export class SseParser {
  private buffer = '';
  private eventType = '';
  private data: string[] = [];
  private lastId: string | undefined;
  private retry: number | undefined;

  constructor(lastEventId?: string) {
    this.lastId = lastEventId;
  }

  /** The id to send as Last-Event-ID on reconnect. */
  get lastEventId(): string | undefined {
    return this.lastId;
  }

  /** The server's `retry:` in milliseconds, if it sent one. */
  get retryMs(): number | undefined {
    return this.retry;
  }

  /** Parses what `chunk` completes; an unfinished line or event waits for the next chunk. */
  push(chunk: string): SseEvent[] {
    this.buffer += chunk;
    const events: SseEvent[] = [];
    for (;;) {
      const end = this.buffer.search(/\r\n|\r|\n/);
      // A lone `\r` at the end may be the first half of `\r\n`: wait for the next chunk.
      if (end < 0 || (end === this.buffer.length - 1 && this.buffer[end] === '\r')) break;
      const line = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + (this.buffer.startsWith('\r\n', end) ? 2 : 1));
      const event = this.line(line);
      if (event !== undefined) events.push(event);
    }
    return events;
  }

  private line(line: string): SseEvent | undefined {
    if (line === '') {
      const data = this.data;
      const type = this.eventType;
      this.data = [];
      this.eventType = '';
      if (data.length === 0) return undefined;
      return { id: this.lastId, event: type || 'message', data: data.join('\n') };
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.eventType = value;
    else if (field === 'id' && !value.includes('\0')) this.lastId = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retry = Number(value);
    return undefined;
  }
}
