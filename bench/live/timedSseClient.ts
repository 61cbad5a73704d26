import * as http from 'node:http';

/**
 * An SSE reader that notes when each node event arrived (performance.now(), taken once per
 * socket read, before parsing), keyed by node id. Leaner than test/fixtures/sseClient: it keeps
 * only what the latency bench needs, so the client steals little CPU from the sidecar.
 */
export class TimedSseClient {
  readonly receivedAt = new Map<string, number>();
  private request: http.ClientRequest | undefined;
  private buffer = '';
  private wake: (() => void) | undefined;

  static open(url: string, token: string): Promise<TimedSseClient> {
    const client = new TimedSseClient();
    return new Promise((resolve, reject) => {
      client.request = http.get(url, { headers: { accept: 'text/event-stream', authorization: `Bearer ${token}` } }, (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`GET ${url}: ${res.statusCode}`));
          return;
        }
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => client.feed(chunk, performance.now()));
        resolve(client);
      });
      client.request.on('error', reject);
    });
  }

  /** Waits until `done(receivedAt)` holds or the timeout passes (the caller counts what is missing). */
  async until(done: (seen: Map<string, number>) => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.receivedAt) && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  close(): void {
    this.request?.destroy();
  }

  private feed(chunk: string, now: number): void {
    this.buffer += chunk;
    let end = this.buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      if (block.includes('event: node')) {
        const data = block.slice(block.indexOf('data: ') + 6);
        const id = (JSON.parse(data) as { id: string }).id;
        if (!this.receivedAt.has(id)) this.receivedAt.set(id, now);
      }
      end = this.buffer.indexOf('\n\n');
    }
    this.wake?.();
  }
}
