import * as fs from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { ImportResponse } from '../../protocol/bundle';
import { ErrorBody } from '../../protocol/errors';
import { type RuntrailApi, SidecarRequestError } from '../services';

/**
 * The two bundle transfers with the sidecar, streamed both ways (a bundle can be hundreds of MB,
 * so neither goes through the JSON client): `GET /api/runs/:id/export` into a file, a file into
 * `POST /api/import`. Local files only (the extension host's file system).
 */

type Endpoint = Pick<RuntrailApi, 'url' | 'token'>;

async function send(endpoint: Endpoint, pathname: string, init: RequestInit): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${endpoint.token}`);
  let res: Response;
  try {
    res = await fetch(`${endpoint.url}${pathname}`, { ...init, headers });
  } catch (error) {
    throw new Error(`Could not reach the Runtrail sidecar at ${endpoint.url}: ${(error as Error).message}`);
  }
  if (res.ok) return res;
  let code = `http_${res.status}`;
  let message = res.statusText || `HTTP ${res.status}`;
  let details: unknown;
  try {
    const body = ErrorBody.safeParse(await res.json());
    if (body.success) ({ code, message, details } = body.data.error);
  } catch {
    // Not JSON: the status line is all there is.
  }
  throw new SidecarRequestError(res.status, code, message, details);
}

/** Writes the run's bundle to `file` (replaced only once complete). */
export async function exportRunToFile(endpoint: Endpoint, runId: string, file: string, redact: readonly string[] = []): Promise<void> {
  const query = redact.length === 0 ? '' : `?redact=${encodeURIComponent(redact.join(','))}`;
  const res = await send(endpoint, `/api/runs/${encodeURIComponent(runId)}/export${query}`, {});
  const partial = `${file}.partial-${process.pid}`;
  try {
    await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), fs.createWriteStream(partial));
    fs.renameSync(partial, file);
  } catch (error) {
    fs.rmSync(partial, { force: true });
    throw error;
  }
}

/** Loads a bundle file into the sidecar; `created` false when the same run was there already. */
export async function importBundleFile(
  endpoint: Endpoint,
  file: string,
  as?: string,
): Promise<ImportResponse & { readonly created: boolean }> {
  const query = as === undefined ? '' : `?as=${encodeURIComponent(as)}`;
  const res = await send(endpoint, `/api/import${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body: Readable.toWeb(fs.createReadStream(file)) as ReadableStream,
    duplex: 'half',
  } as RequestInit);
  return { ...ImportResponse.parse(await res.json()), created: res.status === 201 };
}
