import { LegacyNodeRequest, operations } from '../../protocol/api';
import { DomainError } from '../errors';
import type { IngestQueue } from '../ingest/ingestQueue';
import { toIngestRecords } from '../ingest/nodeRecords';
import { newRunRow } from '../runs/runLifecycle';
import { nestRows, toNode, toRun } from '../store/rowMapping';
import type { RunStore } from '../store/runStore';
import { OperationRouter } from './operationRouter';
import { readJsonBody } from './requestBody';
import { parseWith } from './validation';

/**
 * The original plan's routes, kept as thin aliases over the run/node API: its `workflowId` is a
 * run id, and a run is created on the first node reported for it (the plan had no run creation).
 */
export function legacyRoutes(
  store: RunStore,
  ingest: IngestQueue,
  limits: { maxBodyBytes: number; maxFieldBytes: number },
): OperationRouter {
  const routes = new OperationRouter();

  routes.on(operations.legacyPostNode, async (ctx) => {
    const { workflowId, ...record } = parseWith(LegacyNodeRequest, await readJsonBody(ctx, limits.maxBodyBytes), 'body');
    const now = Date.now();
    const { run } = await store.createRun(newRunRow({ id: workflowId, workflow: workflowId }, now));
    const outcome = await ingest.submit({ runId: run.id, records: toIngestRecords([record], limits.maxFieldBytes), receivedAt: now });
    if (!outcome.ok) throw outcome.error;
    const node = await store.getNode(record.id);
    if (!node) throw new DomainError('internal', `node ${record.id} vanished after commit`);
    ctx.status = 201;
    ctx.body = toNode(node);
  });

  routes.on(operations.legacyGetNode, async (ctx, { params }) => {
    const node = await store.getNode(params.id);
    if (!node) throw new DomainError('not_found', `No node ${params.id}.`);
    ctx.body = toNode(node);
  });

  routes.on(operations.legacyTree, async (ctx, { params }) => {
    const run = await store.getRun(params.workflowId);
    if (!run) throw new DomainError('not_found', `No run ${params.workflowId}.`);
    ctx.body = { run: toRun(run), format: 'nested', roots: nestRows(await store.listRunNodes(run.id)) };
  });

  return routes;
}
