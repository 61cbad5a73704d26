import type { Context } from 'koa';
import { operations } from '../../protocol/api';
import { type RecordedResponse, ReplayRequest, type UndeclaredCommandDetails } from '../../protocol/replay';
import { DomainError } from '../errors';
import type { WorkflowRunner } from '../runner/workflowRunner';
import { type ForkPoint, forkPointOf, planReplay, recordedNodes } from '../runs/replayPlan';
import { diffRuns } from '../runs/runDiff';
import { familyTree } from '../runs/runFamily';
import type { NodeRow, RunRow, RunStore } from '../store/runStore';
import { OperationRouter } from './operationRouter';
import { readJsonBody } from './requestBody';
import { parseWith } from './validation';

export interface ReplayRouteDeps {
  readonly store: RunStore;
  readonly runner: WorkflowRunner;
  readonly limits: { readonly maxBodyBytes: number };
}

/** Replay and compare: the recording SDKs serve steps from, starting a replay or fork of a run, diffing two runs, a run's family. */
export function replayRoutes({ store, runner, limits }: ReplayRouteDeps): OperationRouter {
  const routes = new OperationRouter();

  const requireRun = async (runId: string): Promise<RunRow> => {
    const run = await store.getRun(runId);
    if (!run) throw new DomainError('not_found', `No run ${runId}.`);
    return run;
  };

  /** The fork node, which must belong to the run (400 otherwise: the run exists, the argument is wrong). */
  const nodeOfRun = async (run: RunRow, nodeId: string, what: string): Promise<NodeRow> => {
    const node = await store.getNode(nodeId);
    if (node === undefined || node.runId !== run.id || node.placeholder) {
      throw new DomainError('invalid', `${what} ${nodeId} is not a node of run ${run.id}.`, { nodeId });
    }
    return node;
  };

  const forkPoint = async (node: NodeRow): Promise<ForkPoint> => forkPointOf(node, (await store.pathToRoot(node.id)) ?? [node]);

  routes.on(operations.recorded, async (ctx, { params, query }) => {
    const run = await requireRun(params.runId);
    const fork = query.until === undefined ? undefined : await forkPoint(await nodeOfRun(run, query.until, 'until'));
    const body: RecordedResponse = {
      runId: run.id,
      untilNodeId: fork?.nodeId ?? null,
      nodes: recordedNodes(await store.listKeyedNodes(run.id), fork),
    };
    ctx.body = body;
  });

  routes.on(operations.replayRun, async (ctx, { params }) => {
    const request = parseWith(ReplayRequest, await readOptionalBody(ctx, limits.maxBodyBytes), 'body');
    const run = await requireRun(params.runId);
    const untilNode = request.untilNodeId === undefined ? undefined : await nodeOfRun(run, request.untilNodeId, 'untilNodeId');
    const overridden = request.overrides !== undefined && Object.keys(request.overrides).length > 0;
    const keyed = overridden ? await store.listKeyedNodes(run.id) : [];
    const plan = planReplay(run, { untilNode, overrides: request.overrides }, keyed);
    const declared = runner.replayLaunch(run.workflow, plan.argv, plan.cwd);
    if (!declared.declared && !request.allowUndeclaredCommand) {
      const details: UndeclaredCommandDetails = { reason: 'undeclared_command', command: plan.argv, cwd: plan.cwd };
      throw new DomainError(
        'forbidden',
        `Run ${run.id}'s command (${JSON.stringify(plan.argv)} in ${plan.cwd}) is not workflow ${JSON.stringify(run.workflow)} of this workspace's runtrail.json; a replay runs it on this machine. Send {"allowUndeclaredCommand": true} once you trust it.`,
        details,
      );
    }
    const replay = await runner.launch({
      workflow: run.workflow,
      argv: plan.argv,
      cwd: plan.cwd,
      // The workflow's declared env first (none for an undeclared command); the replay variables win.
      env: { ...declared.env, ...plan.env },
      replayOf: run.id,
      forkedFromNode: plan.forkedFromNode,
    });
    ctx.status = 201;
    ctx.set('Location', `/api/runs/${encodeURIComponent(replay.id)}`);
    ctx.body = replay;
  });

  routes.on(operations.diffRuns, async (ctx, { params }) => {
    const [a, b] = await Promise.all([requireRun(params.runId), requireRun(params.otherRunId)]);
    const [aNodes, bNodes] = await Promise.all([store.listKeyedNodes(a.id), store.listKeyedNodes(b.id)]);
    ctx.body = diffRuns(a, b, aNodes, bNodes);
  });

  routes.on(operations.runFamily, async (ctx, { params }) => {
    const rows = await store.runFamily(params.runId);
    if (!rows) throw new DomainError('not_found', `No run ${params.runId}.`);
    ctx.body = familyTree(params.runId, rows);
  });

  return routes;
}

/** A plain replay needs no body: `curl -X POST …/replay` is enough. */
async function readOptionalBody(ctx: Context, limitBytes: number): Promise<unknown> {
  const length = ctx.get('content-length');
  if ((length === '' || length === '0') && ctx.get('transfer-encoding') === '') return {};
  return readJsonBody(ctx, limitBytes);
}
