import * as os from 'node:os';
import * as path from 'node:path';

/** Log levels pino accepts, plus `silent`. */
const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

export interface Neo4jSettings {
  /** bolt://, bolt+s://, neo4j://, neo4j+s://… as the driver accepts it. */
  readonly uri: string;
  readonly user: string | undefined;
  readonly password: string | undefined;
  readonly database: string;
}

export interface SidecarConfig {
  readonly host: string;
  /** 0 picks a free port; the bound URL is logged once listening. */
  readonly port: number;
  /** Holds the embedded store and the token file. */
  readonly dataDir: string;
  /** Folder whose `runtrail.json` declares the workflows the runner starts (read on every request). */
  readonly workspace: string;
  /** Fixed token from RUNTRAIL_TOKEN; otherwise one is generated into the data dir. */
  readonly token: string | undefined;
  /** Host names accepted in the Host header besides the loopback names. */
  readonly allowedHosts: readonly string[];
  /** Unset: the embedded SQLite store is used. */
  readonly neo4j: Neo4jSettings | undefined;
  /** Unset: the in-process relay is used. */
  readonly redisUrl: string | undefined;
  /** The Redis relay (REDIS_URL set): see sidecar/relay/redis/redisRelay.ts. */
  readonly relay: {
    /** `MAXLEN ~` of the global stream; each run's stream keeps a tenth of it (at least 1,000). */
    readonly maxLen: number;
    /** Events held in the sidecar while Redis is unreachable; beyond it the oldest are dropped (counted). */
    readonly bufferSize: number;
  };
  readonly logLevel: LogLevel;
  /** How long SIGTERM waits for in-flight requests before closing their sockets. */
  readonly shutdownGraceMs: number;
  readonly limits: {
    /** Largest request body accepted (413 above). */
    readonly maxBodyBytes: number;
    /** Largest serialized input/output/error/attributes of one node (413 above). */
    readonly maxFieldBytes: number;
  };
  /** SSE heartbeat interval (comment lines on idle /api/events streams). */
  readonly sseHeartbeatMs: number;
  /** The workflow runner: see sidecar/runner/workflowRunner.ts. */
  readonly runner: {
    /** A cancelled workflow's process group gets SIGTERM, then SIGKILL after this long. */
    readonly cancelGraceMs: number;
  };
  /** Group commit: see sidecar/ingest/ingestQueue.ts. */
  readonly ingest: {
    /** A group is flushed once it holds this many records. */
    readonly maxBatchRecords: number;
    /** …or this long after its first record arrived, whichever comes first. */
    readonly flushDelayMs: number;
    /** Records waiting beyond this answer 503 + Retry-After (back-pressure). */
    readonly maxQueuedRecords: number;
    /** Group commits in flight at once. */
    readonly maxConcurrentCommits: number;
  };
}

/** Every problem found in the environment, each naming the variable, the value and the fix. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

const neo4jSchemes = ['bolt:', 'bolt+s:', 'bolt+ssc:', 'neo4j:', 'neo4j+s:', 'neo4j+ssc:'];
const redisSchemes = ['redis:', 'rediss:'];

/**
 * Reads the sidecar's configuration from environment variables (DESIGN.md "Configuration").
 * Collects every problem before failing, so one start-up tells the user everything to fix.
 * Empty strings count as unset: `FOO= cmd` is how shells unset things in one command.
 */
