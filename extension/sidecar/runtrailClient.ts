import type { z } from 'zod';
import { ErrorBody } from '../../protocol/errors';
import { SidecarHealth } from '../../protocol/health';
import { type ReplayRequest, RunDiff, RunFamily } from '../../protocol/replay';
import { FlatTree, type ListRunsQuery, Node, RunDetail, RunPage, Run as RunSchema } from '../../protocol/runs';
import { CancelRunResponse, type StartWorkflowRequest, WorkflowList } from '../../protocol/workflows';
import { type RuntrailApi, SidecarRequestError, SidecarUnavailableError } from '../services';
import { describeFetchError } from './eventStream';

/**
 * The REST client the features use (services.ts `RuntrailApi`; no VS Code here). Every answer is
 * checked against its protocol/ schema, so a sidecar of another version fails loudly at the edge
 * instead of deep in a view; every non-2xx becomes a SidecarRequestError carrying the sidecar's
 * own `{error: {code, message}}`; an unreachable sidecar is a SidecarUnavailableError.
 */

export interface RuntrailClientOptions {
  /** Per request; a wedged sidecar must not hang a view forever. */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

type Query = Readonly<Record<string, string | number | undefined>>;

export class RuntrailClient implements RuntrailApi {
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(
    /** Base URL without a trailing slash. */
    readonly url: string,
    readonly token: string,
    options: RuntrailClientOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.fetchImpl = options.fetch ?? fetch;
  }

  listRuns(query: Partial<Pick<ListRunsQuery, 'workflow' | 'status' | 'branch' | 'label' | 'q' | 'limit' | 'cursor'>> = {}) {
    return this.request('GET', '/api/runs', RunPage, { query });
  }

  getRun(runId: string) {
    return this.request('GET', `/api/runs/${segment(runId)}`, RunDetail);
  }

  async deleteRun(runId: string): Promise<void> {
    await this.request('DELETE', `/api/runs/${segment(runId)}`, undefined);
  }

  tree(runId: string) {
    return this.request('GET', `/api/runs/${segment(runId)}/tree`, FlatTree, { query: { format: 'flat' } });
  }

  node(nodeId: string) {
    return this.request('GET', `/api/nodes/${segment(nodeId)}`, Node);
  }

  listWorkflows() {
    return this.request('GET', '/api/workflows', WorkflowList);
  }

  startWorkflow(name: string, request: StartWorkflowRequest) {
    return this.request('POST', `/api/workflows/${segment(name)}/runs`, RunSchema, { body: request });
  }

  cancelRun(runId: string) {
    return this.request('POST', `/api/runs/${segment(runId)}/cancel`, CancelRunResponse);
  }

  replayRun(runId: string, request: ReplayRequest) {
    return this.request('POST', `/api/runs/${segment(runId)}/replay`, RunSchema, { body: request });
  }

  diffRuns(a: string, b: string) {
    return this.request('GET', `/api/runs/${segment(a)}/diff/${segment(b)}`, RunDiff);
  }

  family(runId: string) {
    return this.request('GET', `/api/runs/${segment(runId)}/family`, RunFamily);
  }

  /** `GET /api/health` (no token needed); 503 still carries the report, so it is returned, not thrown. */
  health(): Promise<SidecarHealth> {
    return this.request('GET', '/api/health', SidecarHealth, { auth: false, acceptStatus: [503] });
  }

  private async request<S extends z.ZodType | undefined>(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    schema: S,
    options: { query?: Query; body?: unknown; auth?: boolean; acceptStatus?: readonly number[] } = {},
  ): Promise<S extends z.ZodType ? z.infer<S> : undefined> {
    const what = `${method} ${path}`;
    const target = `${this.url}${path}${queryString(options.query)}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (options.auth !== false) headers.authorization = `Bearer ${this.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await this.fetchImpl(target, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const within = this.timeoutMs < 1_000 ? `${this.timeoutMs} ms` : `${Math.round(this.timeoutMs / 1000)} s`;
      const reason = (error as Error).name === 'TimeoutError' ? `no answer to ${what} within ${within}` : describeFetchError(error);
      throw new SidecarUnavailableError(`Cannot reach the Runtrail sidecar at ${this.url}: ${reason}.`);
    }
    const text = await readText(res, this.url, what);
    if (!res.ok && !options.acceptStatus?.includes(res.status)) throw requestError(res, text, what);
    if (schema === undefined) return undefined as S extends z.ZodType ? z.infer<S> : undefined;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new SidecarRequestError(res.status, 'invalid_response', `The sidecar answered ${what} with something other than JSON.`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue === undefined ? '' : ` (${issue.path.join('.') || 'body'}: ${issue.message})`;
      throw new SidecarRequestError(
        res.status,
        'invalid_response',
        `The sidecar at ${this.url} answered ${what} in an unexpected shape${where}: is it the same version as the extension?`,
      );
    }
    return parsed.data as S extends z.ZodType ? z.infer<S> : undefined;
  }
}

async function readText(res: Response, url: string, what: string): Promise<string> {
  try {
    return await res.text();
  } catch (error) {
    throw new SidecarUnavailableError(`The Runtrail sidecar at ${url} broke off its answer to ${what}: ${describeFetchError(error)}.`);
  }
}

function requestError(res: Response, text: string, what: string): SidecarRequestError {
  try {
    const body = ErrorBody.parse(JSON.parse(text));
    return new SidecarRequestError(res.status, body.error.code, body.error.message, body.error.details);
  } catch {
    const statusText = res.statusText === '' ? '' : ` ${res.statusText}`;
    return new SidecarRequestError(res.status, `http_${res.status}`, `The sidecar answered ${what} with ${res.status}${statusText}.`);
  }
}

function queryString(query: Query | undefined): string {
  if (query === undefined) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

function segment(id: string): string {
  return encodeURIComponent(id);
}
