import { ConfigError, loadConfig, type SidecarConfig } from './config';
import { createLogger } from './log';
import { type RunningSidecar, startSidecar } from './sidecar';
import { StoreOpenError } from './store/sqlite/sqliteDatabase';
import { sidecarVersion } from './version';

/**
 * The sidecar process: `node dist/sidecar.js` (npm start, the CLI later) or VS Code's runtime with
 * ELECTRON_RUN_AS_NODE=1. Exit codes: 0 after a clean shutdown, 2 for bad configuration, 1 when
 * it cannot start (port taken, store locked by another process).
 */
async function main(): Promise<void> {
  let config: SidecarConfig;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`runtrail sidecar: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }

  const log = createLogger(config.logLevel);
  let sidecar: RunningSidecar;
  try {
    sidecar = await startSidecar(config, log, sidecarVersion);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    fail(
      error instanceof StoreOpenError
        ? error.message
        : code === 'EADDRINUSE'
          ? `Port ${config.port} on ${config.host} is already in use: stop the other process or set RUNTRAIL_PORT (0 picks a free port).`
          : `Cannot start: ${(error as Error).message}`,
    );
  }

  log.info(
    {
      url: sidecar.url,
      tokenFile: sidecar.token.file ?? null,
      store: sidecar.backends.store.kind,
      relay: sidecar.backends.relay.kind,
      dataDir: config.dataDir,
      version: sidecarVersion,
    },
    'listening',
  );

  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal, graceMs: config.shutdownGraceMs }, 'shutting down');
    await sidecar.close(config.shutdownGraceMs);
    log.info('stopped');
    // Exit explicitly: a library timer left behind must not keep a stopped sidecar alive.
    log.flush(() => process.exit(0));
  };
  process.on('SIGTERM', (signal) => void shutdown(signal));
  process.on('SIGINT', (signal) => void shutdown(signal));

  function fail(message: string): never {
    log.fatal(message);
    log.flush();
    process.stderr.write(`runtrail sidecar: ${message}\n`);
    process.exit(1);
  }
}

function fail(message: string): never {
  process.stderr.write(`runtrail sidecar: ${message}\n`);
  process.exit(1);
}

main().catch((error: unknown) => {
  fail(`unexpected start-up failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
});
