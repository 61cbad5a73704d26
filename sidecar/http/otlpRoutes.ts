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
  readonly limits: { readonly maxBodyBytes: number; readonly maxFieldBytes: number };
}

/**
 * OTLP/HTTP trace ingest: `POST /v1/traces` (the path OTel exporters append to
 * OTEL_EXPORTER_OTLP_ENDPOINT), outside /api/ because that is where exporters send; the token
 * guard (accessGuard.ts) covers it like /api. Success answers an
 * ExportTraceServiceResponse in the request's encoding; failures answer the usual error JSON.
 */
export function otlpRoutes(deps: OtlpRouteDeps): Router {
  const router = new Router();

  router.post('/v1/traces', async (ctx: Context) => {
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
