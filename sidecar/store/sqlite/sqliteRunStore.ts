import type { SQLiteValue, Statement } from 'node-sqlite3-wasm';
import type { ServiceHealth } from '../../../protocol/health';
import { invalid } from '../../errors';
import { type IngestReader, type NodeState, planIngest, type WritePlan } from '../ingestPlanner';
import type {
  IngestOutcome,
  IngestRequestRows,
  NodeFilter,
  NodeRow,
  NodeSearchCursor,
  RunCursor,
  RunFilter,
  RunPatch,
  RunRow,
  RunStore,
  SiblingCursor,
  StatsFilter,
  WorkflowStatsRow,
} from '../runStore';
import type { SqliteDatabase } from './sqliteDatabase';
import { applySchema } from './sqliteSchema';

/**
 * Ingest rejects cycles, so a walk up or down the tree ends by itself; this bounds it anyway should
 * the file hold a cycle, far beyond the 1,000 levels runs are expected to reach.
 */
const maxTreeDepth = 100_000;
/** Generations of replays followed up or down a run family (a bound only a cycle of replayOf reaches). */
const maxFamilyDepth = 1_000;
/** Ids per `json_each(?)` lookup while planning an ingest. */
const lookupChunk = 1_000;
/** Prepared UPDATE statements kept, one per set of changed node columns. */
const maxUpdateStatements = 128;

const nodeColumnOf = {
  id: 'id',
  runId: 'run_id',
  parentId: 'parent_id',
  key: 'key',
  kind: 'kind',
  name: 'name',
  status: 'status',
  seq: 'seq',
  startedAt: 'started_at',
  endedAt: 'ended_at',
  durationMs: 'duration_ms',
  input: 'input',
  output: 'output',
  error: 'error',
  attributes: 'attributes',
  tokensIn: 'tokens_in',
  tokensOut: 'tokens_out',
  costUsd: 'cost_usd',
  file: 'source_file',
  line: 'source_line',
  column: 'source_column',
  function: 'source_function',
  replayed: 'replayed',
  diverged: 'diverged',
  placeholder: 'placeholder',
} as const satisfies Record<keyof NodeRow, string>;

const runColumnOf = {
  id: 'id',
  workflow: 'workflow',
  status: 'status',
  startedAt: 'started_at',
  endedAt: 'ended_at',
  durationMs: 'duration_ms',
  error: 'error',
  command: 'command',
  cwd: 'cwd',
  gitRepo: 'git_repo',
  gitBranch: 'git_branch',
  gitCommit: 'git_commit',
  gitDirty: 'git_dirty',
  labels: 'labels',
  replayOf: 'replay_of',
  forkedFromNode: 'forked_from_node',
  nodeCount: 'node_count',
  tokensIn: 'tokens_in',
  tokensOut: 'tokens_out',
  costUsd: 'cost_usd',
} as const satisfies Record<keyof RunRow, string>;

const runPatchFields = ['durationMs', 'endedAt', 'error', 'labels', 'status'] as const satisfies ReadonlyArray<keyof RunPatch>;

const nodeFields = Object.keys(nodeColumnOf) as Array<keyof NodeRow>;
const runFields = Object.keys(runColumnOf) as Array<keyof RunRow>;

/*
 * Listing and node-state rows leave SQLite as one `json_array(...)` text each, decoded by
 * rowToNode / rowToNodeState in the same order: the library reads every column through calls into
 * WebAssembly, and one text per row halves the time of a 100,000-node listing.
 */

/** Every node column but input, output and attributes, in rowToNode's order. */
const nodeSummary = `json_array(n.id, n.run_id, n.parent_id, n.key, n.kind, n.name, n.status, n.seq, n.started_at, n.ended_at,
  n.duration_ms, n.error, n.tokens_in, n.tokens_out, n.cost_usd, n.source_file, n.source_line, n.source_column, n.source_function,
  n.replayed, n.diverged, n.placeholder) AS node`;

/**
 * What ingest planning reads, in rowToNodeState's order. typeof() answers from the record header,
 * so payload presence is known without reading the payload.
 */
