import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type Koa from 'koa';

export interface ListeningServer {
  readonly server: http.Server;
  /** http://host:port as bound (port 0 resolved). */
  readonly url: string;
  /**
   * Stops accepting connections, lets in-flight requests finish for up to `graceMs`, then cuts
   * whatever is left. Idle keep-alive sockets are closed at once so they do not hold the exit.
   */
  close(graceMs: number): Promise<void>;
}

export function listen(app: Koa, host: string, port: number): Promise<ListeningServer> {
  const server = http.createServer(app.callback());
  // Long enough for SSE and long polls later; a slowloris still cannot hold headers forever.
  server.headersTimeout = 30_000;
  server.requestTimeout = 0;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      resolve({ server, url: `http://${shownHost}:${address.port}`, close: (graceMs) => closeServer(server, graceMs) });
    });
  });
}

function closeServer(server: http.Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}
