import type { ServiceHealth } from '../../protocol/health';
import type { NodeStatus, RunStatus } from '../../protocol/runs';
import type { DomainError } from '../errors';

/**
 * The store port: what the sidecar needs from persistence, implemented by `neo4j/neo4jRunStore.ts`
 * and `sqlite/sqliteRunStore.ts`, and checked by one conformance suite that runs against both
 * (test/integration/store/). Rows are plain values in the store's vocabulary: times in epoch ms,
 * JSON payloads as JSON text. Mapping to REST DTOs happens in `rowMapping.ts`, rules for ingest in
 * `ingestPlanner.ts`, so both stores share one definition of "upsert".
 */
export interface RunStore {
  readonly kind: 'neo4j' | 'sqlite';

  /** Creates constraints, indexes and tables; idempotent, safe on every start. */
  init(): Promise<void>;
  check(): Promise<ServiceHealth>;
  close(): Promise<void>;

  /** Inserts the run; when the id exists already, returns the stored run with `created: false`. */
  createRun(run: RunRow): Promise<{ run: RunRow; created: boolean }>;
  getRun(id: string): Promise<RunRow | undefined>;
  /** Sets the given fields of a run; undefined when there is no such run. */
  updateRun(id: string, patch: RunPatch): Promise<RunRow | undefined>;
  /** Deletes a run with all its nodes and edges; false when there was no such run. */
  deleteRun(id: string): Promise<boolean>;
  /** Newest first (startedAt desc, id desc), strictly after `after` when given. */
  listRuns(filter: RunFilter, limit: number, after?: RunCursor): Promise<RunRow[]>;
  /** Node counts of one run by status and by kind (placeholders excluded). */
  countNodes(runId: string): Promise<{ byStatus: Record<string, number>; byKind: Record<string, number> }>;
  /**
   * The run's replay family, unordered: follow `replayOf` up to the original (the last run that
   * still exists), then every run replayed or forked from it, transitively. Includes the run
   * itself; undefined when there is no such run. `runs/runFamily.ts` puts it in tree order.
   */
  runFamily(runId: string): Promise<RunRow[] | undefined>;

  /**
   * Commits a group of ingest requests in one transaction. Each request is all-or-nothing; a
   * rejected one (unknown run, conflict, cycle) is left out without failing the others, and its
   * outcome carries the DomainError to answer with. Throws only when the store itself fails
   * (then nothing of the group was written).
   */
  ingest(requests: readonly IngestRequestRows[]): Promise<IngestOutcome[]>;

  getNode(id: string): Promise<NodeRow | undefined>;
  /** Every node of a run, placeholders included, without input/output/attributes; ordered by seq, id (placeholders last). */
  listRunNodes(runId: string): Promise<NodeRow[]>;
  /**
   * The run's real nodes (placeholders left out) WITH input, output, error and attributes, in
   * sibling order (seq, id), at most `limit`, strictly after `after`: what a bundle export pages
   * through, so a 50,000-node run is never held in memory at once.
   */
  listNodesWithPayloads(runId: string, limit: number, after?: SiblingCursor): Promise<NodeRow[]>;
  /**
   * Every node of a run that has a key (what replay and diff match nodes by), with output, error
   * and attributes but no input; ordered by seq, id (nodes without a seq last). Placeholders have
   * no key, so they are never among them.
   */
  listKeyedNodes(runId: string): Promise<NodeRow[]>;
  /** The node and its ancestors, root first; undefined when there is no such node. */
  pathToRoot(nodeId: string): Promise<NodeRow[] | undefined>;
  /**
   * The node and its descendants down to `depth` levels (0 = the node alone), ordered by depth,
   * seq, id, at most `limit` rows; `truncated` when deeper or further nodes exist. Undefined when there is
   * no such node. Rows carry no payloads.
   */
  subtree(
    nodeId: string,
    depth: number,
    limit: number,
  ): Promise<{ rows: Array<NodeRow & { depth: number }>; truncated: boolean } | undefined>;
  /**
   * Children of `parentId` (or the roots of the run when null; placeholders are never roots) in
   * sibling order (seq, id), strictly after `after`.
   */
  children(runId: string, parentId: string | null, limit: number, after?: SiblingCursor): Promise<NodeRow[]>;
  /**
   * Nodes matching the filter, newest first (startedAt desc, id desc), strictly after `after`;
   * placeholders excluded. `text` matches name, key, error, input or output, case-insensitively.
   * Rows carry no input/output/attributes.
   */
  searchNodes(filter: NodeFilter, limit: number, after?: NodeSearchCursor): Promise<Array<NodeRow & { workflow: string }>>;
  /**
   * Per-workflow aggregates over runs started in [since, until), ordered by workflow. Percentiles
   * interpolate linearly between ranks (Neo4j's percentileCont) over runs that have a duration.
   */
  stats(filter: StatsFilter): Promise<WorkflowStatsRow[]>;
}

