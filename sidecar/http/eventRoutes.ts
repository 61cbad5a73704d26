import { operations } from '../../protocol/api';
import type { SidecarMetrics } from '../metrics';
import { parseEventId, type Relay, type RelayMessage } from '../relay/relay';
import { OperationRouter } from './operationRouter';

export interface EventRouteOptions {
  /** A comment line this often keeps proxies and idle timeouts from closing the stream. */
  readonly heartbeatMs: number;
  /** A client that lets this much output pile up is disconnected; it resumes with Last-Event-ID. */
  readonly maxBufferedBytes: number;
  /**
   * Open streams, so a stopping sidecar can end them at once: they never finish by themselves,
   * and a graceful stop would otherwise wait its whole grace period for them.
   */
  readonly openStreams?: OpenEventStreams;
}

/** Ends every open event stream (clients reconnect with Last-Event-ID, to this sidecar or another). */
export class OpenEventStreams {
  private readonly streams = new Set<() => void>();

  add(end: () => void): () => void {
    this.streams.add(end);
    return () => this.streams.delete(end);
  }

  endAll(): void {
    for (const end of [...this.streams]) end();
  }
}

/**
 * `GET /api/events`: the relay as Server-Sent Events. The response is written by hand (Koa's body
 * handling would end it); everything a connection holds — the relay subscription and the
 * heartbeat timer — is released when either side closes it.
 */
export function eventRoutes(relay: Relay, metrics: SidecarMetrics, options: EventRouteOptions): OperationRouter {
  return new OperationRouter().on(operations.events, async (ctx, { query }) => {
    const lastId = parseEventId(ctx.get('last-event-id') || query.lastEventId);
    const res = ctx.res;
    ctx.respond = false;
    ctx.req.socket.setTimeout(0);
    ctx.req.socket.setNoDelay(true);
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write('retry: 2000\n: connected\n\n');
    metrics.sseClients.inc();

    let open = true;
    const send = (chunk: string) => {
      if (!open) return;
      res.write(chunk);
      if (res.writableLength > options.maxBufferedBytes) {
        metrics.sseDisconnects.inc({ reason: 'slow_client' });
        cleanup();
        res.destroy();
      }
    };
    const subscription = relay.subscribe({ runId: query.runId, lastId }, (message) => send(format(message)));
    const heartbeat = setInterval(() => send(': heartbeat\n\n'), options.heartbeatMs);
    const cleanup = () => {
      if (!open) return;
      open = false;
      untrack?.();
      clearInterval(heartbeat);
      subscription.close();
      metrics.sseClients.dec();
    };
    const untrack = options.openStreams?.add(() => {
      cleanup();
      res.end();
    });
    res.once('close', cleanup);
    res.once('error', cleanup);
  });
}

function format(message: RelayMessage): string {
  switch (message.type) {
    case 'event':
      return `id: ${message.event.id}\nevent: ${message.event.type}\ndata: ${JSON.stringify(message.event.data)}\n\n`;
    case 'reset':
    case 'paused':
      return `event: ${message.type}\ndata: ${JSON.stringify({ reason: message.reason })}\n\n`;
    case 'resumed':
      return 'event: resumed\ndata: {}\n\n';
  }
}
