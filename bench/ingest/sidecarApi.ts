import * as http from 'node:http';

class StaleSocketError extends Error {
  override name = 'StaleSocketError';
}

/** A response read whole: status and body text. */
export interface ApiResponse {
  status: number;
  body: string;
  bytes: number;
}

/**
 * A cheap client for the sidecar's REST API: node's http module over a keep-alive agent (one
 * socket per concurrent client, reused), bodies sent as ready strings. Cheaper on a 2-core
 * machine than fetch, so the bench steals less CPU from the sidecar it measures.
 */
export class SidecarApi {
  private readonly agent: http.Agent;
  private readonly origin: URL;

  constructor(
    url: string,
    private readonly token: string,
    private readonly maxSockets: number,
  ) {
    this.origin = new URL(url);
    this.agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  /** Requests sent again after the sidecar closed an idle keep-alive socket as it was reused. */
  resentRequests = 0;

  /**
   * Every request the bench sends is idempotent (ingest is an upsert by id, runs have client ids),
   * so a request that met a keep-alive socket the server had just closed is sent once more, as
   * node's http docs recommend (`req.reusedSocket` + ECONNRESET).
   */
  async request(method: string, path: string, body?: string): Promise<ApiResponse> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.send(method, path, body);
      } catch (error) {
        // Several idle sockets may have been closed at once: try each, then a fresh one.
        if (!(error instanceof StaleSocketError) || attempt > this.maxSockets) throw error;
        this.resentRequests += 1;
      }
    }
  }

  private send(method: string, path: string, body?: string): Promise<ApiResponse> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(body, 'utf8');
      const req = http.request(
        {
          agent: this.agent,
          host: this.origin.hostname,
          port: this.origin.port,
          method,
          path,
          headers: {
            authorization: `Bearer ${this.token}`,
            ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': payload.length }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const all = Buffer.concat(chunks);
            resolve({ status: res.statusCode ?? 0, body: all.toString('utf8'), bytes: all.length });
          });
          res.on('error', reject);
        },
      );
      req.on('error', (error: NodeJS.ErrnoException) => {
        reject(req.reusedSocket && error.code === 'ECONNRESET' ? new StaleSocketError(error.message) : error);
      });
      req.end(payload);
    });
  }

  /** Like `request`, but anything other than the expected status is an error naming the response. */
  async expect(status: number, method: string, path: string, body?: string): Promise<ApiResponse> {
    const response = await this.request(method, path, body);
    if (response.status !== status) {
      throw new Error(`${method} ${path} answered ${response.status} (expected ${status}): ${response.body.slice(0, 500)}`);
    }
    return response;
  }

  async createRun(id: string, workflow: string): Promise<void> {
    await this.expect(201, 'POST', '/api/runs', JSON.stringify({ id, workflow }));
  }

  /** Posts one batch; resolves with the number of records the sidecar acknowledged as committed. */
  async ingest(runId: string, body: string): Promise<number> {
    const response = await this.request('POST', `/api/runs/${encodeURIComponent(runId)}/nodes`, body);
    if (response.status !== 200 && response.status !== 201) {
      throw new Error(`ingest into ${runId} answered ${response.status}: ${response.body.slice(0, 500)}`);
    }
    return (JSON.parse(response.body) as { accepted: number }).accepted;
  }

  metricsText(): Promise<ApiResponse> {
    return this.expect(200, 'GET', '/metrics');
  }

  close(): void {
    this.agent.destroy();
  }
}
