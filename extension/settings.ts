import * as os from 'node:os';
import * as path from 'node:path';
import type { SidecarMode } from './services';

/**
 * The `runtrail.*` settings (package.json `contributes.configuration`), read and checked without
 * VS Code: `readSettings` takes anything with `get(section)` — `workspace.getConfiguration('runtrail')`
 * in the extension, a plain object in tests. Every problem names the setting and the fix, because
 * the user meets it in a notification, not in a stack trace.
 */

export type RunsGrouping = 'workflow' | 'branch';
const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type SidecarLogLevel = (typeof logLevels)[number];

export interface RuntrailSettings {
  readonly sidecar: {
    readonly mode: SidecarMode;
    /** External mode: the sidecar's base URL without a trailing slash. */
    readonly url: string | undefined;
    /** External mode, fallback only: the token stored with "Runtrail: Set Sidecar Token" wins. */
    readonly token: string | undefined;
    readonly logLevel: SidecarLogLevel;
  };
  /** As the user wrote it (`~` and `${workspaceFolder}` allowed); undefined: the sidecar's default. */
  readonly dataDir: string | undefined;
  readonly neo4j: { readonly uri: string | undefined; readonly user: string | undefined; readonly database: string | undefined };
  readonly redis: { readonly url: string | undefined };
  readonly codeLens: { readonly enabled: boolean };
  readonly runs: { readonly groupBy: RunsGrouping };
}

/** One bad setting: `setting` is the full id (`runtrail.neo4j.uri`) so "Open Settings" can jump to it. */
export interface SettingProblem {
  readonly setting: string;
  readonly message: string;
}

/** What `readSettings` needs of a `WorkspaceConfiguration`. */
export interface SettingsSource {
  get<T>(section: string): T | undefined;
}

/** Where the secrets live in VS Code's SecretStorage (never in settings files). */
export const secretKeys = {
  neo4jPassword: 'runtrail.neo4j.password',
  sidecarToken: 'runtrail.sidecar.token',
} as const;

/** Settings whose change means the sidecar (or the connection to it) must restart. */
export const sidecarSettingSections = ['runtrail.sidecar', 'runtrail.dataDir', 'runtrail.neo4j', 'runtrail.redis'] as const;

const neo4jSchemes = ['bolt:', 'bolt+s:', 'bolt+ssc:', 'neo4j:', 'neo4j+s:', 'neo4j+ssc:'];
const redisSchemes = ['redis:', 'rediss:'];