const nodeState = `json_array(n.id, n.run_id, n.parent_id, n.key, n.kind, n.name, n.status, n.seq, n.started_at, n.ended_at,
  n.tokens_in, n.tokens_out, n.cost_usd, n.replayed, n.diverged, n.placeholder,
  typeof(n.input) <> 'null', typeof(n.output) <> 'null', typeof(n.error) <> 'null', typeof(n.attributes) <> 'null',
  typeof(n.source_file) <> 'null') AS state`;

const insertNodeSql = `INSERT INTO nodes (${nodeFields.map((f) => nodeColumnOf[f]).join(', ')}) VALUES (${nodeFields.map(() => '?').join(', ')})`;
const insertRunSql = `INSERT INTO runs (${runFields.map((f) => runColumnOf[f]).join(', ')}) VALUES (${runFields.map(() => '?').join(', ')}) ON CONFLICT (id) DO NOTHING`;

interface RunColumns {
  id: string;
  workflow: string;
  status: RunRow['status'];
  started_at: number;
  ended_at: number | null;
  duration_ms: number | null;
  error: string | null;
  command: string | null;
  cwd: string | null;
  git_repo: string | null;
  git_branch: string | null;
  git_commit: string | null;
  git_dirty: number | null;
  labels: string;
  replay_of: string | null;
  forked_from_node: string | null;
  node_count: number;
  tokens_in: number;
  tokens_out: number;
  cost_usd: number;
}

interface NodeColumns {
  node: string;
}

interface PayloadColumns {
  input: string | null;
  output: string | null;
  attributes: string | null;
}

type Params = SQLiteValue[];

/**
 * The embedded RunStore over one SQLite file (see sqliteSchema.ts for the tables). The library is
 * synchronous, so every query is bounded by a limit or by one run. Operations run one at a time:
 * ingest awaits the planner while its transaction is open, and nothing else may write (or read
 * uncommitted rows) in between.
 */
