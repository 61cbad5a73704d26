import { z } from 'zod';
import { ExportQuery, ImportQuery, ImportResponse } from './bundle';
import { ErrorBody } from './errors';
import { EventsQuery } from './events';
import { ServiceHealth, SidecarHealth } from './health';
import { DiffParams, RecordedQuery, RecordedResponse, ReplayRequest, RunDiff, RunFamily } from './replay';
import {
  CreateRunRequest,
  FinishRunRequest,
  FlatTree,
  Id,
  IngestRequest,
  IngestResponse,
  ListRunsQuery,
  NestedTree,
  Node,
  NodePage,
  NodeRecord,
  NodeSummary,
  PageQuery,
  PathResponse,
  Run,
  RunDetail,
  RunPage,
  SearchQuery,
  StatsQuery,
  StatsResponse,
  SubtreeQuery,
  SubtreeResponse,
  TreeQuery,
} from './runs';
import { CancelRunResponse, StartWorkflowRequest, WorkflowList, WorkflowNameParams } from './workflows';

/**
 * Every REST operation in one table: method, Koa-style path, request schemas and responses. The
 * sidecar validates requests with these schemas and generates /api/openapi.json from this table;
 * clients read paths from it. Adding an endpoint starts here.
 */
export interface Operation {
  readonly method: 'get' | 'post' | 'patch' | 'delete';
  /** Koa/@koa/router syntax (`/api/runs/:runId`); OpenAPI gets `{runId}`. */
  readonly path: string;
  readonly summary: string;
  readonly tag: 'health' | 'runs' | 'nodes' | 'workflows' | 'legacy' | 'meta';
  /** False for the few routes that need no bearer token. */
  readonly auth: boolean;
  readonly params?: z.ZodObject;
  readonly query?: z.ZodObject;
  readonly body?: z.ZodType;
  readonly responses: Readonly<Record<number, { readonly description: string; readonly schema?: z.ZodType }>>;
}

const RunIdParams = z.object({ runId: Id });
const NodeIdParams = z.object({ id: Id });

export const SearchResponse = z.object({
  nodes: z.array(NodeSummary.extend({ workflow: z.string() })),
  nextCursor: z.string().nullable(),
});

export const LegacyNodeRequest = NodeRecord.extend({
  /** The original plan's name for the run id; the run is created on first use. */
  workflowId: Id,
});

const errors = {
  400: { description: 'Malformed JSON, wrong types, unknown fields or a bad cursor', schema: ErrorBody },
  401: { description: 'Missing or wrong bearer token', schema: ErrorBody },
  404: { description: 'No such run or node', schema: ErrorBody },
} as const;

