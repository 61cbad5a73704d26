import { createApp } from './app';
import { openBackends } from './backends';
import { ConfigError, loadConfig, type SidecarConfig } from './config';
import { createLogger } from './log';
import { SidecarMetrics } from './metrics';
import { listen } from './server';
import { StoreOpenError } from './store/sqlite/sqliteDatabase';
import { resolveToken } from './token';
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
  const metrics = new SidecarMetrics();
  let backends: ReturnType<typeof openBackends>;
  let token: ReturnType<typeof resolveToken>;
  try {
    token = resolveToken(config.dataDir, config.token);
    backends = openBackends(config, log, metrics);
  } catch (error) {
    fail(error instanceof StoreOpenError ? error.message : `Cannot prepare ${config.dataDir}: ${(error as Error).message}`);
  }

  const app = createApp({ version: sidecarVersion, log, metrics, backends, token: token.token, allowedHosts: config.allowedHosts });
  let server: Awaited<ReturnType<typeof listen>>;
  try {
    server = await listen(app, config.host, config.port);
  } catch (error) {
    await backends.close();
    const code = (error as NodeJS.ErrnoException).code;
    fail(
      code === 'EADDRINUSE'
        ? `Port ${config.port} on ${config.host} is already in use: stop the other process or set RUNTRAIL_PORT (0 picks a free port).`
        : `Cannot listen on ${config.host}:${config.port}: ${(error as Error).message}`,
    );
  }

  log.info(
    {
      url: server.url,
      tokenFile: token.file ?? null,
      store: backends.store.kind,
      relay: backends.relay.kind,
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
    await server.close(config.shutdownGraceMs);
    await backends.close();
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