export function readSettings(source: SettingsSource): { settings: RuntrailSettings; problems: SettingProblem[] } {
  const problems: SettingProblem[] = [];
  const text = (key: string): string | undefined => {
    const value = source.get<unknown>(key);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') {
      problems.push({ setting: `runtrail.${key}`, message: `runtrail.${key} must be a string, not ${JSON.stringify(value)}.` });
      return undefined;
    }
    const trimmed = value.trim();
    return trimmed === '' ? undefined : trimmed;
  };
  const choice = <T extends string>(key: string, allowed: readonly T[], fallback: T): T => {
    const value = text(key);
    if (value === undefined) return fallback;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    problems.push({
      setting: `runtrail.${key}`,
      message: `runtrail.${key} is ${JSON.stringify(value)}: use one of ${allowed.join(', ')} (default ${fallback}).`,
    });
    return fallback;
  };

  const mode = choice<SidecarMode>('sidecar.mode', ['auto', 'external'], 'auto');
  const url = text('sidecar.url');
  const token = text('sidecar.token');
  const logLevel = choice<SidecarLogLevel>('sidecar.logLevel', logLevels, 'info');
  if (mode === 'external') {
    if (url === undefined) {
      problems.push({
        setting: 'runtrail.sidecar.url',
        message:
          'runtrail.sidecar.mode is "external" but runtrail.sidecar.url is empty: set it to the sidecar\'s URL (e.g. http://127.0.0.1:7317), or set the mode to "auto".',
      });
    } else {
      const parsed = parseUrl(url);
      if (parsed === undefined || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
        problems.push({
          setting: 'runtrail.sidecar.url',
          message: `runtrail.sidecar.url ${JSON.stringify(url)} is not an http(s) URL: expected e.g. http://127.0.0.1:7317.`,
        });
      }
    }
  }

  const dataDir = text('dataDir');
  if (dataDir?.includes('\0')) problems.push({ setting: 'runtrail.dataDir', message: 'runtrail.dataDir contains a NUL character.' });

  const neo4jUri = text('neo4j.uri');
  if (neo4jUri !== undefined) {
    const parsed = parseUrl(neo4jUri);
    if (parsed === undefined || !neo4jSchemes.includes(parsed.protocol) || parsed.hostname === '') {
      problems.push({
        setting: 'runtrail.neo4j.uri',
        message: `runtrail.neo4j.uri ${JSON.stringify(redact(neo4jUri))} is not a Neo4j URI: expected bolt://host:7687 (or bolt+s://, neo4j://, neo4j+s://).`,
      });
    } else if (parsed.username !== '' || parsed.password !== '') {
      problems.push({
        setting: 'runtrail.neo4j.uri',
        message:
          'runtrail.neo4j.uri must not carry credentials: put the user in runtrail.neo4j.user and the password in "Runtrail: Set Neo4j Password".',
      });
    }
  }
  const database = text('neo4j.database');
  if (database !== undefined && !/^[A-Za-z][A-Za-z0-9.-]{0,62}$/.test(database)) {
    problems.push({
      setting: 'runtrail.neo4j.database',
      message: `runtrail.neo4j.database ${JSON.stringify(database)} is not a Neo4j database name (letters, digits, dots and dashes, starting with a letter).`,
    });
  }

  const redisUrl = text('redis.url');
  if (redisUrl !== undefined) {
    const parsed = parseUrl(redisUrl);
    if (parsed === undefined || !redisSchemes.includes(parsed.protocol) || parsed.hostname === '') {
      problems.push({
        setting: 'runtrail.redis.url',
        message: `runtrail.redis.url ${JSON.stringify(redact(redisUrl))} is not a Redis URL: expected redis://host:6379 or rediss://….`,
      });
    }
  }

  const codeLens = source.get<unknown>('codeLens.enabled');
  if (codeLens !== undefined && codeLens !== null && typeof codeLens !== 'boolean') {
    problems.push({ setting: 'runtrail.codeLens.enabled', message: 'runtrail.codeLens.enabled must be true or false.' });
  }

  return {
    settings: {
      sidecar: { mode, url: url?.replace(/\/+$/, ''), token, logLevel },
      dataDir,
      neo4j: { uri: neo4jUri, user: text('neo4j.user'), database },
      redis: { url: redisUrl },
      codeLens: { enabled: typeof codeLens === 'boolean' ? codeLens : true },
      runs: { groupBy: choice<RunsGrouping>('runs.groupBy', ['workflow', 'branch'], 'workflow') },
    },
    problems,
  };
}

