import * as assert from 'node:assert/strict';
import { ConfigError, defaultDataDir, loadConfig, redact } from '../../../sidecar/config';

const linux = { platform: 'linux' as const, home: '/home/ada', env: {} };

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env, linux);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    return [...error.problems];
  }
  assert.fail('expected loadConfig to reject the environment');
}

describe('sidecar configuration', () => {
  it('defaults to loopback, port 7317, the embedded store and the in-process relay', () => {
    const config = loadConfig({}, linux);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 7317);
    assert.equal(config.dataDir, '/home/ada/.local/share/runtrail');
    assert.equal(config.neo4j, undefined);
    assert.equal(config.redisUrl, undefined);
    assert.equal(config.token, undefined);
    assert.equal(config.logLevel, 'info');
    assert.deepEqual(config.relay, { maxLen: 100_000, bufferSize: 10_000 });
  });

  it('reads every documented variable', () => {
    const config = loadConfig(
      {
        RUNTRAIL_PORT: '0',
        RUNTRAIL_HOST: '::1',
        RUNTRAIL_DATA_DIR: '~/rt',
        RUNTRAIL_TOKEN: 'abcdefghijklmnop',
        NEO4J_URI: 'neo4j+s://db.example.com:7687',
        NEO4J_USER: 'neo4j',
        NEO4J_PASSWORD: 'secret',
        NEO4J_DATABASE: 'runs',
        REDIS_URL: 'redis://127.0.0.1:6380/2',
        RUNTRAIL_LOG_LEVEL: 'debug',
        RUNTRAIL_ALLOWED_HOSTS: 'Runtrail.internal, other',
      },
      linux,
    );
    assert.equal(config.port, 0);
    assert.equal(config.host, '::1');
    assert.equal(config.dataDir, '/home/ada/rt');
    assert.equal(config.token, 'abcdefghijklmnop');
    assert.deepEqual(config.neo4j, { uri: 'neo4j+s://db.example.com:7687', user: 'neo4j', password: 'secret', database: 'runs' });
    assert.equal(config.redisUrl, 'redis://127.0.0.1:6380/2');
    assert.equal(config.logLevel, 'debug');
    assert.deepEqual(config.allowedHosts, ['runtrail.internal', 'other']);
  });

  it('treats empty values as unset', () => {
    const config = loadConfig({ NEO4J_URI: '', REDIS_URL: '  ', RUNTRAIL_PORT: '' }, linux);
    assert.equal(config.neo4j, undefined);
    assert.equal(config.redisUrl, undefined);
    assert.equal(config.port, 7317);
  });

  it('names each bad value, all at once', () => {
    const problems = problemsOf({
      RUNTRAIL_PORT: 'eighty',
      NEO4J_URI: 'http://localhost:7474',
      REDIS_URL: 'localhost:6379',
      RUNTRAIL_LOG_LEVEL: 'loud',
    });
    assert.equal(problems.length, 4, problems.join('\n'));
    assert.match(problems[0] ?? '', /^RUNTRAIL_PORT="eighty" is not an integer from 0 to 65535/);
    assert.ok(problems.some((p) => /^RUNTRAIL_LOG_LEVEL="loud" is not a log level: use one of fatal, error/.test(p)));
    assert.ok(problems.some((p) => /^NEO4J_URI="http:\/\/localhost:7474" is not a Neo4j URI: expected bolt:\/\//.test(p)));
    assert.ok(problems.some((p) => /^REDIS_URL="localhost:6379" is not a Redis URL/.test(p)));
  });

  it('rejects ports out of range and non-integers', () => {
    for (const port of ['65536', '-1', '80.5', '1e3']) {
      assert.match(problemsOf({ RUNTRAIL_PORT: port })[0] ?? '', /RUNTRAIL_PORT/);
    }
  });

  it('reads the Redis relay bounds and rejects a retention too small for one publish batch', () => {
    const config = loadConfig({ RUNTRAIL_RELAY_MAXLEN: '5000', RUNTRAIL_RELAY_BUFFER: '200' }, linux);
    assert.deepEqual(config.relay, { maxLen: 5_000, bufferSize: 200 });
    const problems = problemsOf({ RUNTRAIL_RELAY_MAXLEN: '10', RUNTRAIL_RELAY_BUFFER: 'lots' });
    assert.match(problems[0] ?? '', /^RUNTRAIL_RELAY_MAXLEN="10" is not an integer from 1000 to 100000000/);
    assert.match(problems[1] ?? '', /^RUNTRAIL_RELAY_BUFFER="lots" is not an integer/);
  });

  it('requires NEO4J_USER and NEO4J_PASSWORD together', () => {
    assert.match(problemsOf({ NEO4J_URI: 'bolt://x', NEO4J_PASSWORD: 'p' })[0] ?? '', /NEO4J_PASSWORD is set without NEO4J_USER/);
    assert.match(problemsOf({ NEO4J_URI: 'bolt://x', NEO4J_USER: 'u' })[0] ?? '', /NEO4J_USER="u" is set without NEO4J_PASSWORD/);
  });

  it('flags Neo4j settings given without NEO4J_URI instead of silently using the embedded store', () => {
    assert.match(problemsOf({ NEO4J_PASSWORD: 'p' })[0] ?? '', /NEO4J_PASSWORD is set but NEO4J_URI is not/);
  });

  it('refuses credentials inside NEO4J_URI and never echoes the password', () => {
    const [problem] = problemsOf({ NEO4J_URI: 'bolt://neo4j:hunter2@localhost' });
    assert.match(problem ?? '', /must not carry credentials/);
    assert.doesNotMatch(problem ?? '', /hunter2/);
  });

  it('rejects a Redis database that is not a number, and weak tokens', () => {
    assert.match(problemsOf({ REDIS_URL: 'redis://localhost/cache' })[0] ?? '', /a Redis database is a number/);
    assert.match(problemsOf({ RUNTRAIL_TOKEN: 'short' })[0] ?? '', /RUNTRAIL_TOKEN must be 16 to 512 printable characters/);
  });

  it('rejects a bad database name and a bad host', () => {
    assert.match(problemsOf({ NEO4J_URI: 'bolt://x', NEO4J_DATABASE: 'my db' })[0] ?? '', /NEO4J_DATABASE="my db"/);
    assert.match(problemsOf({ RUNTRAIL_HOST: 'local host' })[0] ?? '', /RUNTRAIL_HOST="local host"/);
  });

  it('picks the per-user data folder of each OS', () => {
    assert.equal(defaultDataDir({ platform: 'linux', home: '/h', env: { XDG_DATA_HOME: '/x' } }), '/x/runtrail');
    assert.equal(defaultDataDir({ platform: 'darwin', home: '/Users/a', env: {} }), '/Users/a/Library/Application Support/Runtrail');
    assert.match(defaultDataDir({ platform: 'win32', home: 'C:/Users/a', env: { LOCALAPPDATA: 'C:/L' } }), /C:\/L.Runtrail$/);
  });

  it('redacts passwords in URLs', () => {
    assert.equal(redact('redis://:pw@host:6379'), 'redis://:***@host:6379');
    assert.equal(redact('bolt://host:7687'), 'bolt://host:7687');
  });
});
