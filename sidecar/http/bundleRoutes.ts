import { Readable } from 'node:stream';
import { operations } from '../../protocol/api';
import { bundleFileName, redactionNames } from '../../protocol/bundle';
import { exportBundle } from '../bundles/bundleExport';
import { importBundle, readBundle, readLines } from '../bundles/bundleImport';
import { DomainError } from '../errors';
import type { IngestQueue } from '../ingest/ingestQueue';
import type { Relay } from '../relay/relay';
import type { RunStore } from '../store/runStore';
import { OperationRouter } from './operationRouter';

/**
 * Bundles are bigger than ingest requests (a whole run in one body): their own limit, at least the
 * ingest body limit.
 */
export const minImportBytes = 512 * 1024 ** 2;

export interface BundleRouteDeps {
  readonly store: RunStore;
  readonly ingest: IngestQueue;
  readonly relay: Relay;
  readonly version: string;
  readonly limits: { readonly maxBodyBytes: number; readonly maxFieldBytes: number };
}

const ndjsonTypes = /^application\/(?:x-ndjson|ndjson|jsonl|x-jsonl|jsonlines|x-jsonlines)\s*(?:;|$)/i;

/** Run bundles (protocol/bundle.ts): export a run as JSON Lines, import one into this store. */
export function bundleRoutes({ store, ingest, relay, version, limits }: BundleRouteDeps): OperationRouter {
  const routes = new OperationRouter();

  routes.on(operations.exportRun, async (ctx, { params, query }) => {
    const run = await store.getRun(params.runId);
    if (!run) throw new DomainError('not_found', `No run ${params.runId}.`);
    const lines = exportBundle(store, run, { redact: redactionNames(query.redact), producer: `runtrail ${version}` });
    ctx.status = 200;
    ctx.type = 'application/x-ndjson; charset=utf-8';
    ctx.set('Content-Disposition', `attachment; filename="${bundleFileName(run.id)}"`);
    ctx.body = Readable.from(lines);
  });

  routes.on(operations.importRun, async (ctx, { query }) => {
    const type = ctx.get('content-type');
    if (!ndjsonTypes.test(type)) {
      throw new DomainError(
        'unsupported_media_type',
        `Expected Content-Type: application/x-ndjson (or application/jsonl) for a run bundle, got ${type === '' ? 'none' : JSON.stringify(type)}.`,
      );
    }
    const limitBytes = Math.max(minImportBytes, limits.maxBodyBytes);
    const declared = Number(ctx.get('content-length') || Number.NaN);
    if (declared > limitBytes) {
      throw new DomainError('payload_too_large', `The bundle is larger than ${limitBytes.toLocaleString('en')} bytes, the import limit.`, {
        limitBytes,
      });
    }
    let bundle: Awaited<ReturnType<typeof readBundle>>;
    try {
      bundle = await readBundle(readLines(ctx.req as AsyncIterable<Buffer>, limitBytes), limits.maxFieldBytes);
    } catch (error) {
      // The rest of the body is not read: close the connection after answering.
      ctx.set('Connection', 'close');
      throw error;
    }
    const { created, body } = await importBundle({ store, ingest, relay, maxFieldBytes: limits.maxFieldBytes }, bundle, { as: query.as });
    ctx.status = created ? 201 : 200;
    ctx.set('Location', `/api/runs/${encodeURIComponent(body.runId)}`);
    ctx.body = body;
  });

  return routes;
}
