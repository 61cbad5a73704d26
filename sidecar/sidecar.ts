import { createApp } from './app';
import { type Backends, openBackends } from './backends';
import type { SidecarConfig } from './config';
import { removeDiscovery, writeDiscovery } from './discovery';
import { IngestQueue } from './ingest/ingestQueue';
import type { Logger } from './log';
import { SidecarMetrics } from './metrics';
import { nodeEvents } from './relay/relayEvents';
import { type ListeningServer, listen } from './server';
import { resolveToken, type SidecarToken } from './token';

export interface RunningSidecar {
  readonly url: string;
  readonly token: SidecarToken;
  readonly backends: Backends;
  readonly ingest: IngestQueue;
  readonly metrics: SidecarMetrics;
  /**
   * Graceful stop, in dependency order: stop accepting requests and let in-flight ones finish
   * (up to graceMs), drain the ingest queue, then close the store and Redis.
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
  const app = createApp({
    version,
    log,
    metrics,
    backends,
    ingest,
    token: token.token,
    allowedHosts: config.allowedHosts,
    limits: config.limits,
    events: { heartbeatMs: config.sseHeartbeatMs, maxBufferedBytes: 8 * 1024 * 1024 },
  });
  let server: ListeningServer;
  try {
    server = await listen(app, config.host, config.port);
  } catch (error) {
    await backends.close();
    throw error;
  }
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
    async close(graceMs) {
      removeDiscovery(config.dataDir);
      await server.close(graceMs);
      await ingest.close();
      await backends.close();
    },
  };
}
