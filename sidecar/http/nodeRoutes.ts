import { operations } from '../../protocol/api';
import type { TreeNode } from '../../protocol/runs';
import { DomainError } from '../errors';
import { nestRows, roundCost, toNode, toNodeSummary } from '../store/rowMapping';
import type { RunStore } from '../store/runStore';
import { decodeCursor, keysetPage } from './cursor';
import { OperationRouter } from './operationRouter';
import { nodePage } from './runRoutes';

/** One node and its neighbourhood; node search; per-workflow stats. */
export function nodeRoutes(store: RunStore): OperationRouter {
  const routes = new OperationRouter();
  const noNode = (id: string) => new DomainError('not_found', `No node ${id}.`);

  routes.on(operations.getNode, async (ctx, { params }) => {
    const row = await store.getNode(params.id);
    if (!row) throw noNode(params.id);
    ctx.body = toNode(row);
  });

  routes.on(operations.nodePath, async (ctx, { params }) => {
    const rows = await store.pathToRoot(params.id);
    if (!rows) throw noNode(params.id);
    ctx.body = { nodes: rows.map(toNodeSummary) };
  });

  routes.on(operations.subtree, async (ctx, { params, query }) => {
    const result = await store.subtree(params.id, query.depth, query.limit);
    if (!result) throw noNode(params.id);
    const base = { rootId: params.id, depth: query.depth, truncated: result.truncated };
    ctx.body =
      query.format === 'nested'
        ? { ...base, root: nestRows(result.rows)[0] as TreeNode }
        : { ...base, nodes: result.rows.map((row) => ({ ...toNodeSummary(row), depth: row.depth })) };
  });

  routes.on(operations.children, async (ctx, { params, query }) => {
    const node = await store.getNode(params.id);
    if (!node) throw noNode(params.id);
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, ['number', 'string'] as const);
    const rows = await store.children(node.runId, node.id, query.limit + 1, after && { seq: after[0], id: after[1] });
    ctx.body = nodePage(rows, query.limit);
  });

  routes.on(operations.search, async (ctx, { query }) => {
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, ['number', 'string'] as const);
    const rows = await store.searchNodes(
      { text: query.q, kind: query.kind, status: query.status, workflow: query.workflow, runId: query.runId },
      query.limit + 1,
      after && { startedAt: after[0], id: after[1] },
    );
    const { items, nextCursor } = keysetPage(
      rows,
      query.limit,
      (row) => ({ ...toNodeSummary(row), workflow: row.workflow }),
      (row) => [row.startedAt ?? 0, row.id],
    );
    ctx.body = { nodes: items, nextCursor };
  });

  routes.on(operations.stats, async (ctx, { query }) => {
    const rows = await store.stats({ workflow: query.workflow, since: query.since, until: query.until });
    ctx.body = {
      workflows: rows.map((row) => ({
        ...row,
        errorRate: row.runs === 0 ? 0 : (row.byStatus.error ?? 0) / row.runs,
        costUsd: roundCost(row.costUsd),
        lastRunAt: row.lastRunAt === null ? null : new Date(row.lastRunAt).toISOString(),
      })),
    };
  });

  return routes;
}
