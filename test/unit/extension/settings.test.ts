import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import {
  explainConfigError,
  type HostContext,
  type RuntrailSettings,
  readSettings,
  resolveDataDir,
  sidecarEnvironment,
} from '../../../extension/settings';

/** A WorkspaceConfiguration as VS Code hands it over: `get('neo4j.uri')` for `runtrail.neo4j.uri`. */
function source(values: Record<string, unknown>) {
  return { get: <T>(section: string) => values[section] as T | undefined };
}

const linuxHost: HostContext = {
  workspaceFolder: '/work/project',
  home: '/home/ada',
  platform: 'linux',
  env: { PATH: '/usr/bin', HOME: '/home/ada' },
};

function settingsOf(values: Record<string, unknown>): RuntrailSettings {
  const { settings, problems } = readSettings(source(values));
  assert.deepEqual(problems, []);
  return settings;
}

describe('extension settings', () => {
  describe('readSettings', () => {
    it('gives the defaults for an empty configuration (VS Code reports unset strings as "")', () => {
      const { settings, problems } = readSettings(
        source({ 'sidecar.mode': 'auto', 'sidecar.url': '', 'neo4j.uri': '  ', 'runs.groupBy': 'workflow' }),
      );
      assert.deepEqual(problems, []);
      assert.deepEqual(settings, {
        sidecar: { mode: 'auto', url: undefined, token: undefined, logLevel: 'info' },
        dataDir: undefined,
        neo4j: { uri: undefined, user: undefined, database: undefined },
        redis: { url: undefined },
        codeLens: { enabled: true },
        runs: { groupBy: 'workflow' },
      });
    });

    it('reads external mode with its URL (trailing slash dropped) and keeps CodeLens off when asked', () => {
      const settings = settingsOf({
        'sidecar.mode': 'external',
        'sidecar.url': 'http://127.0.0.1:7317/',
        'codeLens.enabled': false,
        'runs.groupBy': 'branch',
      });
      assert.equal(settings.sidecar.mode, 'external');
      assert.equal(settings.sidecar.url, 'http://127.0.0.1:7317');
      assert.equal(settings.codeLens.enabled, false);
      assert.equal(settings.runs.groupBy, 'branch');
    });

    it('names the setting and the fix for every bad value, and falls back to defaults', () => {
      const { settings, problems } = readSettings(
        source({
          'sidecar.mode': 'remote',
          'neo4j.uri': 'http://localhost:7474',
          'redis.url': 'localhost:6379',
          'runs.groupBy': 'author',
          'neo4j.database': '1st',
        }),
      );
      assert.equal(settings.sidecar.mode, 'auto');
      assert.equal(settings.runs.groupBy, 'workflow');
      assert.deepEqual(
        problems.map((p) => p.setting),
        ['runtrail.sidecar.mode', 'runtrail.neo4j.uri', 'runtrail.neo4j.database', 'runtrail.redis.url', 'runtrail.runs.groupBy'],
      );
      assert.match(problems[0]?.message ?? '', /runtrail\.sidecar\.mode is "remote": use one of auto, external/);
      assert.match(problems[1]?.message ?? '', /not a Neo4j URI: expected bolt:\/\/host:7687/);
      assert.match(problems[3]?.message ?? '', /not a Redis URL: expected redis:\/\/host:6379/);
    });

    it('requires a URL in external mode and an http(s) one', () => {
      const empty = readSettings(source({ 'sidecar.mode': 'external' })).problems;
      assert.equal(empty[0]?.setting, 'runtrail.sidecar.url');
      assert.match(empty[0]?.message ?? '', /runtrail\.sidecar\.url is empty: set it to the sidecar's URL/);
      const wrong = readSettings(source({ 'sidecar.mode': 'external', 'sidecar.url': 'bolt://x:7687' })).problems;
      assert.match(wrong[0]?.message ?? '', /is not an http\(s\) URL/);
      // In auto mode the URL is not used, so it is not checked.
      assert.deepEqual(readSettings(source({ 'sidecar.url': 'nonsense' })).problems, []);
    });

    it('refuses credentials inside the Neo4j URI and never echoes the password', () => {
      const { problems } = readSettings(source({ 'neo4j.uri': 'bolt://neo4j:secret@db:7687' }));
      assert.equal(problems.length, 1);
      assert.match(problems[0]?.message ?? '', /must not carry credentials/);
      assert.doesNotMatch(problems[0]?.message ?? '', /secret/);
    });

    it('reports a non-string value instead of crashing on it', () => {
      const { problems } = readSettings(source({ dataDir: 42, 'codeLens.enabled': 'yes' }));
      assert.deepEqual(
        problems.map((p) => p.setting),
        ['runtrail.dataDir', 'runtrail.codeLens.enabled'],
      );
    });
  });

  describe('resolveDataDir', () => {
    it("is the sidecar's per-user default when unset (XDG_DATA_HOME honoured)", () => {
      assert.equal(resolveDataDir(undefined, linuxHost), '/home/ada/.local/share/runtrail');
      assert.equal(resolveDataDir(undefined, { ...linuxHost, env: { XDG_DATA_HOME: '/xdg' } }), '/xdg/runtrail');
      assert.equal(resolveDataDir(undefined, { ...linuxHost, platform: 'darwin' }), '/home/ada/Library/Application Support/Runtrail');
    });

    // biome-ignore lint/suspicious/noTemplateCurlyInString: ${workspaceFolder} is the setting's own placeholder
    it('expands ~ and ${workspaceFolder}', () => {
      assert.equal(resolveDataDir('~/runs', linuxHost), '/home/ada/runs');
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the setting's own placeholder, not a template
      assert.equal(resolveDataDir('${workspaceFolder}/.runtrail', linuxHost), '/work/project/.runtrail');
      assert.equal(resolveDataDir('relative', linuxHost), path.resolve('relative'));
    });
  });

  describe('sidecarEnvironment', () => {
    it('binds loopback on a free port, points at the workspace and the data folder, runs as node', () => {
      const { env, problems } = sidecarEnvironment(settingsOf({}), {}, linuxHost);
      assert.deepEqual(problems, []);
      assert.equal(env.RUNTRAIL_PORT, '0');
      assert.equal(env.RUNTRAIL_HOST, '127.0.0.1');
      assert.equal(env.RUNTRAIL_WORKSPACE, '/work/project');
      assert.equal(env.RUNTRAIL_DATA_DIR, '/home/ada/.local/share/runtrail');
      assert.equal(env.ELECTRON_RUN_AS_NODE, '1');
      assert.equal(env.PATH, '/usr/bin');
      assert.equal(env.NEO4J_URI, undefined);
      assert.equal(env.REDIS_URL, undefined);
    });

    it("drops the sidecar's variables from VS Code's environment: only the settings configure it", () => {
      const host = {
        ...linuxHost,
        env: { ...linuxHost.env, NEO4J_URI: 'bolt://elsewhere:7687', RUNTRAIL_TOKEN: 'x'.repeat(20), REDIS_URL: 'redis://r' },
      };
      const { env, ignored } = sidecarEnvironment(settingsOf({}), {}, host);
      assert.deepEqual([...ignored].sort(), ['NEO4J_URI', 'REDIS_URL', 'RUNTRAIL_TOKEN']);
      assert.equal(env.NEO4J_URI, undefined);
      assert.equal(env.RUNTRAIL_TOKEN, undefined);
    });

    it('passes Neo4j and Redis settings, with the password from secret storage', () => {
      const settings = settingsOf({
        'neo4j.uri': 'bolt://db:7687',
        'neo4j.user': 'neo4j',
        'neo4j.database': 'runs',
        'redis.url': 'redis://cache:6379',
      });
      const { env, problems } = sidecarEnvironment(settings, { neo4jPassword: 'pw' }, linuxHost);
      assert.deepEqual(problems, []);
      assert.equal(env.NEO4J_URI, 'bolt://db:7687');
      assert.equal(env.NEO4J_USER, 'neo4j');
      assert.equal(env.NEO4J_PASSWORD, 'pw');
      assert.equal(env.NEO4J_DATABASE, 'runs');
      assert.equal(env.REDIS_URL, 'redis://cache:6379');
    });

    it('says which command sets the missing Neo4j password', () => {
      const settings = settingsOf({ 'neo4j.uri': 'bolt://db:7687', 'neo4j.user': 'neo4j' });
      const { env, problems } = sidecarEnvironment(settings, {}, linuxHost);
      assert.equal(env.NEO4J_PASSWORD, undefined);
      assert.equal(problems[0]?.setting, 'runtrail.neo4j.user');
      assert.match(problems[0]?.message ?? '', /no Neo4j password is stored: run "Runtrail: Set Neo4j Password"/);
    });

    it('ignores a Neo4j user and password while no Neo4j URI is set (embedded store)', () => {
      const { env, problems } = sidecarEnvironment(settingsOf({ 'neo4j.user': 'neo4j' }), { neo4jPassword: 'pw' }, linuxHost);
      assert.deepEqual(problems, []);
      assert.equal(env.NEO4J_USER, undefined);
      assert.equal(env.NEO4J_PASSWORD, undefined);
    });

    it('uses the home folder as workspace in an empty window', () => {
      const { env } = sidecarEnvironment(settingsOf({}), {}, { ...linuxHost, workspaceFolder: undefined });
      assert.equal(env.RUNTRAIL_WORKSPACE, '/home/ada');
    });
  });

  describe('explainConfigError', () => {
    it("speaks of settings where the sidecar's exit-2 message names variables", () => {
      const stderr = [
        'runtrail sidecar: Invalid configuration:',
        '  - NEO4J_URI="http://localhost:7474" is not a Neo4j URI: expected bolt://, … followed by host[:port].',
        '  - REDIS_URL="localhost" is not a Redis URL: expected redis://host[:port][/db] or rediss://….',
      ].join('\n');
      const { message, setting } = explainConfigError(stderr);
      assert.equal(setting, 'runtrail.neo4j.uri');
      assert.match(message, /^runtrail\.neo4j\.uri="http:\/\/localhost:7474" is not a Neo4j URI/);
      assert.match(message, /runtrail\.redis\.url="localhost" is not a Redis URL/);
      assert.doesNotMatch(message, /Invalid configuration/);
    });

    it('still says something when the sidecar said nothing', () => {
      assert.match(explainConfigError('').message, /rejected its configuration \(exit code 2\)/);
    });
  });
});
