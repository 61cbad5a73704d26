import { type SseEvent, SseParser } from '../../protocol/sseParser';
import { CliError } from './cliError';
import type { SidecarClient } from './sidecarClient';
import { SidecarHttpError } from './sidecarClient';

export type { SseEvent };

/** Decodes an SSE byte stream into events with the shared parser (protocol/sseParser.ts). */
export async function* parseSse(body: ReadableStream<Uint8Array>, onRetry: (ms: number) => void = () => {}): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  const parser = new SseParser();
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    const events = parser.push(decoder.decode(chunk, { stream: true }));
    if (parser.retryMs !== undefined) onRetry(parser.retryMs);
    yield* events;
  }
}

export interface FollowOptions {
  readonly runId?: string;
  /** Resume after this id; `0-0` replays everything the relay still holds. */
  readonly lastEventId?: string;
  /** Called when the stream broke and is being re-opened (once per outage: a note on the terminal). */
  readonly onReconnecting?: (reason: string) => void;
  /** Called once a re-opened stream is back. */
  readonly onReconnected?: () => void;
  /** Give up after the sidecar stayed unreachable this long. */
  readonly giveUpAfterMs?: number;
  /** Aborting it ends the iteration quietly (a second Ctrl-C). */
  readonly signal?: AbortSignal;
}

/**
 * Follows `GET /api/events` for as long as the consumer iterates: when the connection drops it
 * re-opens it with `Last-Event-ID`, so no committed event is missed (the relay replays what came
 * after). Breaking out of the loop closes the connection.
 */
export async function* followEvents(client: SidecarClient, options: FollowOptions): AsyncGenerator<SseEvent> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  options.signal?.addEventListener('abort', stop, { once: true });
  if (options.signal?.aborted) return;
  let lastEventId = options.lastEventId;
  let retryMs = 2_000;
  let failingSince: number | undefined;
  const giveUpAfterMs = options.giveUpAfterMs ?? 60_000;
  try {
    for (;;) {
      let failure: string;
      try {
        const res = await client.openEvents({ runId: options.runId }, lastEventId, controller.signal);
        if (failingSince !== undefined) options.onReconnected?.();
        failingSince = undefined;
        if (res.body === null) throw new CliError(`the sidecar at ${client.url} sent an empty event stream`);
        for await (const event of parseSse(res.body, (ms) => {
          retryMs = ms;
        })) {
          if (event.id !== undefined) lastEventId = event.id;
          yield event;
        }
        failure = 'the sidecar closed the event stream';
      } catch (error) {
        if (controller.signal.aborted) return;
        // A definite answer (401, 400, 404) will not change by retrying; a down sidecar may.
        if (error instanceof SidecarHttpError && error.status !== 503) throw error;
        failure = error instanceof CliError ? error.message : `the event stream broke (${(error as Error).message})`;
      }
      const now = Date.now();
      // One note per outage, not one per attempt.
      if (failingSince === undefined) options.onReconnecting?.(failure);
      failingSince ??= now;
      if (now - failingSince > giveUpAfterMs) throw new CliError(`${failure}; gave up after ${Math.round(giveUpAfterMs / 1000)}s`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(retryMs, 5_000));
        function done() {
          clearTimeout(timer);
          controller.signal.removeEventListener('abort', done);
          resolve();
        }
        controller.signal.addEventListener('abort', done, { once: true });
      });
      if (controller.signal.aborted) return;
    }
  } finally {
    options.signal?.removeEventListener('abort', stop);
    controller.abort();
  }
}
