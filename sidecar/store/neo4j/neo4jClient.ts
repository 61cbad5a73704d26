import neo4j, { type Driver, type ManagedTransaction, type QueryResult, type Session } from 'neo4j-driver';
import type { ServiceHealth } from '../../../protocol/health';
import { type Neo4jSettings, redact } from '../../config';
import type { Logger } from '../../log';
import type { SidecarMetrics } from '../../metrics';
import { Backoff } from '../../util/backoff';
import { withTimeout } from '../../util/withTimeout';

/**
 * Pool and retry settings, explicit so their effect is visible in one place. The driver's own
 * `executeRead`/`executeWrite` retry transient errors (lost connection, leader switch, deadlock)
 * with exponential backoff for up to `maxTransactionRetryTime`.
 */
export const neo4jDriverConfig = {
  maxConnectionPoolSize: 50,
  connectionAcquisitionTimeout: 10_000,
  // Bounds a connect to a blackholed host; a refused port fails at once anyway.
  connectionTimeout: 3_000,
  maxConnectionLifetime: 30 * 60_000,
  maxTransactionRetryTime: 15_000,
  // Stream whole results in one go: our queries are paged or need every row anyway, and pulling
  // 1,000 records at a time cost 10 round trips (~30 ms) on a 10,000-node tree.
  fetchSize: -1,
  userAgent: 'runtrail-sidecar',
} as const;

type ConnectionState = 'connecting' | 'connected' | 'unavailable' | 'closed';

interface Outage {
  code: string;
  message: string;
  since: Date;
}

/**
 * The process's one Neo4j driver. Owns connecting (in the background, with exponential backoff,
 * so the sidecar starts and serves health while Neo4j is still down), the health probe, and a
 * session-per-unit-of-work helper that always closes its session and records latency.
 */
export class Neo4jClient {
  private readonly driver: Driver;
  private state: ConnectionState = 'connecting';
  private outage: Outage | undefined;
  private connectLoop: Promise<void> | undefined;
  private wakeConnectLoop: (() => void) | undefined;

  constructor(
    readonly settings: Neo4jSettings,
    private readonly log: Logger,
    private readonly metrics: SidecarMetrics,
  ) {
    const auth =
      settings.user !== undefined && settings.password !== undefined ? neo4j.auth.basic(settings.user, settings.password) : undefined;
    this.driver = neo4j.driver(settings.uri, auth, {
      ...neo4jDriverConfig,
      logging: {
        level: 'warn',
        logger: (level, message) => this.log[level === 'warn' ? 'warn' : 'error']({ neo4j: true }, message),
      },
    });
  }

  /** The URI without credentials, for messages. */
  get target(): string {
    return redact(this.settings.uri);
  }

  get connected(): boolean {
    return this.state === 'connected';
  }

  /** A getter, so the connect loop re-reads it after every await (no narrowing). */
  private get isClosed(): boolean {
    return this.state === 'closed';
  }

  /**
   * Starts connecting in the background and returns at once. Retries forever with capped
   * backoff until the first success; later outages are noticed by queries and health checks.
   */
  start(): void {
    if (this.connectLoop !== undefined) return;
    this.connectLoop = this.connectUntilUp();
  }

  private async connectUntilUp(): Promise<void> {
    const backoff = new Backoff({ initialMs: 200, maxMs: 10_000 });
    while (!this.isClosed) {
      try {
        await this.driver.verifyConnectivity({ database: this.settings.database });
        this.markUp();
        return;
      } catch (error) {
        if (this.isClosed) return;
        this.markDown(error);
        const delay = backoff.next();
        this.log.info({ target: this.target, retryInMs: delay }, 'waiting for Neo4j');
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          this.wakeConnectLoop = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wakeConnectLoop = undefined;
      }
    }
  }

