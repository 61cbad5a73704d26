import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Statement } from 'node-sqlite3-wasm';
import { SqliteDatabase } from '../../sidecar/store/sqlite/sqliteDatabase';
import { applySchema } from '../../sidecar/store/sqlite/sqliteSchema';
import type { BenchNode } from './nodeBatches';

/**
 * The SQLite ceiling: the same records inserted straight into a temporary database opened the
 * way the sidecar opens its own (SqliteDatabase: EXCLUSIVE + WAL + synchronous=FULL, the
 * sidecar's schema and indexes), one transaction per batch, a prepared INSERT per node and the
 * run's node count bumped once per batch. node-sqlite3-wasm is synchronous and one process owns
 * the file, so concurrent clients cannot go faster than one: the 1-client figure is the ceiling
 * for 16 clients as well.
 */

const INSERT_NODE = `
INSERT INTO nodes (id, run_id, parent_id, seq, kind, name, status, started_at, ended_at, duration_ms, input, output)
VALUES (?, ?, ?, ?, ?, ?, 'ok', ?, ?, ?, ?, ?)`;

const INSERT_RUN = `INSERT INTO runs (id, workflow, status, started_at) VALUES (?, 'bench-direct', 'running', ?)`;

const ADD_NODE_COUNT = 'UPDATE runs SET node_count = node_count + ? WHERE id = ?';

// What the sidecar's tree listing reads: every node column but the payloads, one JSON text a row.
const LIST_RUN_NODES = `
SELECT json_array(n.id, n.run_id, n.parent_id, n.key, n.kind, n.name, n.status, n.seq, n.started_at, n.ended_at,
  n.duration_ms, n.error, n.tokens_in, n.tokens_out, n.cost_usd, n.source_file, n.source_line, n.source_column,
  n.source_function, n.replayed, n.diverged, n.placeholder) AS node
FROM nodes n WHERE n.run_id = ? AND n.seq IS NOT NULL ORDER BY n.seq, n.id`;

export class SqliteDirect {
  private readonly dir: string;
  private readonly database: SqliteDatabase;
  private readonly insertNode: Statement;
  private readonly addNodeCount: Statement;

  constructor() {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runtrail-bench-sqlite-'));
    this.database = SqliteDatabase.open(this.dir);
    applySchema(this.database.db);
    this.insertNode = this.database.db.prepare(INSERT_NODE);
    this.addNodeCount = this.database.db.prepare(ADD_NODE_COUNT);
  }

  createRun(id: string): void {
    this.database.db.run(INSERT_RUN, [id, Date.now()]);
  }

  /** One durable transaction for the batch; returns the number of nodes written. */
  writeBatch(runId: string, nodes: readonly BenchNode[]): number {
    const db = this.database.db;
    db.exec('BEGIN IMMEDIATE');
    try {
      for (const n of nodes) {
        this.insertNode.run([
          n.id,
          runId,
          n.parentId,
          n.seq,
          n.kind,
          n.name,
          n.startedAt,
          n.endedAt,
          n.endedAt - n.startedAt,
          n.input,
          n.output,
        ]);
      }
      this.addNodeCount.run([nodes.length, runId]);
      db.exec('COMMIT');
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw error;
    }
    return nodes.length;
  }

  /** The tree listing, decoded to values like the sidecar does; returns the number of nodes. */
  listRunNodes(runId: string): number {
    const rows = this.database.db.all(LIST_RUN_NODES, [runId]) as Array<{ node: string }>;
    return rows.map((row) => JSON.parse(row.node) as unknown[]).length;
  }

  close(): void {
    this.insertNode.finalize();
    this.addNodeCount.finalize();
    this.database.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