export function loadConfig(env: Env, platform: PlatformInfo = currentPlatform()): SidecarConfig {
  const problems: string[] = [];
  const get = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };

  const port = parseInteger(get('RUNTRAIL_PORT'), 'RUNTRAIL_PORT', 0, 65535, 7317, problems, '(0 picks a free port)');
  const shutdownGraceMs = parseInteger(get('RUNTRAIL_SHUTDOWN_GRACE_MS'), 'RUNTRAIL_SHUTDOWN_GRACE_MS', 0, 600_000, 10_000, problems);
  const int = (name: string, min: number, max: number, fallback: number) => parseInteger(get(name), name, min, max, fallback, problems);
  const limits = {
    maxBodyBytes: int('RUNTRAIL_MAX_BODY_BYTES', 1024, 1024 ** 3, 32 * 1024 ** 2),
    maxFieldBytes: int('RUNTRAIL_MAX_FIELD_BYTES', 1024, 64 * 1024 ** 2, 256 * 1024),
  };
  const sseHeartbeatMs = int('RUNTRAIL_SSE_HEARTBEAT_MS', 100, 300_000, 15_000);
  const ingest = {
    maxBatchRecords: int('RUNTRAIL_INGEST_BATCH_RECORDS', 1, 100_000, 2_000),
    flushDelayMs: int('RUNTRAIL_INGEST_FLUSH_MS', 0, 10_000, 2),
    maxQueuedRecords: int('RUNTRAIL_INGEST_QUEUE_RECORDS', 1, 10_000_000, 200_000),
    maxConcurrentCommits: int('RUNTRAIL_INGEST_COMMITS', 1, 64, 4),
  };

  const runner = { cancelGraceMs: int('RUNTRAIL_CANCEL_GRACE_MS', 0, 600_000, 5_000) };

  const relay = {
    maxLen: int('RUNTRAIL_RELAY_MAXLEN', 1_000, 100_000_000, 100_000),
    bufferSize: int('RUNTRAIL_RELAY_BUFFER', 100, 10_000_000, 10_000),
  };

  const host = get('RUNTRAIL_HOST') ?? '127.0.0.1';
  if (!/^[A-Za-z0-9.:-]+$/.test(host) && !/^\[[0-9a-fA-F:]+\]$/.test(host)) {
    problems.push(`RUNTRAIL_HOST=${quote(host)} is not a host name or IP address (default 127.0.0.1).`);
  }

  const dataDirRaw = get('RUNTRAIL_DATA_DIR');
  let dataDir = defaultDataDir(platform);
  if (dataDirRaw !== undefined) {
    if (dataDirRaw.includes('\0')) problems.push('RUNTRAIL_DATA_DIR contains a NUL character.');
    dataDir = path.resolve(dataDirRaw.startsWith('~') ? path.join(platform.home, dataDirRaw.slice(1)) : dataDirRaw);
  }

  const workspaceRaw = get('RUNTRAIL_WORKSPACE');
  let workspace = platform.cwd ?? process.cwd();
  if (workspaceRaw !== undefined) {
    if (workspaceRaw.includes('\0')) problems.push('RUNTRAIL_WORKSPACE contains a NUL character.');
    workspace = path.resolve(workspaceRaw.startsWith('~') ? path.join(platform.home, workspaceRaw.slice(1)) : workspaceRaw);
  }

  const token = get('RUNTRAIL_TOKEN');
  if (token !== undefined && !/^[\x21-\x7e]{16,512}$/.test(token)) {
    problems.push('RUNTRAIL_TOKEN must be 16 to 512 printable characters without spaces (leave it unset to have a random one generated).');
  }

  const allowedHosts = (get('RUNTRAIL_ALLOWED_HOSTS') ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h !== '');

  const logLevelRaw = get('RUNTRAIL_LOG_LEVEL') ?? 'info';
  let logLevel: LogLevel = 'info';
  if ((logLevels as readonly string[]).includes(logLevelRaw)) logLevel = logLevelRaw as LogLevel;
  else problems.push(`RUNTRAIL_LOG_LEVEL=${quote(logLevelRaw)} is not a log level: use one of ${logLevels.join(', ')}.`);

  const neo4j = readNeo4j(get, problems);
  const redisUrl = readRedisUrl(get('REDIS_URL'), problems);

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    host,
    port,
    dataDir,
    workspace,
    token,
    allowedHosts,
    neo4j,
    redisUrl,
    relay,
    logLevel,
    shutdownGraceMs,
    limits,
    sseHeartbeatMs,
    runner,
    ingest,
  };
}