export interface RunRow {
  id: string;
  workflow: string;
  status: RunStatus;
  startedAt: number;
  endedAt: number | null;
  durationMs: number | null;
  /** JSON text of the ErrorInfo. */
  error: string | null;
  /** JSON text of the command (array or string). */
  command: string | null;
  cwd: string | null;
  gitRepo: string | null;
  gitBranch: string | null;
  gitCommit: string | null;
  gitDirty: boolean | null;
  labels: string[];
  replayOf: string | null;
  forkedFromNode: string | null;
  /** Nodes in the run, placeholders included; maintained by ingest. */
  nodeCount: number;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
}

export type RunPatch = Partial<Pick<RunRow, 'status' | 'endedAt' | 'durationMs' | 'error' | 'labels'>>;

export interface RunFilter {
  workflow?: string;
  status?: RunStatus;
  branch?: string;
  label?: string;
  /** Case-insensitive substring of id, workflow or command. */
  text?: string;
}

export interface RunCursor {
  startedAt: number;
  id: string;
}

export interface NodeRow {
  id: string;
  runId: string;
  parentId: string | null;
  key: string | null;
  kind: string;
  name: string | null;
  status: NodeStatus;
  seq: number | null;
  startedAt: number | null;
  endedAt: number | null;
  durationMs: number | null;
  /** JSON texts; null when absent. Left null by listings that do not load payloads. */
  input: string | null;
  output: string | null;
  error: string | null;
  attributes: string | null;
  tokensIn: number | null;
  tokensOut: number | null;
  costUsd: number | null;
  file: string | null;
  line: number | null;
  column: number | null;
  function: string | null;
  replayed: boolean;
  diverged: boolean;
  placeholder: boolean;
}

export interface SiblingCursor {
  seq: number;
  id: string;
}

export interface NodeFilter {
  text?: string;
  kind?: string;
  status?: NodeStatus;
  workflow?: string;
  runId?: string;
}

export interface NodeSearchCursor {
  startedAt: number;
  id: string;
}

export interface StatsFilter {
  workflow?: string;
  since?: number;
  until?: number;
}

export interface WorkflowStatsRow {
  workflow: string;
  runs: number;
  byStatus: Record<string, number>;
  p50DurationMs: number | null;
  p95DurationMs: number | null;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
  lastRunAt: number | null;
}

/**
 * One ingest request as the store receives it: records validated by the protocol schema, times
 * in epoch ms, payloads already serialized to JSON text (and size-checked) by the HTTP layer.
 */
export interface IngestRequestRows {
  runId: string;
  records: IngestRecord[];
  /** Server time at receipt, used for startedAt/endedAt a record leaves out. */
  receivedAt: number;
}

export interface IngestRecord {
  id: string;
  parentId?: string | null;
  key?: string;
  kind?: string;
  name?: string;
  status?: NodeStatus;
  seq?: number;
  startedAt?: number;
  endedAt?: number;
  input?: string;
  output?: string;
  error?: string;
  attributes?: string;
  tokensIn?: number;
  tokensOut?: number;
  costUsd?: number;
  source?: { file: string; line: number; column?: number; function?: string };
  replayed?: boolean;
  diverged?: boolean;
}

export type IngestOutcome = { ok: true; accepted: number; created: number } | { ok: false; error: DomainError };
