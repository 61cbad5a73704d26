import * as fs from 'node:fs';
import * as path from 'node:path';
import { Database } from 'node-sqlite3-wasm';
import type { ServiceHealth } from '../../../protocol/health';
import { processAlive } from '../../util/processes';

/** Why the embedded store could not be opened; main.ts prints it and exits non-zero. */
export class StoreOpenError extends Error {
  override name = 'StoreOpenError';
}

/**
 * The embedded store's SQLite file (node-sqlite3-wasm: no native addon, so the sidecar also runs
 * under VS Code's Electron runtime). One process owns the file:
 * - WAL is honoured only with EXCLUSIVE locking, so the file is opened EXCLUSIVE + WAL +
 *   synchronous=FULL (one fsync per commit: an acknowledged batch survives kill -9);
 * - the library locks with a `<db>.lock` directory that outlives kill -9, so ownership is tracked
 *   with a `<db>.pid` file and a stale lock is removed only when that pid is dead.
 * See ../shared/notes/embedded-store.md for the measurements behind these choices.
 */
export class SqliteDatabase {
  readonly db: Database;
  private closed = false;

  private constructor(
    readonly file: string,
    db: Database,
  ) {
    this.db = db;
  }

  static open(dataDir: string, fileName = 'runtrail.db'): SqliteDatabase {
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const file = path.join(dataDir, fileName);
    claimOwnership(file);
    let db: Database;
    try {
      db = new Database(file);
    } catch (error) {
      releaseOwnership(file);
      throw new StoreOpenError(`Cannot open the embedded store at ${file}: ${(error as Error).message}`);
    }
    try {
      db.exec('PRAGMA locking_mode = EXCLUSIVE');
      const mode = db.get('PRAGMA journal_mode = WAL') as { journal_mode?: string } | null;
      if (mode?.journal_mode !== 'wal') {
        throw new StoreOpenError(`SQLite refused WAL mode for ${file} (got ${mode?.journal_mode ?? 'nothing'})`);
      }
      db.exec('PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;');
    } catch (error) {
      db.close();
      releaseOwnership(file);
      if (error instanceof StoreOpenError) throw error;
      throw new StoreOpenError(`Cannot prepare the embedded store at ${file}: ${(error as Error).message}`);
    }
    return new SqliteDatabase(file, db);
  }

  check(): ServiceHealth {
    const started = performance.now();
    try {
      const row = this.db.get('SELECT sqlite_version() AS version') as { version: string };
      return {
        service: 'sqlite',
        status: 'ok',
        message: 'Embedded store open',
        target: this.file,
        version: row.version,
        latencyMs: Math.round((performance.now() - started) * 100) / 100,
      };
    } catch (error) {
      return {
        service: 'sqlite',
        status: 'unavailable',
        message: `The embedded store at ${this.file} failed: ${(error as Error).message}`,
        target: this.file,
        error: { code: 'sqlite_error', message: (error as Error).message },
      };
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
    releaseOwnership(this.file);
  }
}

function claimOwnership(file: string): void {
  const pidFile = `${file}.pid`;
  const owner = readPid(pidFile);
  if (owner !== undefined && owner !== process.pid && processAlive(owner)) {
    throw new StoreOpenError(
      `The embedded store ${file} is in use by process ${owner} (another Runtrail sidecar?). Stop it, or set RUNTRAIL_DATA_DIR to another folder.`,
    );
  }
  // The owner is gone (or never wrote a pid file): a lock directory left behind is stale.
  fs.rmSync(`${file}.lock`, { recursive: true, force: true });
  fs.writeFileSync(pidFile, `${process.pid}\n`, { mode: 0o600 });
}

function releaseOwnership(file: string): void {
  const pidFile = `${file}.pid`;
  if (readPid(pidFile) === process.pid) fs.rmSync(pidFile, { force: true });
}

function readPid(pidFile: string): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(pidFile, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
