import { z } from 'zod';

/**
 * REST DTOs for runs and nodes (DESIGN.md "Data model", "REST API"). Request schemas validate in
 * the sidecar and generate the OpenAPI document; response schemas type the clients. Times go out
 * as ISO 8601 strings and come in as ISO strings or epoch milliseconds.
 */

/** Ids chosen by clients (SDKs generate them so retries are idempotent). */
export const Id = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:@-]*$/, 'must be 1-128 characters: letters, digits and . _ : @ -, starting with a letter or digit');

export const RunStatus = z.enum(['running', 'ok', 'error', 'cancelled']);
export type RunStatus = z.infer<typeof RunStatus>;
export const NodeStatus = RunStatus;
export type NodeStatus = RunStatus;
export const terminalStatuses: readonly RunStatus[] = ['ok', 'error', 'cancelled'];

/** Epoch milliseconds or an ISO 8601 date-time with offset; always epoch ms once parsed. */
export const Timestamp = z.union([
  z.number().int().min(0).max(8_640_000_000_000_000),
  z.iso.datetime({ offset: true }).transform((iso) => Date.parse(iso)),
]);

/** A failure as reported by a workflow: a message, or an object with at least a message. */
export const ErrorInfo = z.union([
  z.string().min(1),
  z.looseObject({ message: z.string(), type: z.string().optional(), stack: z.string().optional() }),
]);
export type ErrorInfo = z.infer<typeof ErrorInfo>;

/** Where a node was emitted; the run's git commit says which version of the file. */
export const SourceLocation = z.strictObject({
  file: z.string().min(1).max(4096),
  line: z.number().int().min(1),
  column: z.number().int().min(0).optional(),
  function: z.string().max(1000).optional(),
});
export type SourceLocation = z.infer<typeof SourceLocation>;

export const Kind = z.string().regex(/^[a-z][a-z0-9_.-]{0,31}$/, 'must be 1-32 lowercase characters (step, llm, tool, decision, …)');

// ---- runs -------------------------------------------------------------------------------------

export const GitContext = z.strictObject({
  repo: z.string().max(2048).optional(),
  branch: z.string().max(1024).optional(),
  commit: z.string().max(64).optional(),
  dirty: z.boolean().optional(),
});

export const Labels = z.array(z.string().min(1).max(100)).max(32);

export const CreateRunRequest = z.strictObject({
  /** Client-chosen id; repeating a create with the same id and workflow returns the run (200). */
  id: Id.optional(),
  workflow: z.string().min(1).max(200),
  command: z.union([z.array(z.string().max(4096)).max(256), z.string().max(8192)]).optional(),
  cwd: z.string().max(4096).optional(),
  git: GitContext.optional(),
  labels: Labels.optional(),
  startedAt: Timestamp.optional(),
  replayOf: Id.optional(),
  forkedFromNode: Id.optional(),
});
export type CreateRunRequest = z.input<typeof CreateRunRequest>;