export const operations = {
  health: {
    method: 'get',
    path: '/api/health',
    summary: 'Overall status: store, relay, version, uptime',
    tag: 'health',
    auth: false,
    responses: {
      200: { description: 'The store answers', schema: SidecarHealth },
      503: { description: 'The store is down', schema: SidecarHealth },
    },
  },
  healthNeo4j: {
    method: 'get',
    path: '/api/health/neo4j',
    summary: 'Neo4j connectivity (200 "Connected to Neo4j" / 500 with the error)',
    tag: 'health',
    auth: false,
    responses: {
      200: { description: 'Connected', schema: ServiceHealth },
      500: { description: 'Unreachable', schema: ServiceHealth },
      503: { description: 'Not configured', schema: ServiceHealth },
    },
  },
  healthRedis: {
    method: 'get',
    path: '/api/health/redis',
    summary: 'Redis connectivity (200 / 500 with the error)',
    tag: 'health',
    auth: false,
    responses: {
      200: { description: 'Connected', schema: ServiceHealth },
      500: { description: 'Unreachable', schema: ServiceHealth },
      503: { description: 'Not configured', schema: ServiceHealth },
    },
  },
  openapi: {
    method: 'get',
    path: '/api/openapi.json',
    summary: 'This document',
    tag: 'meta',
    auth: false,
    responses: { 200: { description: 'OpenAPI 3.1' } },
  },
  createRun: {
    method: 'post',
    path: '/api/runs',
    summary: 'Start a run (idempotent for a client-chosen id)',
    tag: 'runs',
    auth: true,
    body: CreateRunRequest,
    responses: {
      201: { description: 'Created', schema: Run },
      200: { description: 'A run with this id and workflow existed already', schema: Run },
      400: errors[400],
      401: errors[401],
      409: { description: 'The id belongs to a run of another workflow', schema: ErrorBody },
    },
  },
  listRuns: {
    method: 'get',
    path: '/api/runs',
    summary: 'Runs, newest first, filtered, cursor-paged',
    tag: 'runs',
    auth: true,
    query: ListRunsQuery,
    responses: { 200: { description: 'A page', schema: RunPage }, 400: errors[400], 401: errors[401] },
  },
  getRun: {
    method: 'get',
    path: '/api/runs/:runId',
    summary: 'A run with node counts by status and kind',
    tag: 'runs',
    auth: true,
    params: RunIdParams,
    responses: { 200: { description: 'The run', schema: RunDetail }, 401: errors[401], 404: errors[404] },
  },
  finishRun: {
    method: 'patch',
    path: '/api/runs/:runId',
    summary: 'Finish a run (status, error, endedAt) or relabel it',
    tag: 'runs',
    auth: true,
    params: RunIdParams,
    body: FinishRunRequest,
    responses: {
      200: { description: 'The updated run', schema: Run },
      400: errors[400],
      401: errors[401],
      404: errors[404],
      409: { description: 'The run already finished with another status', schema: ErrorBody },
    },
  },
  deleteRun: {
    method: 'delete',
    path: '/api/runs/:runId',
    summary: 'Delete a run with all its nodes',
    tag: 'runs',
    auth: true,
    params: RunIdParams,
    responses: { 204: { description: 'Deleted' }, 401: errors[401], 404: errors[404] },
  },
  ingestNodes: {
    method: 'post',
    path: '/api/runs/:runId/nodes',
    summary: 'Upsert a batch of node records; answered once they are durable',
    tag: 'nodes',
    auth: true,
    params: RunIdParams,
    body: IngestRequest,
    responses: {
      200: { description: 'Committed', schema: IngestResponse },
      400: errors[400],
      401: errors[401],
      404: errors[404],
      409: { description: 'A changed parentId, a node of another run, or a cycle; nothing of the batch written', schema: ErrorBody },
      413: { description: 'Body or a field over its size limit', schema: ErrorBody },
      422: { description: 'A parent in another run', schema: ErrorBody },
      503: { description: 'Store down or queue full; retry after Retry-After seconds', schema: ErrorBody },
    },
  },
  tree: {
    method: 'get',
    path: '/api/runs/:runId/tree',
    summary: 'Every node of a run without payloads, flat (default) or nested',
    tag: 'runs',
    auth: true,
    params: RunIdParams,
    query: TreeQuery,
    responses: {
      200: { description: 'The tree', schema: z.union([FlatTree, NestedTree]) },
      400: errors[400],
      401: errors[401],
      404: errors[404],
    },
  },
  roots: {
    method: 'get',
    path: '/api/runs/:runId/children',
    summary: 'The root nodes of a run, paged in sibling order',
    tag: 'runs',
    auth: true,
    params: RunIdParams,
    query: PageQuery,
    responses: { 200: { description: 'A page', schema: NodePage }, 400: errors[400], 401: errors[401], 404: errors[404] },
  },
  getNode: {
    method: 'get',
    path: '/api/nodes/:id',
    summary: 'One node with its payloads',
    tag: 'nodes',
    auth: true,
    params: NodeIdParams,
    responses: { 200: { description: 'The node', schema: Node }, 401: errors[401], 404: errors[404] },
  },
  nodePath: {
    method: 'get',
    path: '/api/nodes/:id/path',
    summary: 'The node and its ancestors, root first',
    tag: 'nodes',
    auth: true,
    params: NodeIdParams,
    responses: { 200: { description: 'The path', schema: PathResponse }, 401: errors[401], 404: errors[404] },
  },
  subtree: {
    method: 'get',
    path: '/api/nodes/:id/subtree',
    summary: 'The node and its descendants, depth- and size-bounded',
    tag: 'nodes',
    auth: true,
    params: NodeIdParams,
    query: SubtreeQuery,
    responses: { 200: { description: 'The subtree', schema: SubtreeResponse }, 400: errors[400], 401: errors[401], 404: errors[404] },
  },
  children: {
    method: 'get',
    path: '/api/nodes/:id/children',
    summary: 'Children of a node, paged in sibling order',
    tag: 'nodes',
    auth: true,
    params: NodeIdParams,
    query: PageQuery,
    responses: { 200: { description: 'A page', schema: NodePage }, 400: errors[400], 401: errors[401], 404: errors[404] },
  },
  search: {
    method: 'get',
    path: '/api/search',
    summary: 'Nodes by text, kind, status, workflow or run, newest first',
    tag: 'nodes',
    auth: true,
    query: SearchQuery,
    responses: { 200: { description: 'A page', schema: SearchResponse }, 400: errors[400], 401: errors[401] },
  },
  stats: {
    method: 'get',
    path: '/api/stats',
    summary: 'Per workflow: runs, error rate, p50/p95 duration, tokens, cost',
    tag: 'runs',
    auth: true,
    query: StatsQuery,
    responses: { 200: { description: 'Aggregates', schema: StatsResponse }, 400: errors[400], 401: errors[401] },
  },
  events: {
    method: 'get',
    path: '/api/events',
    summary: 'Server-Sent Events of committed upserts (all runs or `?runId=`), resumable with Last-Event-ID',
    tag: 'runs',
    auth: true,
    query: EventsQuery,
    responses: { 200: { description: 'text/event-stream: node, run, reset, paused, resumed events' }, 400: errors[400], 401: errors[401] },
  },
  listWorkflows: {
    method: 'get',
    path: '/api/workflows',
    summary: 'The workflows declared in <workspace>/runtrail.json (read on every request)',
    tag: 'workflows',
    auth: true,
    responses: {
      200: { description: 'The declared workflows; none (configFile null) without a runtrail.json', schema: WorkflowList },
      401: errors[401],
      422: { description: 'runtrail.json is invalid (code invalid_config; names the file, workflow and field)', schema: ErrorBody },
    },
  },
  startWorkflow: {
    method: 'post',
    path: '/api/workflows/:name/runs',
    summary: 'Start a declared workflow: creates a run, spawns its command, records its output and exit',
    tag: 'workflows',
    auth: true,
    params: WorkflowNameParams,
    body: StartWorkflowRequest,
    responses: {
      201: { description: 'The run (running; error when the command could not be started)', schema: Run },
      400: { description: 'A missing required input, an unknown input, or malformed JSON', schema: ErrorBody },
      401: errors[401],
      404: { description: 'No runtrail.json, or no workflow of that name in it', schema: ErrorBody },
      422: { description: 'runtrail.json is invalid (code invalid_config)', schema: ErrorBody },
    },
  },
  cancelRun: {
    method: 'post',
    path: '/api/runs/:runId/cancel',
    summary: "Cancel a run started by this sidecar's runner: SIGTERM to its process group, SIGKILL after a grace period",
    tag: 'runs',
    auth: true,
    params: RunIdParams,
    responses: {
      202: { description: 'Signalled; the run ends cancelled', schema: CancelRunResponse },
      401: errors[401],
      404: errors[404],
      409: { description: "The run is finished, or not running under this sidecar's runner", schema: ErrorBody },
    },
  },
  recorded: {
    method: 'get',
    path: '/api/runs/:runId/recorded',
    summary: 'Every keyed node of a run with its output or error, and whether a replay (forking at `until`) may serve it back',
    tag: 'runs',
    auth: true,
    params: RunIdParams,
    query: RecordedQuery,
    responses: {
      200: { description: 'The recording', schema: RecordedResponse },
      400: { description: '`until` is not a node of this run, or a malformed query', schema: ErrorBody },
      401: errors[401],
      404: errors[404],
    },
  },
  replayRun: {
    method: 'post',
    path: '/api/runs/:runId/replay',
    summary: "Re-run a run's recorded command with recorded steps served back; fork at a node or override decisions",
    tag: 'runs',
    auth: true,
    params: RunIdParams,
    body: ReplayRequest,
    responses: {
      201: {
        description: 'The new run (replayOf, forkedFromNode set; running, or error when the command could not be started)',
        schema: Run,
      },
      400: {
        description: 'An unknown node, a key that is not a decision of the run, a label not among its options, or malformed JSON',
        schema: ErrorBody,
      },
      403: {
        description:
          "The run's command is not a workflow declared in this workspace's runtrail.json (details.reason undeclared_command): resend with allowUndeclaredCommand once the user agreed",
        schema: ErrorBody,
      },
      401: errors[401],
      404: errors[404],
      422: { description: 'The run has no recorded command (argv) and working directory to run again', schema: ErrorBody },
    },
  },
  diffRuns: {
    method: 'get',
    path: '/api/runs/:runId/diff/:otherRunId',
    summary:
      'Compare run a (runId) with run b (otherRunId): nodes matched by key, added, removed, changed, duration deltas, first divergence',
    tag: 'runs',
    auth: true,
    params: DiffParams,
    responses: { 200: { description: 'The diff', schema: RunDiff }, 401: errors[401], 404: errors[404] },
  },
  runFamily: {
    method: 'get',
    path: '/api/runs/:runId/family',
    summary: 'The replay family of a run: its original and every replay or fork of it, transitively, in tree order',
    tag: 'runs',
    auth: true,
    params: RunIdParams,
    responses: { 200: { description: 'The family', schema: RunFamily }, 401: errors[401], 404: errors[404] },
  },
  exportRun: {
    method: 'get',
    path: '/api/runs/:runId/export',
    summary:
      'The run as a bundle (protocol/bundle.ts): JSON Lines of a header, the run, its nodes with payloads (seq, id order) and its edges; `?redact=a,b` replaces the values of those keys',
    tag: 'runs',
    auth: true,
    params: RunIdParams,
    query: ExportQuery,
    responses: {
      200: { description: 'application/x-ndjson, Content-Disposition: attachment; filename="<runId>.runtrail.jsonl"' },
      400: errors[400],
      401: errors[401],
      404: errors[404],
    },
  },
  importRun: {
    method: 'post',
    path: '/api/import',
    summary:
      'Load a run bundle (body: the JSON Lines, Content-Type application/x-ndjson or application/jsonl, up to 512 MiB); every line is validated before anything is written',
    tag: 'runs',
    auth: true,
    query: ImportQuery,
    responses: {
      201: { description: 'Imported', schema: ImportResponse },
      200: { description: 'The same run with the same content was there already', schema: ImportResponse },
      400: { description: 'A malformed bundle: the message names the line and field; nothing written', schema: ErrorBody },
      401: errors[401],
      409: {
        description: 'Another run (or its node ids) already uses these ids: import with `?as=<newRunId>` or delete the run',
        schema: ErrorBody,
      },
      413: { description: 'The bundle or a payload over its limit', schema: ErrorBody },
      415: { description: 'Not application/x-ndjson', schema: ErrorBody },
      503: { description: 'Store down or ingest queue full; nothing left behind, retry', schema: ErrorBody },
    },
  },
  legacyPostNode: {
    method: 'post',
    path: '/api/workflow/node',
    summary: 'Original plan: report one node of run `workflowId` (created on first use)',
    tag: 'legacy',
    auth: true,
    body: LegacyNodeRequest,
    responses: {
      201: { description: 'The node as stored', schema: Node },
      400: errors[400],
      401: errors[401],
      409: { description: 'Conflict', schema: ErrorBody },
      413: { description: 'Too large', schema: ErrorBody },
      422: { description: 'Parent in another run', schema: ErrorBody },
    },
  },
  legacyGetNode: {
    method: 'get',
    path: '/api/workflow/node/:id',
    summary: 'Original plan: one node',
    tag: 'legacy',
    auth: true,
    params: NodeIdParams,
    responses: { 200: { description: 'The node', schema: Node }, 401: errors[401], 404: errors[404] },
  },
  legacyTree: {
    method: 'get',
    path: '/api/workflow/tree/:workflowId',
    summary: 'Original plan: the nested tree of run `workflowId`',
    tag: 'legacy',
    auth: true,
    params: z.object({ workflowId: Id }),
    responses: { 200: { description: 'The tree', schema: NestedTree }, 401: errors[401], 404: errors[404] },
  },
} as const satisfies Record<string, Operation>;

export type OperationName = keyof typeof operations;