/** Where the extension runs: the inputs of paths and of the sidecar's environment. */
export interface HostContext {
  /** The first workspace folder; undefined in an empty window. */
  readonly workspaceFolder: string | undefined;
  readonly home: string;
  readonly platform: NodeJS.Platform;
  /** The extension host's environment (XDG_DATA_HOME, LOCALAPPDATA; the variables the sidecar reads are dropped). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

export function currentHost(workspaceFolder: string | undefined): HostContext {
  return { workspaceFolder, home: os.homedir(), platform: process.platform, env: process.env };
}

/**
 * The data folder the sidecar will use: the setting with `~` and `${workspaceFolder}` expanded, or
 * the sidecar's own per-user default (the same rule as sidecar/config.ts `defaultDataDir`, so the
 * CLI, the demo and the extension share one store unless told otherwise).
 */
export function resolveDataDir(setting: string | undefined, host: HostContext): string {
  if (setting !== undefined) {
    const expanded = setting.replace(/\$\{workspaceFolder\}/g, host.workspaceFolder ?? host.home);
    return path.resolve(expanded.startsWith('~') ? path.join(host.home, expanded.slice(1)) : expanded);
  }
  if (host.platform === 'win32') return path.join(host.env.LOCALAPPDATA ?? path.join(host.home, 'AppData', 'Local'), 'Runtrail');
  if (host.platform === 'darwin') return path.join(host.home, 'Library', 'Application Support', 'Runtrail');
  return path.join(host.env.XDG_DATA_HOME || path.join(host.home, '.local', 'share'), 'runtrail');
}

/** Variables the sidecar reads (sidecar/config.ts); only the settings may set them for our sidecar. */
const sidecarVariable = /^(RUNTRAIL_|NEO4J_|REDIS_URL$)/;

export interface SidecarEnvironment {
  readonly env: Record<string, string>;
  /** Sidecar variables found in the extension host's environment and left out (worth a log line). */
  readonly ignored: readonly string[];
  readonly problems: readonly SettingProblem[];
}

/**
 * The environment of the sidecar the extension spawns (auto mode): the extension host's own,
 * minus any sidecar variable (so a NEO4J_URI exported in the shell that launched VS Code does not
 * silently win over the settings), plus what the settings say. Port 0 and 127.0.0.1: a free port
 * on loopback, read back from the `listening` line.
 */
export function sidecarEnvironment(settings: RuntrailSettings, secrets: { neo4jPassword?: string }, host: HostContext): SidecarEnvironment {
  const env: Record<string, string> = {};
  const ignored: string[] = [];
  for (const [name, value] of Object.entries(host.env)) {
    if (value === undefined) continue;
    if (sidecarVariable.test(name)) ignored.push(name);
    else env[name] = value;
  }
  const problems: SettingProblem[] = [];
  Object.assign(env, {
    ELECTRON_RUN_AS_NODE: '1',
    RUNTRAIL_PORT: '0',
    RUNTRAIL_HOST: '127.0.0.1',
    RUNTRAIL_DATA_DIR: resolveDataDir(settings.dataDir, host),
    RUNTRAIL_WORKSPACE: host.workspaceFolder ?? host.home,
    RUNTRAIL_LOG_LEVEL: settings.sidecar.logLevel,
    // Deactivation waits for the sidecar: keep its graceful stop short.
    RUNTRAIL_SHUTDOWN_GRACE_MS: '2000',
  });
  const { uri, user, database } = settings.neo4j;
  if (uri !== undefined) {
    env.NEO4J_URI = uri;
    if (database !== undefined) env.NEO4J_DATABASE = database;
    if (user !== undefined) {
      env.NEO4J_USER = user;
      if (secrets.neo4jPassword === undefined) {
        problems.push({
          setting: 'runtrail.neo4j.user',
          message: `runtrail.neo4j.user is "${user}" but no Neo4j password is stored: run "Runtrail: Set Neo4j Password" (or clear runtrail.neo4j.user for a server without auth).`,
        });
      } else {
        env.NEO4J_PASSWORD = secrets.neo4jPassword;
      }
    } else if (secrets.neo4jPassword !== undefined) {
      problems.push({
        setting: 'runtrail.neo4j.user',
        message: 'A Neo4j password is stored but runtrail.neo4j.user is empty: set the user (usually "neo4j").',
      });
    }
  }
  if (settings.redis.url !== undefined) env.REDIS_URL = settings.redis.url;
  return { env, ignored, problems };
}

/** Which setting (or secret command) sets each variable the sidecar may complain about. */
const settingOfVariable: Readonly<Record<string, string>> = {
  RUNTRAIL_DATA_DIR: 'runtrail.dataDir',
  RUNTRAIL_LOG_LEVEL: 'runtrail.sidecar.logLevel',
  NEO4J_URI: 'runtrail.neo4j.uri',
  NEO4J_USER: 'runtrail.neo4j.user',
  NEO4J_PASSWORD: 'the Neo4j password ("Runtrail: Set Neo4j Password")',
  NEO4J_DATABASE: 'runtrail.neo4j.database',
  REDIS_URL: 'runtrail.redis.url',
};

/**
 * Turns the sidecar's exit-2 message (`Invalid configuration:\n  - NEO4J_URI="…" is not…`) into
 * the settings' words: each variable the extension sets from a setting is named as that setting.
 * Returns the problems and the first setting named (for "Open Settings").
 */
export function explainConfigError(stderr: string): { message: string; setting: string | undefined } {
  const lines = stderr
    .split(/\r?\n/)
    .map((line) => line.replace(/^runtrail sidecar:\s*/, '').trim())
    .filter((line) => line !== '' && !/^Invalid configuration:?$/.test(line))
    .map((line) => line.replace(/^-\s*/, ''));
  let setting: string | undefined;
  const translated = lines.map((line) =>
    line.replace(/\b(RUNTRAIL_[A-Z_]+|NEO4J_[A-Z]+|REDIS_URL)\b/g, (name) => {
      const mapped = settingOfVariable[name];
      if (mapped === undefined) return name;
      if (setting === undefined && mapped.startsWith('runtrail.')) setting = mapped;
      return mapped;
    }),
  );
  const message = translated.length > 0 ? translated.join(' ') : 'the sidecar rejected its configuration (exit code 2); see the logs.';
  return { message, setting };
}

function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/** Hides a password in a URL before it goes into a message. */
function redact(url: string): string {
  const parsed = parseUrl(url);
  if (parsed === undefined || parsed.password === '') return url;
  parsed.password = '***';
  return parsed.toString();
}