  /**
   * Asks the server who it is and how fast it answers. Never throws: a failure is reported as
   * `unavailable` with Neo4j's error code. Tries twice, because after a server restart the first
   * pooled connection is found dead only when used.
   */
  async check(timeoutMs = 5_000): Promise<ServiceHealth> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 2; attempt++) {
      const started = performance.now();
      try {
        const components = await withTimeout(this.probe(), timeoutMs, `Neo4j did not answer within ${timeoutMs} ms`);
        const latencyMs = round(performance.now() - started);
        this.markUp();
        return {
          service: 'neo4j',
          status: 'ok',
          message: 'Connected to Neo4j',
          target: this.target,
          version: components.edition ? `${components.version} ${components.edition}` : components.version,
          latencyMs,
        };
      } catch (error) {
        lastError = error;
        if (!isStaleConnection(error)) break;
      }
    }
    const outage = this.markDown(lastError);
    return {
      service: 'neo4j',
      status: 'unavailable',
      message: `Cannot reach Neo4j at ${this.target}: ${outage.message}`,
      target: this.target,
      error: { code: outage.code, message: outage.message, since: outage.since.toISOString() },
    };
  }

  /**
   * One auto-commit query, deliberately without the driver's transaction retries: a health check
   * must report an outage at once, not retry through it.
   */
  private async probe(): Promise<{ version: string; edition: string }> {
    const end = this.metrics.neo4jQueryDuration.startTimer({ operation: 'health' });
    const session = this.driver.session({ database: this.settings.database, defaultAccessMode: neo4j.session.READ });
    try {
      const result = await session.run('CALL dbms.components() YIELD versions, edition RETURN versions[0] AS version, edition');
      end({ outcome: 'ok' });
      const record = result.records[0];
      return { version: String(record?.get('version') ?? 'unknown'), edition: String(record?.get('edition') ?? '') };
    } catch (error) {
      end({ outcome: 'error' });
      throw error;
    } finally {
      await session.close();
    }
  }

  /**
   * Runs one unit of work in its own session, closed in `finally` (a leaked session ends in
   * "Connection acquisition timed out"). Transient failures are retried by the driver.
   */
  async run<T>(operation: string, mode: 'READ' | 'WRITE', work: (tx: ManagedTransaction) => Promise<T>): Promise<T> {
    const end = this.metrics.neo4jQueryDuration.startTimer({ operation });
    let session: Session | undefined;
    try {
      session = this.driver.session({ database: this.settings.database, defaultAccessMode: mode });
      const result = mode === 'READ' ? await session.executeRead(work) : await session.executeWrite(work);
      end({ outcome: 'ok' });
      return result;
    } catch (error) {
      end({ outcome: 'error' });
      if (isConnectionError(error)) this.markDown(error);
      throw error;
    } finally {
      await session?.close();
    }
  }

  /**
   * One auto-commit query in its own session, for what a managed transaction cannot hold: schema
   * statements and `CALL {…} IN TRANSACTIONS`. Not retried by the driver, so the statement must be
   * safe to run again.
   */
  async runAutoCommit(
    operation: string,
    mode: 'READ' | 'WRITE',
    query: string,
    parameters?: Record<string, unknown>,
  ): Promise<QueryResult> {
    const end = this.metrics.neo4jQueryDuration.startTimer({ operation });
    let session: Session | undefined;
    try {
      session = this.driver.session({ database: this.settings.database, defaultAccessMode: mode });
      const result = await session.run(query, parameters);
      end({ outcome: 'ok' });
      return result;
    } catch (error) {
      end({ outcome: 'error' });
      if (isConnectionError(error)) this.markDown(error);
      throw error;
    } finally {
      await session?.close();
    }
  }

  private markUp(): void {
    if (this.state !== 'connected') {
      this.log.info({ target: this.target }, 'connected to Neo4j');
    }
    this.state = 'connected';
    this.outage = undefined;
  }

  private markDown(error: unknown): Outage {
    const code = errorCode(error);
    const message = errorMessage(error);
    this.metrics.neo4jConnectionErrors.inc({ code });
    if (this.outage === undefined) {
      this.outage = { code, message, since: new Date() };
      this.log.warn({ target: this.target, code, err: message }, 'Neo4j unavailable');
    } else {
      this.outage = { ...this.outage, code, message };
    }
    if (this.state !== 'closed') this.state = this.state === 'connecting' ? 'connecting' : 'unavailable';
    return this.outage;
  }

  /** Closes the driver at once; a connect attempt still in progress fails and ends the loop. */
  async close(): Promise<void> {
    this.state = 'closed';
    this.wakeConnectLoop?.();
    await this.driver.close();
  }
}

/** Errors that mean "the server is not there (now)", as opposed to a bad query or bad credentials. */
function isConnectionError(error: unknown): boolean {
  const code = errorCode(error);
  return isStaleConnection(error) || code === 'timeout' || /ECONN|EPIPE|socket/i.test(code);
}

/** A pooled connection found dead on use (e.g. after a server restart): worth one immediate retry. */
function isStaleConnection(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'ServiceUnavailable' || code === 'SessionExpired';
}

function errorCode(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') {
    // The driver's own timeouts carry the code "N/A".
    if (error.code === 'N/A' && /timed out/i.test(errorMessage(error))) return 'timeout';
    if (error.code !== '' && error.code !== 'N/A') return error.code;
  }
  return 'unknown';
}

function errorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // The driver appends long troubleshooting paragraphs; the first line says what happened.
  return message.split('\n')[0]?.trim() ?? message;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
