import type { Context } from 'koa';
import { operations } from '../../protocol/api';
import { StartWorkflowRequest } from '../../protocol/workflows';
import type { WorkflowRunner } from '../runner/workflowRunner';
import { OperationRouter } from './operationRouter';
import { readJsonBody } from './requestBody';
import { parseWith } from './validation';

/** The runner: declared workflows, starting one, cancelling a run it started. */
export function workflowRoutes(runner: WorkflowRunner, limits: { readonly maxBodyBytes: number }): OperationRouter {
  const routes = new OperationRouter();

  routes.on(operations.listWorkflows, async (ctx) => {
    ctx.body = runner.listWorkflows();
  });

  routes.on(operations.startWorkflow, async (ctx, { params }) => {
    const body = parseWith(StartWorkflowRequest, await readOptionalBody(ctx, limits.maxBodyBytes), 'body');
    const run = await runner.start(params.name, body);
    ctx.status = 201;
    ctx.set('Location', `/api/runs/${encodeURIComponent(run.id)}`);
    ctx.body = run;
  });

  routes.on(operations.cancelRun, async (ctx, { params }) => {
    ctx.status = 202;
    ctx.body = await runner.cancel(params.runId);
  });

  return routes;
}

/** A workflow without inputs needs no body: `curl -X POST …/runs` is enough. */
async function readOptionalBody(ctx: Context, limitBytes: number): Promise<unknown> {
  const length = ctx.get('content-length');
  if ((length === '' || length === '0') && ctx.get('transfer-encoding') === '') return {};
  return readJsonBody(ctx, limitBytes);
}