export const FinishRunRequest = z
  .strictObject({
    status: RunStatus.optional(),
    error: ErrorInfo.nullable().optional(),
    endedAt: Timestamp.optional(),
    labels: Labels.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, 'give at least one of status, error, endedAt, labels');
export type FinishRunRequest = z.input<typeof FinishRunRequest>;

export const Run = z.object({
  id: z.string(),
  workflow: z.string(),
  status: RunStatus,
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  durationMs: z.number().nullable(),
  error: z.unknown().nullable(),
  command: z.union([z.array(z.string()), z.string()]).nullable(),
  cwd: z.string().nullable(),
  git: z.object({
    repo: z.string().nullable(),
    branch: z.string().nullable(),
    commit: z.string().nullable(),
    dirty: z.boolean().nullable(),
  }),
  labels: z.array(z.string()),
  replayOf: z.string().nullable(),
  forkedFromNode: z.string().nullable(),
  nodeCount: z.number(),
  tokensIn: z.number(),
  tokensOut: z.number(),
  costUsd: z.number(),
});
export type Run = z.infer<typeof Run>;

export const RunDetail = Run.extend({
  counts: z.object({
    total: z.number(),
    byStatus: z.record(z.string(), z.number()),
    byKind: z.record(z.string(), z.number()),
  }),
});
export type RunDetail = z.infer<typeof RunDetail>;

const Limit = (max: number, fallback: number) => z.coerce.number().int().min(1).max(max).default(fallback);

export const ListRunsQuery = z.strictObject({
  workflow: z.string().max(200).optional(),
  status: RunStatus.optional(),
  branch: z.string().max(1024).optional(),
  label: z.string().max(100).optional(),
  /** Case-insensitive text in the run id, workflow or command. */
  q: z.string().max(200).optional(),
  limit: Limit(200, 50),
  cursor: z.string().max(512).optional(),
});
export type ListRunsQuery = z.infer<typeof ListRunsQuery>;

export const RunPage = z.object({ runs: z.array(Run), nextCursor: z.string().nullable() });
export type RunPage = z.infer<typeof RunPage>;

// ---- nodes ------------------------------------------------------------------------------------

/**
 * One upsert of a node. The first record for an id creates the node; later ones fill or update
 * fields. Fields never go backwards: a finished node stays finished, startedAt/seq/parentId keep
 * their first value (a different parentId is a conflict).
 */
export const NodeRecord = z.strictObject({
  id: Id,
  parentId: Id.nullable().optional(),
  key: z.string().max(4096).optional(),
  kind: Kind.optional(),
  name: z.string().min(1).max(1000).optional(),
  status: NodeStatus.optional(),
  seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  startedAt: Timestamp.optional(),
  endedAt: Timestamp.optional(),
  input: z.unknown().optional(),
  output: z.unknown().optional(),
  error: ErrorInfo.optional(),
  attributes: z.record(z.string(), z.unknown()).optional(),
  tokensIn: z.number().int().min(0).optional(),
  tokensOut: z.number().int().min(0).optional(),
  costUsd: z.number().min(0).optional(),
  source: SourceLocation.optional(),
  replayed: z.boolean().optional(),
  diverged: z.boolean().optional(),
});
export type NodeRecord = z.input<typeof NodeRecord>;
export type ParsedNodeRecord = z.output<typeof NodeRecord>;

export const maxRecordsPerRequest = 10_000;

export const IngestRequest = z.strictObject({
  nodes: z.array(NodeRecord).min(1).max(maxRecordsPerRequest),
});
export type IngestRequest = z.input<typeof IngestRequest>;

export const IngestResponse = z.object({
  runId: z.string(),
  /** Records committed (durable) by this request. */
  accepted: z.number(),
  /** Nodes that did not exist before (placeholders for parents not seen yet included). */
  created: z.number(),
});
export type IngestResponse = z.infer<typeof IngestResponse>;

/** A node without its payloads (input, output, attributes): what trees and lists return. */
export const NodeSummary = z.object({
  id: z.string(),
  runId: z.string(),
  parentId: z.string().nullable(),
  key: z.string().nullable(),
  kind: z.string(),
  name: z.string().nullable(),
  status: NodeStatus,
  seq: z.number().nullable(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  durationMs: z.number().nullable(),
  error: z.unknown().nullable(),
  tokensIn: z.number().nullable(),
  tokensOut: z.number().nullable(),
  costUsd: z.number().nullable(),
  source: z.object({ file: z.string(), line: z.number(), column: z.number().nullable(), function: z.string().nullable() }).nullable(),
  replayed: z.boolean(),
  diverged: z.boolean(),
  /** Known only as some node's parent: its own record has not arrived yet. */
  placeholder: z.boolean(),
});
export type NodeSummary = z.infer<typeof NodeSummary>;

export const Node = NodeSummary.extend({
  input: z.unknown().nullable(),
  output: z.unknown().nullable(),
  attributes: z.record(z.string(), z.unknown()).nullable(),
});
export type Node = z.infer<typeof Node>;

export type TreeNode = NodeSummary & { children: TreeNode[] };
export const TreeNode: z.ZodType<TreeNode> = z.lazy(() => NodeSummary.extend({ children: z.array(TreeNode) }));

export const TreeQuery = z.strictObject({ format: z.enum(['flat', 'nested']).default('flat') });

export const FlatTree = z.object({ run: Run, format: z.literal('flat'), nodes: z.array(NodeSummary) });
export const NestedTree = z.object({ run: Run, format: z.literal('nested'), roots: z.array(TreeNode) });
export type FlatTree = z.infer<typeof FlatTree>;
export type NestedTree = z.infer<typeof NestedTree>;

export const PathResponse = z.object({ nodes: z.array(NodeSummary) });

export const SubtreeQuery = z.strictObject({
  depth: z.coerce.number().int().min(0).max(100_000).default(10),
  limit: Limit(100_000, 10_000),
  format: z.enum(['flat', 'nested']).default('flat'),
});
export type SubtreeQuery = z.infer<typeof SubtreeQuery>;

export const SubtreeNode = NodeSummary.extend({ depth: z.number() });
export const SubtreeResponse = z.object({
  rootId: z.string(),
  depth: z.number(),
  /** True when nodes deeper than `depth`, or beyond `limit`, were left out. */
  truncated: z.boolean(),
  nodes: z.array(SubtreeNode).optional(),
  root: TreeNode.optional(),
});

export const PageQuery = z.strictObject({ limit: Limit(1000, 100), cursor: z.string().max(512).optional() });
export type PageQuery = z.infer<typeof PageQuery>;

export const NodePage = z.object({ nodes: z.array(NodeSummary), nextCursor: z.string().nullable() });
export type NodePage = z.infer<typeof NodePage>;

export const SearchQuery = z.strictObject({
  /** Case-insensitive text in the node's name, key, error, input or output. */
  q: z.string().max(200).optional(),
  kind: Kind.optional(),
  status: NodeStatus.optional(),
  workflow: z.string().max(200).optional(),
  runId: Id.optional(),
  limit: Limit(500, 50),
  cursor: z.string().max(512).optional(),
});
export type SearchQuery = z.infer<typeof SearchQuery>;

export const StatsQuery = z.strictObject({
  workflow: z.string().max(200).optional(),
  since: Timestamp.optional(),
  until: Timestamp.optional(),
});
export type StatsQuery = z.infer<typeof StatsQuery>;

export const WorkflowStats = z.object({
  workflow: z.string(),
  runs: z.number(),
  byStatus: z.record(z.string(), z.number()),
  errorRate: z.number(),
  p50DurationMs: z.number().nullable(),
  p95DurationMs: z.number().nullable(),
  tokensIn: z.number(),
  tokensOut: z.number(),
  costUsd: z.number(),
  lastRunAt: z.string().nullable(),
});
export const StatsResponse = z.object({ workflows: z.array(WorkflowStats) });
export type WorkflowStats = z.infer<typeof WorkflowStats>;
