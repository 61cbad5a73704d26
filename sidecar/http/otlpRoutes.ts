import { createHash, timingSafeEqual } from 'node:crypto';
import Router from '@koa/router';
import type { Context } from 'koa';
import { DomainError } from '../errors';
import type { IngestQueue } from '../ingest/ingestQueue';
import { readTraceRequest } from '../otlp/otlpBody';
import { ingestTraces } from '../otlp/otlpIngest';
import { encodeTraceResponse } from '../otlp/otlpProto';
import type { Relay } from '../relay/relay';
import type { RunStore } from '../store/runStore';
import type { RequestState } from './requestContext';

export interface OtlpRouteDeps {
  readonly store: RunStore;
  readonly ingest: IngestQueue;
  readonly relay: Relay;
  readonly token: string;
  readonly storeReady: () => boolean;
  readonly limits: { readonly maxBodyBytes: number; readonly maxFieldBytes: number };
}

/**
 * OTLP/HTTP trace ingest: `POST /v1/traces` (the path OTel exporters append to
 * OTEL_EXPORTER_OTLP_ENDPOINT). It lives outside /api/ because that is where exporters send, so it
 * checks the bearer token itself, exactly as the /api guard does. Success answers an
 * ExportTraceServiceResponse in the request's encoding; failures answer the usual error JSON.
 */
export function otlpRoutes(deps: OtlpRouteDeps): Router {
  const router = new Router();
  const expected = digest(deps.token);

  router.post('/v1/traces', async (ctx: Context) => {
    checkToken(ctx.get('authorization'), expected);
    if (!deps.storeReady()) {
      throw new DomainError(
        'unavailable',
        `The ${deps.store.kind} store is not ready yet (connecting or setting up its schema): retry shortly.`,
        undefined,
        2,
      );
    }
    const { encoding, request } = await readTraceRequest(
      ctx.req as AsyncIterable<Buffer>,
      { contentType: ctx.get('content-type'), contentEncoding: ctx.get('content-encoding'), contentLength: ctx.get('content-length') },
      deps.limits.maxBodyBytes,
    ).catch((error: unknown) => {
      // The rest of an oversized body is not read: close the connection after the answer.
      if (error instanceof DomainError && error.code === 'payload_too_large') ctx.set('Connection', 'close');
      throw error;
    });
    const result = await ingestTraces(request, {
      store: deps.store,
      ingest: deps.ingest,
      relay: deps.relay,
      log: (ctx.state as RequestState).log,
      maxFieldBytes: deps.limits.maxFieldBytes,
    });
    ctx.status = 200;
    if (encoding === 'protobuf') {
      ctx.type = 'application/x-protobuf';
      ctx.body = encodeTraceResponse(result.rejectedSpans, result.errorMessage);
    } else {
      ctx.type = 'application/json';
      // int64 rejectedSpans as a decimal string, as the protobuf JSON mapping writes it.
      ctx.body =
        result.rejectedSpans === 0
          ? {}
          : { partialSuccess: { rejectedSpans: String(result.rejectedSpans), errorMessage: result.errorMessage } };
    }
  });

  return router;
}

function checkToken(header: string, expected: Buffer): void {
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (match?.[1] === undefined) {
    throw new DomainError(
      'unauthorized',
      header === ''
        ? 'Missing Authorization header: set OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20<token> (runtrail token prints it).'
        : 'Malformed Authorization header: expected "Bearer <token>".',
    );
  }
  if (!timingSafeEqual(digest(match[1]), expected)) {
    throw new DomainError('unauthorized', "Invalid token: it does not match this sidecar's token.");
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
