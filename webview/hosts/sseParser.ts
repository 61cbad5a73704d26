/**
 * Incremental Server-Sent Events parser (the webview's own: it may not import extension code).
 * Feed text chunks, get whole events; `id:` persists across events so a reconnect knows what to
 * send as Last-Event-ID.
 */
export interface SseEvent {
  readonly id: string | undefined;
  readonly event: string;
  readonly data: string;
}

export class SseParser {
  private buffer = '';
  private type = '';
  private data: string[] = [];
  lastEventId: string | undefined;

  push(chunk: string): SseEvent[] {
    this.buffer += chunk;
    const events: SseEvent[] = [];
    for (;;) {
      const end = this.buffer.search(/\r\n|\r|\n/);
      if (end < 0 || (end === this.buffer.length - 1 && this.buffer[end] === '\r')) break;
      const line = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + (this.buffer.startsWith('\r\n', end) ? 2 : 1));
      if (line === '') {
        if (this.data.length > 0) events.push({ id: this.lastEventId, event: this.type || 'message', data: this.data.join('\n') });
        this.data = [];
        this.type = '';
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') this.data.push(value);
      else if (field === 'event') this.type = value;
      else if (field === 'id' && !value.includes('\0')) this.lastEventId = value;
    }
    return events;
  }
}
