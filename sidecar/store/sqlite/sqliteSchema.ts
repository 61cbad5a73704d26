import type { Database } from 'node-sqlite3-wasm';
import { StoreOpenError } from './sqliteDatabase';

/**
 * The embedded store's tables: the Neo4j model of DESIGN.md "Data model" in three tables.
 * - CHILD_OF is `nodes.parent_id`; NEXT is not stored, sibling order is `ORDER BY seq, id`.
 * - `edges` holds the other relations (OPTION, CHOSE, REPLAYS, REPLAY_OF, FORKED_AT) between nodes
 *   or runs; `props` is their JSON properties (an OPTION's label, score, rationale).
 * - Times are epoch ms, JSON values are TEXT, booleans INTEGER 0/1, run labels a JSON array.
 * - The payload columns come last in `nodes`: SQLite reads a column by walking the record, so
 *   listings that skip payloads never touch their overflow pages.
 */
export const schemaVersion = 1;

const schema = `
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY,
  workflow TEXT NOT NULL,
  status TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  ended_at INTEGER,
  duration_ms INTEGER,
  command TEXT,
  cwd TEXT,
  git_repo TEXT,
  git_branch TEXT,
  git_commit TEXT,
  git_dirty INTEGER,
  labels TEXT NOT NULL DEFAULT '[]',
  replay_of TEXT,
  forked_from_node TEXT,
  node_count INTEGER NOT NULL DEFAULT 0,
  tokens_in INTEGER NOT NULL DEFAULT 0,
  tokens_out INTEGER NOT NULL DEFAULT 0,
  cost_usd REAL NOT NULL DEFAULT 0,
  error TEXT
);
CREATE INDEX IF NOT EXISTS runs_started ON runs (started_at DESC, id DESC);
-- Filtered run lists are newest first: each filter index carries the list order, so a page is
-- an index range scan that stops at the limit.
CREATE INDEX IF NOT EXISTS runs_workflow ON runs (workflow, started_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS runs_branch ON runs (git_branch, started_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS runs_status ON runs (status, started_at DESC, id DESC);
-- A run's replays and forks (GET /api/runs/:id/family walks replay_of down).
CREATE INDEX IF NOT EXISTS runs_replay_of ON runs (replay_of) WHERE replay_of IS NOT NULL;

CREATE TABLE IF NOT EXISTS nodes (
  id TEXT PRIMARY KEY,
  run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  parent_id TEXT,
  seq INTEGER,
  key TEXT,
  kind TEXT NOT NULL,
  name TEXT,
  status TEXT NOT NULL,
  started_at INTEGER,
  ended_at INTEGER,
  duration_ms INTEGER,
  tokens_in INTEGER,
  tokens_out INTEGER,
  cost_usd REAL,
  source_file TEXT,
  source_line INTEGER,
  source_column INTEGER,
  source_function TEXT,
  replayed INTEGER NOT NULL DEFAULT 0,
  diverged INTEGER NOT NULL DEFAULT 0,
  placeholder INTEGER NOT NULL DEFAULT 0,
  error TEXT,
  attributes TEXT,
  input TEXT,
  output TEXT
);
CREATE INDEX IF NOT EXISTS nodes_run ON nodes (run_id, seq, id);
CREATE INDEX IF NOT EXISTS nodes_parent ON nodes (parent_id, seq, id);
-- Roots of a run in sibling order; the partial index keeps them apart from the run's other nodes.
CREATE INDEX IF NOT EXISTS nodes_roots ON nodes (run_id, seq, id) WHERE parent_id IS NULL AND placeholder = 0;
CREATE INDEX IF NOT EXISTS nodes_key ON nodes (key);
-- Node search is newest first over real nodes.
CREATE INDEX IF NOT EXISTS nodes_search ON nodes (started_at DESC, id DESC) WHERE placeholder = 0;

-- run_id and to_run_id are the runs of the two ends, so deleting a run finds every edge that
-- touches it (a REPLAYS edge from a later run, say) through an index.
CREATE TABLE IF NOT EXISTS edges (
  from_id TEXT NOT NULL,
  to_id TEXT NOT NULL,
  type TEXT NOT NULL,
  run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  to_run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  props TEXT,
  PRIMARY KEY (from_id, type, to_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS edges_to ON edges (to_id, type);
CREATE INDEX IF NOT EXISTS edges_run ON edges (run_id);
CREATE INDEX IF NOT EXISTS edges_to_run ON edges (to_run_id);
`;

/** Creates or checks the schema; idempotent. Throws when the file was written by a newer schema. */
export function applySchema(db: Database): void {
  const found = (db.get('PRAGMA user_version') as { user_version: number }).user_version;
  if (found > schemaVersion) {
    throw new StoreOpenError(
      `The embedded store has schema version ${found}, newer than this Runtrail understands (${schemaVersion}). Update Runtrail.`,
    );
  }
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec(schema);
    // PRAGMA takes no bound parameters; the value is a constant of this module.
    db.exec(`PRAGMA user_version = ${schemaVersion}`);
    db.exec('COMMIT');
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw error;
  }
  // Refreshes planner statistics where they are missing or stale; cheap when nothing changed.
  db.exec('PRAGMA optimize = 0x10002');
}
