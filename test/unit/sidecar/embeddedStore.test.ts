import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SqliteDatabase, StoreOpenError } from '../../../sidecar/store/sqlite/sqliteDatabase';
import { resolveToken } from '../../../sidecar/token';

describe('embedded store file', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runtrail-sqlite-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('opens in WAL mode with full sync and answers its health check', () => {
    const store = SqliteDatabase.open(dir);
    try {
      assert.deepEqual(store.db.get('PRAGMA journal_mode'), { journal_mode: 'wal' });
      assert.deepEqual(store.db.get('PRAGMA synchronous'), { synchronous: 2 });
      const health = store.check();
      assert.equal(health.status, 'ok');
      assert.equal(health.target, path.join(dir, 'runtrail.db'));
      assert.equal(fs.readFileSync(path.join(dir, 'runtrail.db.pid'), 'utf8').trim(), String(process.pid));
    } finally {
      store.close();
    }
    assert.equal(fs.existsSync(path.join(dir, 'runtrail.db.pid')), false);
  });

  it('refuses a file another live process owns, naming that process', () => {
    const owner = process.ppid; // alive for the whole test
    fs.writeFileSync(path.join(dir, 'runtrail.db.pid'), `${owner}\n`);
    assert.throws(
      () => SqliteDatabase.open(dir),
      (error: unknown) => {
        assert.ok(error instanceof StoreOpenError);
        assert.match(error.message, new RegExp(`in use by process ${owner}.*RUNTRAIL_DATA_DIR`));
        return true;
      },
    );
  });

  it('recovers from a stale lock left by a killed owner', () => {
    const first = SqliteDatabase.open(dir);
    first.db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (42);');
    // Simulate kill -9: the lock directory stays and the pid file names a dead process.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    fs.mkdirSync(path.join(dir, 'runtrail.db.lock'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'runtrail.db.pid'), `${dead}\n`);
    first.db.close();
    const second = SqliteDatabase.open(dir);
    try {
      assert.deepEqual(second.db.get('SELECT x FROM t'), { x: 42 });
    } finally {
      second.close();
    }
  });
});

describe('sidecar token', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runtrail-token-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is generated once with mode 0600 and reused by the next start', () => {
    const first = resolveToken(dir, undefined);
    assert.match(first.token, /^[0-9a-f]{64}$/);
    assert.equal(first.file, path.join(dir, 'token'));
    assert.equal(fs.statSync(first.file).mode & 0o777, 0o600);
    assert.equal(resolveToken(dir, undefined).token, first.token);
  });

  it('comes from RUNTRAIL_TOKEN without touching the disk', () => {
    const token = resolveToken(dir, 'fixed-token-fixed-token');
    assert.deepEqual(token, { token: 'fixed-token-fixed-token', file: undefined });
    assert.equal(fs.existsSync(path.join(dir, 'token')), false);
  });

  it('replaces a corrupt token file', () => {
    fs.writeFileSync(path.join(dir, 'token'), 'garbage');
    assert.match(resolveToken(dir, undefined).token, /^[0-9a-f]{64}$/);
  });
});