export class SqliteRunStore implements RunStore {
  readonly kind = 'sqlite';
  private readonly statements = new Map<string, Statement>();
  /** Least recently used first. */
  private readonly updateStatements = new Map<string, Statement>();
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly database: SqliteDatabase) {}

  private get db() {
    return this.database.db;
  }

  async init(): Promise<void> {
    await this.exclusive(() => applySchema(this.db));
  }

  async check(): Promise<ServiceHealth> {
    return this.database.check();
  }

  async close(): Promise<void> {
    await this.queue;
    if (this.closed) return;
    this.closed = true;
    for (const statement of [...this.statements.values(), ...this.updateStatements.values()]) statement.finalize();
    this.statements.clear();
    this.updateStatements.clear();
    this.database.close();
  }

  createRun(run: RunRow): Promise<{ run: RunRow; created: boolean }> {
    return this.exclusive(() => {
      const created = this.run(insertRunSql, runParams(run)) > 0;
      return { run: this.readRun(run.id) as RunRow, created };
    });
  }

  getRun(id: string): Promise<RunRow | undefined> {
    return this.exclusive(() => this.readRun(id));
  }

  updateRun(id: string, patch: RunPatch): Promise<RunRow | undefined> {
    return this.exclusive(() => {
      const fields = runPatchFields.filter((field) => patch[field] !== undefined);
      if (fields.length === 0) return this.readRun(id);
      const assignments = fields.map((field) => `${runColumnOf[field]} = ?`).join(', ');
      const params = fields.map((field) => (field === 'labels' ? JSON.stringify(patch.labels) : sqlValue(patch[field])));
      const row = this.get<RunColumns>(`UPDATE runs SET ${assignments} WHERE id = ? RETURNING *`, [...params, id]);
      return row && rowToRun(row);
    });
  }

  deleteRun(id: string): Promise<boolean> {
    return this.exclusive(() =>
      this.transaction(() => {
        this.run('DELETE FROM edges WHERE run_id = ?', [id]);
        this.run('DELETE FROM edges WHERE to_run_id = ?', [id]);
        this.run('DELETE FROM nodes WHERE run_id = ?', [id]);
        return this.run('DELETE FROM runs WHERE id = ?', [id]) > 0;
      }),
    );
  }

  listRuns(filter: RunFilter, limit: number, after?: RunCursor): Promise<RunRow[]> {
    return this.exclusive(() => {
      const where = new Conditions();
      if (filter.workflow !== undefined) where.add('workflow = ?', filter.workflow);
      if (filter.status !== undefined) where.add('status = ?', filter.status);
      if (filter.branch !== undefined) where.add('git_branch = ?', filter.branch);
      if (filter.label !== undefined) where.add('EXISTS (SELECT 1 FROM json_each(runs.labels) WHERE value = ?)', filter.label);
      if (filter.text !== undefined) {
        const pattern = containsPattern(filter.text);
        where.add("(id LIKE ? ESCAPE '\\' OR workflow LIKE ? ESCAPE '\\' OR command LIKE ? ESCAPE '\\')", pattern, pattern, pattern);
      }
      if (after !== undefined) where.add('(started_at, id) < (?, ?)', after.startedAt, after.id);
      const rows = this.all<RunColumns>(`SELECT * FROM runs${where.sql()} ORDER BY started_at DESC, id DESC LIMIT ?`, [
        ...where.params,
        count(limit, 'limit'),
      ]);
      return rows.map(rowToRun);
    });
  }

  runFamily(runId: string): Promise<RunRow[] | undefined> {
    return this.exclusive(() => {
      // Up along replay_of to the original that still exists, then down to every replay of it.
      // The depth bound ends the walk should runs created through the API name each other in a cycle.
      const rows = this.all<RunColumns>(
        `WITH RECURSIVE
           up(id, replay_of, depth) AS (
             SELECT id, replay_of, 0 FROM runs WHERE id = ?
             UNION
             SELECT r.id, r.replay_of, up.depth + 1 FROM up JOIN runs r ON r.id = up.replay_of WHERE up.depth < ?
           ),
           root(id) AS (SELECT id FROM up ORDER BY depth DESC LIMIT 1),
           down(id, depth) AS (
             SELECT id, 0 FROM root
             UNION
             SELECT r.id, down.depth + 1 FROM down JOIN runs r ON r.replay_of = down.id WHERE down.depth < ?
           )
         SELECT * FROM runs WHERE id IN (SELECT id FROM down)`,
        [runId, maxFamilyDepth, maxFamilyDepth],
      );
      return rows.length === 0 ? undefined : rows.map(rowToRun);
    });
  }

  countNodes(runId: string): Promise<{ byStatus: Record<string, number>; byKind: Record<string, number> }> {
    return this.exclusive(() => {
      const byStatus = this.all<{ status: string; n: number }>(
        'SELECT status, COUNT(*) AS n FROM nodes WHERE run_id = ? AND placeholder = 0 GROUP BY status',
        [runId],
      );
      const byKind = this.all<{ kind: string; n: number }>(
        'SELECT kind, COUNT(*) AS n FROM nodes WHERE run_id = ? AND placeholder = 0 GROUP BY kind',
        [runId],
      );
      return {
        byStatus: Object.fromEntries(byStatus.map((r) => [r.status, r.n])),
        byKind: Object.fromEntries(byKind.map((r) => [r.kind, r.n])),
      };
    });
  }

  ingest(requests: readonly IngestRequestRows[]): Promise<IngestOutcome[]> {
    if (requests.length === 0) return Promise.resolve([]);
    return this.exclusive(async () => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const { plan, outcomes } = await planIngest(requests, this.reader);
        this.applyPlan(plan);
        this.db.exec('COMMIT');
        return outcomes;
      } catch (error) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw error;
      }
    });
  }

  getNode(id: string): Promise<NodeRow | undefined> {
    return this.exclusive(() => {
      const row = this.get<NodeColumns & PayloadColumns>(
        `SELECT ${nodeSummary}, n.input, n.output, n.attributes FROM nodes n WHERE n.id = ?`,
        [id],
      );
      return row && rowToNode(row, row);
    });
  }

  listRunNodes(runId: string): Promise<NodeRow[]> {
    return this.exclusive(() => {
      // Two index scans instead of one sort: placeholders (no seq yet) go last.
      const placed = this.all<NodeColumns>(
        `SELECT ${nodeSummary} FROM nodes n WHERE n.run_id = ? AND n.seq IS NOT NULL ORDER BY n.seq, n.id`,
        [runId],
      );
      const waiting = this.all<NodeColumns>(`SELECT ${nodeSummary} FROM nodes n WHERE n.run_id = ? AND n.seq IS NULL ORDER BY n.id`, [
        runId,
      ]);
      return [...placed, ...waiting].map((row) => rowToNode(row));
    });
  }

  listNodesWithPayloads(runId: string, limit: number, after?: SiblingCursor): Promise<NodeRow[]> {
    return this.exclusive(() => {
      // Real nodes always have a seq; placeholders never do.
      const select = `SELECT ${nodeSummary}, n.input, n.output, n.attributes FROM nodes n WHERE n.run_id = ? AND n.seq IS NOT NULL`;
      const rows =
        after === undefined
          ? this.all<NodeColumns & PayloadColumns>(`${select} ORDER BY n.seq, n.id LIMIT ?`, [runId, count(limit, 'limit')])
          : this.all<NodeColumns & PayloadColumns>(`${select} AND (n.seq, n.id) > (?, ?) ORDER BY n.seq, n.id LIMIT ?`, [
              runId,
              after.seq,
              after.id,
              count(limit, 'limit'),
            ]);
      return rows.map((row) => rowToNode(row, row));
    });
  }

  listKeyedNodes(runId: string): Promise<NodeRow[]> {
    return this.exclusive(() => {
      // Like listRunNodes: two index scans, nodes without a seq last.
      const select = `SELECT ${nodeSummary}, NULL AS input, n.output, n.attributes FROM nodes n WHERE n.run_id = ? AND n.key IS NOT NULL`;
      const placed = this.all<NodeColumns & PayloadColumns>(`${select} AND n.seq IS NOT NULL ORDER BY n.seq, n.id`, [runId]);
      const waiting = this.all<NodeColumns & PayloadColumns>(`${select} AND n.seq IS NULL ORDER BY n.id`, [runId]);
      return [...placed, ...waiting].map((row) => rowToNode(row, row));
    });
  }

  pathToRoot(nodeId: string): Promise<NodeRow[] | undefined> {
    return this.exclusive(() => {
      const rows = this.all<NodeColumns>(
        `WITH RECURSIVE path(id, depth) AS (
           SELECT id, 0 FROM nodes WHERE id = ?
           UNION ALL
           SELECT n.parent_id, path.depth + 1 FROM path JOIN nodes n ON n.id = path.id
           WHERE n.parent_id IS NOT NULL AND path.depth < ?
         )
         SELECT ${nodeSummary} FROM path JOIN nodes n ON n.id = path.id ORDER BY path.depth DESC`,
        [nodeId, maxTreeDepth],
      );
      return rows.length === 0 ? undefined : rows.map((row) => rowToNode(row));
    });
  }

  subtree(
    nodeId: string,
    depth: number,
    limit: number,
  ): Promise<{ rows: Array<NodeRow & { depth: number }>; truncated: boolean } | undefined> {
    return this.exclusive(() => {
      const maxDepth = count(depth, 'depth');
      const maxRows = count(limit, 'limit');
      // The walk goes one level deeper than asked and one row further, so both kinds of truncation
      // show. Ordered by (depth, seq, id), the queue is drained breadth-first in the final order,
      // and its LIMIT stops the walk after the rows needed instead of visiting the whole subtree.
      const rows = this.all<NodeColumns & { depth: number }>(
        `WITH RECURSIVE sub(id, seq, depth) AS (
           SELECT id, seq, 0 FROM nodes WHERE id = ?
           UNION ALL
           SELECT c.id, c.seq, sub.depth + 1 FROM sub JOIN nodes c ON c.parent_id = sub.id
           WHERE sub.depth <= ?
           ORDER BY 3, 2, 1
           LIMIT ?
         )
         SELECT ${nodeSummary}, sub.depth FROM sub JOIN nodes n ON n.id = sub.id ORDER BY sub.depth, sub.seq, sub.id`,
        [nodeId, maxDepth, maxRows + 1],
      );
      if (rows.length === 0) return undefined;
      const within = rows.filter((row) => row.depth <= maxDepth);
      return {
        rows: within.slice(0, maxRows).map((row) => Object.assign(rowToNode(row), { depth: row.depth })),
        truncated: within.length < rows.length || within.length > maxRows,
      };
    });
  }

  children(runId: string, parentId: string | null, limit: number, after?: SiblingCursor): Promise<NodeRow[]> {
    return this.exclusive(() => {
      const where = new Conditions();
      where.add('n.run_id = ?', runId);
      if (parentId === null) where.add('n.parent_id IS NULL AND n.placeholder = 0');
      else where.add('n.parent_id = ?', parentId);
      if (after !== undefined) where.add('(n.seq, n.id) > (?, ?)', after.seq, after.id);
      const rows = this.all<NodeColumns>(`SELECT ${nodeSummary} FROM nodes n${where.sql()} ORDER BY n.seq, n.id LIMIT ?`, [
        ...where.params,
        count(limit, 'limit'),
      ]);
      return rows.map((row) => rowToNode(row));
    });
  }

  searchNodes(filter: NodeFilter, limit: number, after?: NodeSearchCursor): Promise<Array<NodeRow & { workflow: string }>> {
    return this.exclusive(() => {
      const where = new Conditions();
      where.add('n.placeholder = 0');
      if (filter.kind !== undefined) where.add('n.kind = ?', filter.kind);
      if (filter.status !== undefined) where.add('n.status = ?', filter.status);
      if (filter.runId !== undefined) where.add('n.run_id = ?', filter.runId);
      if (filter.workflow !== undefined) where.add('r.workflow = ?', filter.workflow);
      if (filter.text !== undefined) {
        const pattern = containsPattern(filter.text);
        const columns = ['n.name', 'n.key', 'n.error', 'n.input', 'n.output'];
        where.add(`(${columns.map((c) => `${c} LIKE ? ESCAPE '\\'`).join(' OR ')})`, ...columns.map(() => pattern));
      }
      if (after !== undefined) where.add('(n.started_at, n.id) < (?, ?)', after.startedAt, after.id);
      const rows = this.all<NodeColumns & { workflow: string }>(
        `SELECT ${nodeSummary}, r.workflow FROM nodes n JOIN runs r ON r.id = n.run_id${where.sql()}
         ORDER BY n.started_at DESC, n.id DESC LIMIT ?`,
        [...where.params, count(limit, 'limit')],
      );
      return rows.map((row) => Object.assign(rowToNode(row), { workflow: row.workflow }));
    });
  }

  stats(filter: StatsFilter): Promise<WorkflowStatsRow[]> {
    return this.exclusive(() => {
      const where = new Conditions();
      if (filter.workflow !== undefined) where.add('workflow = ?', filter.workflow);
      if (filter.since !== undefined) where.add('started_at >= ?', filter.since);
      if (filter.until !== undefined) where.add('started_at < ?', filter.until);
      const totals = this.all<{
        workflow: string;
        runs: number;
        tokens_in: number;
        tokens_out: number;
        cost_usd: number;
        last_run_at: number;
      }>(
        `SELECT workflow, COUNT(*) AS runs, SUM(tokens_in) AS tokens_in, SUM(tokens_out) AS tokens_out, SUM(cost_usd) AS cost_usd,
           MAX(started_at) AS last_run_at
         FROM runs${where.sql()} GROUP BY workflow ORDER BY workflow`,
        where.params,
      );
      const statuses = this.all<{ workflow: string; status: string; runs: number }>(
        `SELECT workflow, status, COUNT(*) AS runs FROM runs${where.sql()} GROUP BY workflow, status`,
        where.params,
      );
      // Only the durations at the ranks the percentiles interpolate between leave SQLite.
      const ranked = this.all<{ workflow: string; rank: number; n: number; duration_ms: number }>(
        `WITH ranked AS (
           SELECT workflow, duration_ms,
             ROW_NUMBER() OVER (PARTITION BY workflow ORDER BY duration_ms) - 1 AS rank,
             COUNT(*) OVER (PARTITION BY workflow) AS n
           FROM runs${where.and('duration_ms IS NOT NULL')}
         )
         SELECT workflow, rank, n, duration_ms FROM ranked
         WHERE rank IN (CAST(0.5 * (n - 1) AS INTEGER), CAST(0.5 * (n - 1) AS INTEGER) + 1,
                        CAST(0.95 * (n - 1) AS INTEGER), CAST(0.95 * (n - 1) AS INTEGER) + 1)`,
        where.params,
      );
      const byStatus = new Map<string, Record<string, number>>();
      for (const row of statuses) byStatus.set(row.workflow, { ...byStatus.get(row.workflow), [row.status]: row.runs });
      const durations = new Map<string, { n: number; at: Map<number, number> }>();
      for (const row of ranked) {
        const entry = durations.get(row.workflow) ?? { n: row.n, at: new Map<number, number>() };
        entry.at.set(row.rank, row.duration_ms);
        durations.set(row.workflow, entry);
      }
      return totals.map((row) => {
        const sorted = durations.get(row.workflow);
        return {
          workflow: row.workflow,
          runs: row.runs,
          byStatus: byStatus.get(row.workflow) ?? {},
          p50DurationMs: sorted ? percentileCont(sorted.n, sorted.at, 0.5) : null,
          p95DurationMs: sorted ? percentileCont(sorted.n, sorted.at, 0.95) : null,
          tokensIn: row.tokens_in,
          tokensOut: row.tokens_out,
          costUsd: row.cost_usd,
          lastRunAt: row.last_run_at,
        };
      });
    });
  }

  /** Reads inside the open ingest transaction. */
  private readonly reader: IngestReader = {
    runNodeCounts: async (runIds) => {
      const counts = new Map<string, number>();
      for (const chunk of chunks(runIds)) {
        const rows = this.all<{ id: string; node_count: number }>(
          'SELECT id, node_count FROM runs WHERE id IN (SELECT value FROM json_each(?))',
          [JSON.stringify(chunk)],
        );
        for (const row of rows) counts.set(row.id, row.node_count);
      }
      return counts;
    },
    nodeStates: async (ids) => {
      const states = new Map<string, NodeState>();
      for (const chunk of chunks(ids)) {
        const rows = this.all<{ state: string }>(`SELECT ${nodeState} FROM nodes n WHERE n.id IN (SELECT value FROM json_each(?))`, [
          JSON.stringify(chunk),
        ]);
        for (const row of rows) {
          const state = rowToNodeState(row);
          states.set(state.id, state);
        }
      }
      return states;
    },
    storedAncestors: async (id) => {
      const rows = this.all<{ state: string }>(
        `WITH RECURSIVE up(id, depth) AS (
           SELECT parent_id, 1 FROM nodes WHERE id = ? AND parent_id IS NOT NULL
           UNION ALL
           SELECT n.parent_id, up.depth + 1 FROM up JOIN nodes n ON n.id = up.id
           WHERE n.parent_id IS NOT NULL AND up.depth < ?
         )
         SELECT ${nodeState} FROM up JOIN nodes n ON n.id = up.id ORDER BY up.depth`,
        [id, maxTreeDepth],
      );
      return rows.map(rowToNodeState);
    },
  };

  private applyPlan(plan: WritePlan): void {
    const insert = this.statement(insertNodeSql);
    for (const row of plan.creates) insert.run(nodeFields.map((field) => sqlValue(row[field])));
    for (const { id, set } of plan.updates) {
      const fields = (Object.keys(set) as Array<keyof NodeRow>).filter((field) => set[field] !== undefined).sort();
      if (fields.length === 0) continue;
      this.updateStatement(fields).run([...fields.map((field) => sqlValue(set[field])), id]);
    }
    // CHILD_OF is nodes.parent_id, written by the rows above; an edge no row carries is a planner bug.
    const parentOf = new Map<string, string | null | undefined>();
    for (const row of plan.creates) parentOf.set(row.id, row.parentId);
    for (const { id, set } of plan.updates) if (set.parentId !== undefined) parentOf.set(id, set.parentId);
    for (const edge of plan.edges) {
      if (parentOf.get(edge.childId) !== edge.parentId) {
        throw new Error(`Ingest plan has an edge ${edge.childId} -> ${edge.parentId} that no written row carries`);
      }
    }
    const addToRun = this.statement(
      'UPDATE runs SET node_count = node_count + ?, tokens_in = tokens_in + ?, tokens_out = tokens_out + ?, cost_usd = cost_usd + ? WHERE id = ?',
    );
    for (const delta of plan.runDeltas) {
      if (delta.nodeCount === 0 && delta.tokensIn === 0 && delta.tokensOut === 0 && delta.costUsd === 0) continue;
      addToRun.run([delta.nodeCount, delta.tokensIn, delta.tokensOut, delta.costUsd, delta.runId]);
    }
  }

  /** One prepared UPDATE per set of columns, `fields` sorted. */
  private updateStatement(fields: ReadonlyArray<keyof NodeRow>): Statement {
    const cacheKey = fields.join(',');
    let statement = this.updateStatements.get(cacheKey);
    if (statement) {
      this.updateStatements.delete(cacheKey);
    } else {
      const assignments = fields.map((field) => {
        if (field === 'id' || field === 'runId' || !(field in nodeColumnOf)) throw new Error(`Ingest plan updates node field ${field}`);
        return `${nodeColumnOf[field]} = ?`;
      });
      statement = this.db.prepare(`UPDATE nodes SET ${assignments.join(', ')} WHERE id = ?`);
      if (this.updateStatements.size >= maxUpdateStatements) {
        const [oldestKey, oldest] = this.updateStatements.entries().next().value as [string, Statement];
        oldest.finalize();
        this.updateStatements.delete(oldestKey);
      }
    }
    this.updateStatements.set(cacheKey, statement);
    return statement;
  }

  private readRun(id: string): RunRow | undefined {
    const row = this.get<RunColumns>('SELECT * FROM runs WHERE id = ?', [id]);
    return row && rowToRun(row);
  }

  /** Runs `work` after every operation queued before it. */
  private exclusive<T>(work: () => T | Promise<T>): Promise<T> {
    const result = this.queue.then(() => {
      if (this.closed) throw new Error('The embedded store is closed');
      return work();
    });
    this.queue = result.catch(() => undefined);
    return result;
  }

  private transaction<T>(work: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = work();
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw error;
    }
  }

  /** Prepared once per SQL text and kept until close(); every SQL text here comes from a bounded set. */
  private statement(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private all<T>(sql: string, params: Params): T[] {
    return this.statement(sql).all(params) as unknown as T[];
  }

  /**
   * The first row of a query that yields at most one. Steps to the end: the library's get() leaves
   * a cached statement open, and an open statement makes COMMIT fail.
   */
  private get<T>(sql: string, params: Params): T | undefined {
    return this.all<T>(sql, params)[0];
  }

  private run(sql: string, params: Params): number {
    return this.statement(sql).run(params).changes;
  }
}

