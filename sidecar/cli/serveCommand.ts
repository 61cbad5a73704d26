import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, type Env, loadConfig, redact, type SidecarConfig } from '../config';
import type { RunningSidecar } from '../sidecar';
import { sidecarVersion } from '../version';
import { type CommandSpec, stringOption } from './cliContext';
import { CliError, exitCodes } from './cliError';

/** Flags of `serve` and the environment variables they stand for (the sidecar reads only env). */
const flagVariables = {
  port: 'RUNTRAIL_PORT',
  host: 'RUNTRAIL_HOST',
  'data-dir': 'RUNTRAIL_DATA_DIR',
  workspace: 'RUNTRAIL_WORKSPACE',
  'log-level': 'RUNTRAIL_LOG_LEVEL',
} as const;

/**
 * `runtrail serve`: the sidecar in this process, configured exactly as `node dist/sidecar.js`
 * (the same environment variables, with the flags on top). It prints a summary for people instead
 * of the JSON `listening` line, and logs to stderr at warn level so the terminal stays readable.
 */
export const serveCommand: CommandSpec = {
  name: 'serve',
  summary: 'start the sidecar in the foreground',
  usage: '[--port <n>] [--host <host>] [--data-dir <dir>] [--workspace <dir>] [--log-level <level>]',
  description:
    'Starts the sidecar with the configuration the environment gives it (RUNTRAIL_*, NEO4J_*, REDIS_URL; see the README), the flags overriding their variables. Ctrl-C stops it gracefully.',
  positionals: [],
  options: {
    port: { type: 'string', value: 'n', description: 'port to listen on; 0 picks a free one (RUNTRAIL_PORT, default 7317)' },
    host: { type: 'string', value: 'host', description: 'address to bind (RUNTRAIL_HOST, default 127.0.0.1)' },
    'data-dir': { type: 'string', value: 'dir', description: 'embedded store and token file (RUNTRAIL_DATA_DIR)' },
    workspace: { type: 'string', value: 'dir', description: 'folder whose runtrail.json declares the workflows (RUNTRAIL_WORKSPACE)' },
    'log-level': {
      type: 'string',
      value: 'level',
      description: 'fatal, error, warn, info, debug, trace or silent; logs go to stderr (default warn)',
    },
  },
  examples: ['runtrail serve', 'runtrail serve --port 0 --data-dir ./.runtrail', 'NEO4J_URI=bolt://localhost:7687 runtrail serve'],
  async run(ctx, args) {
    const env: Record<string, string | undefined> = { ...ctx.env, RUNTRAIL_LOG_LEVEL: ctx.env.RUNTRAIL_LOG_LEVEL?.trim() || 'warn' };
    const given: string[] = [];
    for (const [flag, variable] of Object.entries(flagVariables)) {
      const value = stringOption(args, flag);
      if (value === undefined) continue;
      env[variable] = value;
      given.push(flag);
    }
    const config = configFrom(env, given);

    // Loaded here, not at the top: the other commands start without Koa, Neo4j's driver and SQLite.
    const [{ createLogger }, { startSidecar }, { StoreOpenError }] = await Promise.all([
      import('../log'),
      import('../sidecar'),
      import('../store/sqlite/sqliteDatabase'),
    ]);
    const log = createLogger(config.logLevel, process.stderr);
    let sidecar: RunningSidecar;
    try {
      sidecar = await startSidecar(config, log, sidecarVersion);
    } catch (error) {
      log.flush();
      throw error instanceof StoreOpenError ? new CliError(error.message) : startFailure(error, config);
    }

    ctx.stdout.write(`${summary(sidecar, config, ctx.colors.bold)}\n`);
    return new Promise<number>((resolve) => {
      let stopping = false;
      const stop = (signal: NodeJS.Signals) => {
        if (stopping) {
          ctx.stderr.write(`runtrail: ${signal} again: stopping now\n`);
          resolve(exitCodes.failed);
          return;
        }
        stopping = true;
        ctx.stderr.write(`Stopping (${signal}); finishing requests in flight…\n`);
        sidecar.close(config.shutdownGraceMs).then(
          () => {
            log.flush();
            ctx.stderr.write('Stopped.\n');
            resolve(exitCodes.ok);
          },
          (error: unknown) => {
            ctx.stderr.write(`runtrail: stopping failed: ${(error as Error).message}\n`);
            resolve(exitCodes.failed);
          },
        );
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
  },
};

/** loadConfig with every problem on one line, naming the flag when a flag gave the bad value. */
function configFrom(env: Env, givenFlags: readonly string[]): SidecarConfig {
  try {
    return loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const problems = error.problems.map((problem) => {
      for (const flag of givenFlags) {
        const variable = flagVariables[flag as keyof typeof flagVariables];
        if (problem.startsWith(`${variable}=`)) return `--${flag} ${problem.slice(variable.length + 1)}`;
      }
      return problem;
    });
    throw new CliError(`invalid configuration: ${problems.join(' ')}`, exitCodes.usage);
  }
}

function startFailure(error: unknown, config: SidecarConfig): CliError {
  const code = (error as NodeJS.ErrnoException).code;
  const where = `port ${config.port} on ${config.host}`;
  switch (code) {
    case 'EADDRINUSE':
      return new CliError(`${where} is already in use: stop the other process, or pick another with --port (0 picks a free one)`);
    case 'EACCES':
      return new CliError(`not allowed to listen on ${where}: pick another with --port`);
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return new CliError(`cannot listen on ${config.host}: it is not an address of this machine (check --host or RUNTRAIL_HOST)`);
    default:
      return new CliError(`cannot start the sidecar: ${(error as Error).message}`);
  }
}

function summary(sidecar: RunningSidecar, config: SidecarConfig, bold: (text: string) => string): string {
  const store =
    config.neo4j === undefined
      ? `embedded (${path.join(config.dataDir, 'runtrail.db')})`
      : `Neo4j (${redact(config.neo4j.uri)}, database ${config.neo4j.database})`;
  const relay = config.redisUrl === undefined ? 'in-process' : `Redis (${redact(config.redisUrl)})`;
  const token = sidecar.token.file ?? 'from RUNTRAIL_TOKEN';
  return [
    `Runtrail sidecar listening on ${bold(sidecar.url)}`,
    `  store: ${store}`,
    `  relay: ${relay}`,
    `  token: ${token}`,
    `  workflows: ${path.join(config.workspace, 'runtrail.json')}${fs.existsSync(path.join(config.workspace, 'runtrail.json')) ? '' : ' (not there yet)'}`,
    'Press Ctrl-C to stop.',
  ].join('\n');
}