function readNeo4j(get: (name: string) => string | undefined, problems: string[]): Neo4jSettings | undefined {
  const uri = get('NEO4J_URI');
  const user = get('NEO4J_USER');
  const password = get('NEO4J_PASSWORD');
  const database = get('NEO4J_DATABASE') ?? 'neo4j';
  if (uri === undefined) {
    for (const name of ['NEO4J_USER', 'NEO4J_PASSWORD', 'NEO4J_DATABASE']) {
      if (get(name) !== undefined) {
        problems.push(
          `${name} is set but NEO4J_URI is not: set NEO4J_URI (e.g. bolt://localhost:7687) to use Neo4j, or unset ${name} to use the embedded store.`,
        );
      }
    }
    return undefined;
  }
  const parsed = parseUrl(uri);
  if (parsed === undefined || !neo4jSchemes.includes(parsed.protocol)) {
    problems.push(
      `NEO4J_URI=${quote(redact(uri))} is not a Neo4j URI: expected ${neo4jSchemes.map((s) => `${s}//`).join(', ')} followed by host[:port].`,
    );
  } else if (parsed.hostname === '') {
    problems.push(`NEO4J_URI=${quote(redact(uri))} has no host.`);
  } else if (parsed.username !== '' || parsed.password !== '') {
    problems.push('NEO4J_URI must not carry credentials: put them in NEO4J_USER and NEO4J_PASSWORD.');
  }
  if (password !== undefined && user === undefined) {
    problems.push('NEO4J_PASSWORD is set without NEO4J_USER: set both, or neither for a server with auth disabled.');
  }
  if (user !== undefined && password === undefined) {
    problems.push(`NEO4J_USER=${quote(user)} is set without NEO4J_PASSWORD: set both, or neither for a server with auth disabled.`);
  }
  if (!/^[A-Za-z][A-Za-z0-9.-]{0,62}$/.test(database)) {
    problems.push(
      `NEO4J_DATABASE=${quote(database)} is not a Neo4j database name (letters, digits, dots and dashes, starting with a letter).`,
    );
  }
  return { uri, user, password, database };
}

function readRedisUrl(url: string | undefined, problems: string[]): string | undefined {
  if (url === undefined) return undefined;
  const parsed = parseUrl(url);
  if (parsed === undefined || !redisSchemes.includes(parsed.protocol)) {
    problems.push(`REDIS_URL=${quote(redact(url))} is not a Redis URL: expected redis://host[:port][/db] or rediss://….`);
  } else if (parsed.hostname === '') {
    problems.push(`REDIS_URL=${quote(redact(url))} has no host.`);
  } else if (parsed.pathname !== '' && parsed.pathname !== '/' && !/^\/\d{1,2}$/.test(parsed.pathname)) {
    problems.push(
      `REDIS_URL=${quote(redact(url))} names database ${quote(parsed.pathname.slice(1))}: a Redis database is a number (redis://host:6379/0).`,
    );
  }
  return url;
}

function parseInteger(
  raw: string | undefined,
  name: string,
  min: number,
  max: number,
  fallback: number,
  problems: string[],
  hint = '',
): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    problems.push(`${name}=${quote(raw)} is not an integer from ${min} to ${max}${hint ? ` ${hint}` : ''}.`);
    return fallback;
  }
  return Number(raw);
}

function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/** Hides a password in a URL before it goes into a message or a log line. */
export function redact(url: string): string {
  const parsed = parseUrl(url);
  if (parsed === undefined || parsed.password === '') return url;
  parsed.password = '***';
  return parsed.toString();
}

function quote(value: string): string {
  return JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value);
}

export interface PlatformInfo {
  readonly platform: NodeJS.Platform;
  readonly home: string;
  readonly env: Env;
  /** The default workspace; the process's working directory when left out. */
  readonly cwd?: string;
}

function currentPlatform(): PlatformInfo {
  return { platform: process.platform, home: os.homedir(), env: process.env, cwd: process.cwd() };
}

/** The per-user data folder each OS expects: XDG on Linux, Application Support, LOCALAPPDATA. */
export function defaultDataDir({ platform, home, env }: PlatformInfo): string {
  if (platform === 'win32') return path.join(env.LOCALAPPDATA ?? path.join(home, 'AppData', 'Local'), 'Runtrail');
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'Runtrail');
  return path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'runtrail');
}
