import * as http from 'node:http';

/** A request timed from the first byte sent to the last byte of the answer read. */
export interface TimedResponse {
  status: number;
  /** Bytes of the answer's body (as received: the sidecar does not compress answers). */
  bytes: number;
  body: Buffer;
  ms: number;
}

/**
 * One timed request on a fresh connection (no keep-alive: nothing of a previous pass is reused,
 * and a local TCP connect is a fraction of a millisecond against the hundreds these take). The
 * body is a ready Buffer with the headers a real client would send (an exporter's content type
 * and encoding, a bundle's ndjson).
 */
export function timedRequest(
  url: string,
  token: string,
  method: string,
  path: string,
  body?: { bytes: Buffer; contentType: string; contentEncoding?: string },
): Promise<TimedResponse> {
  const origin = new URL(url);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = http.request(
      {
        agent: false,
        host: origin.hostname,
        port: origin.port,
        method,
        path,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined
            ? {}
            : {
                'content-type': body.contentType,
                'content-length': body.bytes.length,
                ...(body.contentEncoding === undefined ? {} : { 'content-encoding': body.contentEncoding }),
              }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const ms = performance.now() - started;
          const all = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, bytes: all.length, body: all, ms });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body?.bytes);
  });
}

/** Like timedRequest, but any other status is an error quoting the answer. */
export async function expectTimed(status: number, ...args: Parameters<typeof timedRequest>): Promise<TimedResponse> {
  const response = await timedRequest(...args);
  if (response.status !== status) {
    throw new Error(
      `${args[2]} ${args[3]} answered ${response.status} (expected ${status}): ${response.body.toString('utf8').slice(0, 500)}`,
    );
  }
  return response;
}
