import { createApp } from './app';
import { type Backends, openBackends } from './backends';
import type { SidecarConfig } from './config';
import { removeDiscovery, writeDiscovery } from './discovery';
import { OpenEventStreams } from './http/eventRoutes';
import { IngestQueue } from './ingest/ingestQueue';
import type { Logger } from './log';
import { SidecarMetrics } from './metrics';
import { nodeEvents } from './relay/relayEvents';
import { WorkflowRunner } from './runner/workflowRunner';
import { type ListeningServer, listen } from './server';
import { resolveToken, type SidecarToken } from './token';

export interface RunningSidecar {
  readonly url: string;
  readonly token: SidecarToken;
  readonly backends: Backends;
  readonly ingest: IngestQueue;
  readonly metrics: SidecarMetrics;
  readonly runner: WorkflowRunner;
  /**
   * Graceful stop, in dependency order: stop accepting requests and let in-flight ones finish
   * (up to graceMs), stop recording workflows (they keep running; the next sidecar on this data
   * dir settles their runs), drain the ingest queue, then close the store and Redis.
   */
  close(graceMs: number): Promise<void>;
}

/**
 * Wires a whole sidecar from its configuration: token, backends, group commit queue, Koa app,
 * listening socket. Used by main.ts (the process) and by tests (in-process, port 0).
 */
export async function startSidecar(config: SidecarConfig, log: Logger, version: string): Promise<RunningSidecar> {
  const metrics = new SidecarMetrics();
  const token = resolveToken(config.dataDir, config.token);
  const backends = await openBackends(config, log, metrics);
  // Watchers hear of an upsert only after it is durable.
  const ingest = new IngestQueue(backends.store, config.ingest, metrics, log, (request) => backends.relay.publish(nodeEvents(request)));
  // Workflows get the URL the sidecar listens on, known only once it listens.
  let listeningUrl: string | undefined;
  const runner = new WorkflowRunner({
    store: backends.store,
    relay: backends.relay,
    ingest,
    log,
    dataDir: config.dataDir,
    workspace: config.workspace,
    token: token.token,
    sidecarUrl: () => listeningUrl,
    storeReady: backends.storeReady,
    cancelGraceMs: config.runner.cancelGraceMs,
    maxFieldBytes: config.limits.maxFieldBytes,
  });
  const openStreams = new OpenEventStreams();
  const app = createApp({
    version,
    log,
    metrics,
    backends,
    ingest,
    token: token.token,
    allowedHosts: config.allowedHosts,
    limits: config.limits,
    events: { heartbeatMs: config.sseHeartbeatMs, maxBufferedBytes: 8 * 1024 * 1024, openStreams },
    runner,
  });
  let server: ListeningServer;
  try {
    server = await listen(app, config.host, config.port);
  } catch (error) {
    await backends.close();
    throw error;
  }
  listeningUrl = server.url;
  // Runs of workflows that ended while no sidecar watched them (crash, restart) are settled now.
  runner.recover().catch((error: unknown) => log.error({ err: error }, 'could not settle the runs of workflows started before'));
  writeDiscovery(config.dataDir, {
    url: server.url,
    pid: process.pid,
    tokenFile: token.file ?? null,
    store: backends.store.kind,
    relay: backends.relay.kind,
    startedAt: new Date().toISOString(),
  });
  return {
    url: server.url,
    token,
    backends,
    ingest,
    metrics,
    runner,
    async close(graceMs) {
      removeDiscovery(config.dataDir);
      const closing = server.close(graceMs);
      openStreams.endAll();
      await closing;
      await runner.close();
      await ingest.close();
      await backends.close();
    },
  };
}