/** SQL conditions joined with AND; the texts are fixed fragments, values go to `params`. */
class Conditions {
  private readonly clauses: string[] = [];
  readonly params: Params = [];

  add(clause: string, ...params: Params): void {
    this.clauses.push(clause);
    this.params.push(...params);
  }

  sql(): string {
    return this.clauses.length === 0 ? '' : ` WHERE ${this.clauses.join(' AND ')}`;
  }

  /** The conditions plus one fixed clause without parameters. */
  and(clause: string): string {
    return ` WHERE ${[...this.clauses, clause].join(' AND ')}`;
  }
}

function count(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 0) throw invalid(`${name} must be a non-negative integer, got ${value}`);
  return value;
}

/** A LIKE pattern (ESCAPE '\') matching `text` anywhere; LIKE ignores ASCII case. */
function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function* chunks<T>(items: readonly T[]): Generator<T[]> {
  for (let i = 0; i < items.length; i += lookupChunk) yield items.slice(i, i + lookupChunk);
}

function sqlValue(value: unknown): SQLiteValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value as SQLiteValue;
}

function runParams(run: RunRow): Params {
  return runFields.map((field) => (field === 'labels' ? JSON.stringify(run.labels) : sqlValue(run[field])));
}

/**
 * Neo4j's percentileCont over values sorted ascending, given the count and the values at the ranks
 * around p * (n - 1); same arithmetic, so both stores answer the same number.
 */
