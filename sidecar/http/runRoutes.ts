import type { Context } from 'koa';
import { operations } from '../../protocol/api';
import {
  CreateRunRequest,
  FinishRunRequest,
  IngestRequest,
  type IngestResponse,
  type NodePage,
  type RunDetail,
  type RunPage,
} from '../../protocol/runs';
import { DomainError } from '../errors';
import type { IngestQueue } from '../ingest/ingestQueue';
import { toIngestRecords } from '../ingest/nodeRecords';
import type { Relay } from '../relay/relay';
import { runDeletedEvent, runEvent } from '../relay/relayEvents';
import { finishPatch, newRunRow } from '../runs/runLifecycle';
import { nestRows, toNodeSummary, toRun } from '../store/rowMapping';
import type { NodeRow, RunRow, RunStore } from '../store/runStore';
import { decodeCursor, keysetPage } from './cursor';
import { OperationRouter } from './operationRouter';
import { readJsonBody } from './requestBody';
import { parseWith } from './validation';

export interface RunRouteDeps {
  readonly store: RunStore;
  readonly ingest: IngestQueue;
  readonly relay: Relay;
  readonly limits: { readonly maxBodyBytes: number; readonly maxFieldBytes: number };
}

/** Runs: create, list, read, finish, delete; node ingest; the run's tree and roots. */
export function runRoutes({ store, ingest, relay, limits }: RunRouteDeps): OperationRouter {
  const routes = new OperationRouter();
  const requireRun = async (runId: string): Promise<RunRow> => {
    const run = await store.getRun(runId);
    if (!run) throw new DomainError('not_found', `No run ${runId}.`);
    return run;
  };

  routes.on(operations.createRun, async (ctx) => {
    const body = parseWith(CreateRunRequest, await readJsonBody(ctx, limits.maxBodyBytes), 'body');
    const { run, created } = await store.createRun(newRunRow(body, Date.now()));
    if (!created && run.workflow !== body.workflow) {
      throw new DomainError('conflict', `Run id ${run.id} is taken by a run of workflow ${JSON.stringify(run.workflow)}.`);
    }
    ctx.status = created ? 201 : 200;
    ctx.set('Location', `/api/runs/${encodeURIComponent(run.id)}`);
    const dto = toRun(run);
    ctx.body = dto;
    if (created) relay.publish([runEvent(dto)]);
  });

  routes.on(operations.listRuns, async (ctx, { query }) => {
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, ['number', 'string'] as const);
    const rows = await store.listRuns(
      { workflow: query.workflow, status: query.status, branch: query.branch, label: query.label, text: query.q },
      query.limit + 1,
      after && { startedAt: after[0], id: after[1] },
    );
    const { items, nextCursor } = keysetPage(rows, query.limit, toRun, (run) => [run.startedAt, run.id]);
    const body: RunPage = { runs: items, nextCursor };
    ctx.body = body;
  });

  routes.on(operations.getRun, async (ctx, { params }) => {
    const run = await requireRun(params.runId);
    const counts = await store.countNodes(run.id);
    const total = Object.values(counts.byStatus).reduce((a, b) => a + b, 0);
    const body: RunDetail = { ...toRun(run), counts: { total, ...counts } };
    ctx.body = body;
  });

  routes.on(operations.finishRun, async (ctx, { params }) => {
    const body = parseWith(FinishRunRequest, await readJsonBody(ctx, limits.maxBodyBytes), 'body');
    const run = await requireRun(params.runId);
    const patch = finishPatch(run, body, Date.now());
    const updated = Object.keys(patch).length === 0 ? run : await store.updateRun(run.id, patch);
    if (!updated) throw new DomainError('not_found', `No run ${params.runId}.`);
    const dto = toRun(updated);
    ctx.body = dto;
    if (updated !== run) relay.publish([runEvent(dto)]);
  });

  routes.on(operations.deleteRun, async (ctx, { params }) => {
    if (!(await store.deleteRun(params.runId))) throw new DomainError('not_found', `No run ${params.runId}.`);
    ctx.status = 204;
    relay.publish([runDeletedEvent(params.runId)]);
  });

  routes.on(operations.ingestNodes, async (ctx, { params }) => {
    ctx.body = await ingestInto(ctx, params.runId);
  });

  routes.on(operations.tree, async (ctx, { params, query }) => {
    const run = await requireRun(params.runId);
    const rows = await store.listRunNodes(run.id);
    ctx.body =
      query.format === 'nested'
        ? { run: toRun(run), format: 'nested', roots: nestRows(rows) }
        : { run: toRun(run), format: 'flat', nodes: rows.map(toNodeSummary) };
  });

  routes.on(operations.roots, async (ctx, { params, query }) => {
    const run = await requireRun(params.runId);
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, ['number', 'string'] as const);
    const rows = await store.children(run.id, null, query.limit + 1, after && { seq: after[0], id: after[1] });
    ctx.body = nodePage(rows, query.limit);
  });

  async function ingestInto(ctx: Context, runId: string): Promise<IngestResponse> {
    const body = parseWith(IngestRequest, await readJsonBody(ctx, limits.maxBodyBytes), 'body');
    const records = toIngestRecords(body.nodes, limits.maxFieldBytes);
    const outcome = await ingest.submit({ runId, records, receivedAt: Date.now() });
    if (!outcome.ok) throw outcome.error;
    return { runId, accepted: outcome.accepted, created: outcome.created };
  }

  return routes;
}

/** A page of siblings; the cursor is (seq, id), the order `RunStore.children` pages by. */
export function nodePage(rows: readonly NodeRow[], limit: number): NodePage {
  const { items, nextCursor } = keysetPage(rows, limit, toNodeSummary, (node) => [node.seq ?? Number.MAX_SAFE_INTEGER, node.id]);
  return { nodes: items, nextCursor };
}