function percentileCont(n: number, at: Map<number, number>, p: number): number | null {
  const rank = p * (n - 1);
  const floor = Math.floor(rank);
  const ceil = Math.ceil(rank);
  const low = at.get(floor);
  if (low === undefined) return null;
  if (floor === ceil || floor === n - 1) return low;
  const high = at.get(ceil) ?? low;
  return low * (ceil - rank) + high * (rank - floor);
}

function rowToRun(row: RunColumns): RunRow {
  return {
    id: row.id,
    workflow: row.workflow,
    status: row.status,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    durationMs: row.duration_ms,
    error: row.error,
    command: row.command,
    cwd: row.cwd,
    gitRepo: row.git_repo,
    gitBranch: row.git_branch,
    gitCommit: row.git_commit,
    gitDirty: row.git_dirty === null ? null : row.git_dirty !== 0,
    labels: JSON.parse(row.labels) as string[],
    replayOf: row.replay_of,
    forkedFromNode: row.forked_from_node,
    nodeCount: row.node_count,
    tokensIn: row.tokens_in,
    tokensOut: row.tokens_out,
    costUsd: row.cost_usd,
  };
}

const noPayloads: PayloadColumns = { input: null, output: null, attributes: null };

function rowToNode(row: NodeColumns, payloads: PayloadColumns = noPayloads): NodeRow {
  const [
    id,
    runId,
    parentId,
    key,
    kind,
    name,
    status,
    seq,
    startedAt,
    endedAt,
    durationMs,
    error,
    tokensIn,
    tokensOut,
    costUsd,
    file,
    line,
    column,
    fn,
    replayed,
    diverged,
    placeholder,
  ] = JSON.parse(row.node);
  return {
    id,
    runId,
    parentId,
    key,
    kind,
    name,
    status,
    seq,
    startedAt,
    endedAt,
    durationMs,
    input: payloads.input,
    output: payloads.output,
    error,
    attributes: payloads.attributes,
    tokensIn,
    tokensOut,
    costUsd,
    file,
    line,
    column,
    function: fn,
    replayed: replayed === 1,
    diverged: diverged === 1,
    placeholder: placeholder === 1,
  };
}

function rowToNodeState(row: { state: string }): NodeState {
  const [
    id,
    runId,
    parentId,
    key,
    kind,
    name,
    status,
    seq,
    startedAt,
    endedAt,
    tokensIn,
    tokensOut,
    costUsd,
    replayed,
    diverged,
    placeholder,
    hasInput,
    hasOutput,
    hasError,
    hasAttributes,
    hasSource,
  ] = JSON.parse(row.state);
  return {
    id,
    runId,
    parentId,
    key,
    kind,
    name,
    status,
    seq,
    startedAt,
    endedAt,
    tokensIn,
    tokensOut,
    costUsd,
    replayed: replayed === 1,
    diverged: diverged === 1,
    placeholder: placeholder === 1,
    hasInput: hasInput === 1,
    hasOutput: hasOutput === 1,
    hasError: hasError === 1,
    hasAttributes: hasAttributes === 1,
    hasSource: hasSource === 1,
  };
}
