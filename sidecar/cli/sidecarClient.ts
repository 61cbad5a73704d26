import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { z } from 'zod';
import { ErrorBody } from '../../protocol/errors';
import { type ReplayRequest, RunDiff, RunFamily } from '../../protocol/replay';
import { FlatTree, type ListRunsQuery, NestedTree, NodeSummary, Run, RunDetail, RunPage, type RunStatus } from '../../protocol/runs';
import { CancelRunResponse, type StartWorkflowRequest, WorkflowList } from '../../protocol/workflows';
import { defaultDataDir, type Env } from '../config';
import { discoveryFileName, type SidecarDiscovery } from '../discovery';
import { processAlive } from '../util/processes';
import { CliError, exitCodes, UsageError } from './cliError';

/** Where the sidecar listens when nothing says otherwise (the sidecar's own default). */
export const defaultSidecarUrl = 'http://127.0.0.1:7317';

/** How a request for a command other than `serve` found its sidecar; error messages cite it. */
export interface SidecarLocation {
  /** Base URL without a trailing slash. */
  readonly url: string;
  readonly urlSource: 'flag' | 'env' | 'discovery' | 'default';
  readonly token: string | undefined;
  /** Where the token came from (`--token`, `RUNTRAIL_TOKEN`, a file), or why there is none. */
  readonly tokenSource: string;
  readonly dataDir: string;
}

export interface LocateOptions {
  readonly url?: string;
  readonly token?: string;
}

/** `RUNTRAIL_DATA_DIR` (with `~`) or the per-user default, resolved as the sidecar resolves it. */
export function resolveDataDir(env: Env, flag?: string): string {
  const raw = (flag ?? env.RUNTRAIL_DATA_DIR)?.trim();
  if (raw === undefined || raw === '') return defaultDataDir({ platform: process.platform, home: os.homedir(), env });
  return path.resolve(raw.startsWith('~') ? path.join(os.homedir(), raw.slice(1)) : raw);
}

/**
 * Finds the sidecar: `--url`, else RUNTRAIL_URL, else the `sidecar.json` a running sidecar wrote
 * into the data dir (only while its pid is alive: a killed sidecar leaves it behind), else the
 * default port. The token: `--token`, else RUNTRAIL_TOKEN, else the token file next to it.
 */
export function locateSidecar(options: LocateOptions, env: Env): SidecarLocation {
  const dataDir = resolveDataDir(env);
  const discovery = readDiscovery(dataDir);
  const envUrl = nonEmpty(env.RUNTRAIL_URL);
  let url: string;
  let urlSource: SidecarLocation['urlSource'];
  if (options.url !== undefined) {
    url = checkUrl(options.url, '--url');
    urlSource = 'flag';
  } else if (envUrl !== undefined) {
    url = checkUrl(envUrl, 'RUNTRAIL_URL');
    urlSource = 'env';
  } else if (discovery !== undefined) {
    url = checkUrl(discovery.url, path.join(dataDir, discoveryFileName));
    urlSource = 'discovery';
  } else {
    url = defaultSidecarUrl;
    urlSource = 'default';
  }

  const envToken = nonEmpty(env.RUNTRAIL_TOKEN);
  if (options.token !== undefined) return { url, urlSource, token: options.token, tokenSource: '--token', dataDir };
  if (envToken !== undefined) return { url, urlSource, token: envToken, tokenSource: 'RUNTRAIL_TOKEN', dataDir };
  // A sidecar started with RUNTRAIL_TOKEN writes no token file: nothing here can be read for it.
  if (discovery !== undefined && discovery.tokenFile === null && urlSource === 'discovery') {
    return { url, urlSource, token: undefined, tokenSource: `the sidecar (pid ${discovery.pid}) uses its own RUNTRAIL_TOKEN`, dataDir };
  }
  const tokenFile = discovery?.tokenFile ?? path.join(dataDir, 'token');
  const token = readTokenFile(tokenFile);
  return { url, urlSource, token, tokenSource: token === undefined ? `found no token file at ${tokenFile}` : tokenFile, dataDir };
}

/** The token in a sidecar's token file, or undefined when there is none (yet). */
export function readTokenFile(file: string): string | undefined {
  try {
    const token = fs.readFileSync(file, 'utf8').trim();
    return token === '' ? undefined : token;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new CliError(`cannot read the token file ${file}: ${(error as Error).message}`);
  }
}

function readDiscovery(dataDir: string): SidecarDiscovery | undefined {
  let discovery: Partial<SidecarDiscovery>;
  try {
    discovery = JSON.parse(fs.readFileSync(path.join(dataDir, discoveryFileName), 'utf8')) as Partial<SidecarDiscovery>;
  } catch {
    return undefined;
  }
  if (typeof discovery.url !== 'string' || typeof discovery.pid !== 'number' || !processAlive(discovery.pid)) return undefined;
  return discovery as SidecarDiscovery;
}

function checkUrl(value: string, from: string): string {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new UsageError(`${from} ${JSON.stringify(value)} is not a URL: expected e.g. ${defaultSidecarUrl}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UsageError(`${from} ${JSON.stringify(value)} is not an http(s) URL: expected e.g. ${defaultSidecarUrl}`);
  }
  return value.replace(/\/+$/, '');
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === '' ? undefined : trimmed;
}

// ---- the client ------------------------------------------------------------------------------

const ShallowNestedTree = NestedTree.extend({ roots: z.array(z.unknown()) });
const TreeNodeShallow = NodeSummary.extend({ children: z.array(z.unknown()) });

/** A non-2xx answer, already turned into one line; `status` and `code` let commands say more. */
export class SidecarHttpError extends CliError {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
  ) {
    super(message, exitCodes.failed);
    this.name = 'SidecarHttpError';
  }
}

interface RequestOptions<S extends z.ZodType | undefined> {
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  readonly body?: unknown;
  readonly schema: S;
}

/** A plain request should not hang the terminal forever on a wedged sidecar. */
const requestTimeoutMs = 60_000;

/** Typed calls to the sidecar's REST API (protocol/ schemas check every answer). */
export class SidecarClient {
  constructor(readonly location: SidecarLocation) {}

  get url(): string {
    return this.location.url;
  }

  listRuns(query: { workflow?: string; status?: RunStatus; limit?: number; cursor?: string } = {}): Promise<RunPage> {
    const q: Partial<Record<keyof ListRunsQuery, string | number | undefined>> = query;
    return this.request('GET', '/api/runs', { query: q, schema: RunPage });
  }

  getRun(runId: string): Promise<RunDetail> {
    return this.request('GET', `/api/runs/${encodeURIComponent(runId)}`, { schema: RunDetail });
  }

  /**
   * The nested tree, checked node by node without recursion: zod's recursive TreeNode schema
   * overflows the stack on runs a thousand levels deep, which the API must serve.
   */
  async nestedTree(runId: string): Promise<NestedTree> {
    const pathname = `/api/runs/${encodeURIComponent(runId)}/tree`;
    const tree = await this.request('GET', pathname, { query: { format: 'nested' }, schema: ShallowNestedTree });
    const stack: unknown[] = [...tree.roots];
    while (stack.length > 0) {
      const parsed = TreeNodeShallow.safeParse(stack.pop());
      if (!parsed.success) throw this.unexpectedShape('GET', pathname, parsed.error);
      stack.push(...parsed.data.children);
    }
    return tree as NestedTree;
  }

  flatTree(runId: string): Promise<FlatTree> {
    return this.request('GET', `/api/runs/${encodeURIComponent(runId)}/tree`, { query: { format: 'flat' }, schema: FlatTree });
  }

  listWorkflows(): Promise<WorkflowList> {
    return this.request('GET', '/api/workflows', { schema: WorkflowList });
  }

  startWorkflow(name: string, body: StartWorkflowRequest): Promise<Run> {
    return this.request('POST', `/api/workflows/${encodeURIComponent(name)}/runs`, { body, schema: Run });
  }

  replayRun(runId: string, body: ReplayRequest): Promise<Run> {
    return this.request('POST', `/api/runs/${encodeURIComponent(runId)}/replay`, { body, schema: Run });
  }

  diffRuns(a: string, b: string): Promise<RunDiff> {
    return this.request('GET', `/api/runs/${encodeURIComponent(a)}/diff/${encodeURIComponent(b)}`, { schema: RunDiff });
  }

  runFamily(runId: string): Promise<RunFamily> {
    return this.request('GET', `/api/runs/${encodeURIComponent(runId)}/family`, { schema: RunFamily });
  }

  cancelRun(runId: string): Promise<CancelRunResponse> {
    return this.request('POST', `/api/runs/${encodeURIComponent(runId)}/cancel`, { schema: CancelRunResponse });
  }

  /**
   * Opens `GET /api/events` (no timeout: the stream is meant to stay open); the caller reads the
   * body. Non-2xx answers throw like any other request.
   */
  async openEvents(query: { runId?: string }, lastEventId: string | undefined, signal: AbortSignal): Promise<Response> {
    const headers = this.headers({ accept: 'text/event-stream' });
    if (lastEventId !== undefined) headers.set('last-event-id', lastEventId);
    const res = await this.send(this.href('/api/events', query), { headers, signal });
    if (!res.ok) throw await this.errorOf(res);
    return res;
  }

  async request<S extends z.ZodType | undefined>(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    pathname: string,
    options: RequestOptions<S>,
  ): Promise<S extends z.ZodType ? z.infer<S> : undefined> {
    const headers = this.headers(options.body === undefined ? {} : { 'content-type': 'application/json' });
    const signal = AbortSignal.timeout(requestTimeoutMs);
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const res = await this.send(this.href(pathname, options.query), { method, headers, body, signal });
    if (!res.ok) throw await this.errorOf(res);
    if (options.schema === undefined) {
      await res.body?.cancel();
      return undefined as S extends z.ZodType ? z.infer<S> : undefined;
    }
    let json: unknown;
    try {
      json = await res.json();
    } catch (error) {
      throw new CliError(`the sidecar at ${this.url} sent a broken answer to ${method} ${pathname}: ${oneLine((error as Error).message)}`);
    }
    const parsed = options.schema.safeParse(json);
    if (!parsed.success) throw this.unexpectedShape(method, pathname, parsed.error);
    return parsed.data as S extends z.ZodType ? z.infer<S> : undefined;
  }

  private unexpectedShape(method: string, pathname: string, error: z.ZodError): CliError {
    const issue = error.issues[0];
    const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    return new CliError(
      `the sidecar at ${this.url} answered ${method} ${pathname} in an unexpected shape${where} (${issue?.message ?? 'invalid'}): is it another version of Runtrail?`,
    );
  }

  private headers(extra: Record<string, string>): Headers {
    const headers = new Headers(extra);
    if (this.location.token !== undefined) headers.set('authorization', `Bearer ${this.location.token}`);
    return headers;
  }

  private href(pathname: string, query: Readonly<Record<string, string | number | undefined>> = {}): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
    const search = params.toString();
    return `${this.url}${pathname}${search === '' ? '' : `?${search}`}`;
  }

  private async send(href: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(href, init);
    } catch (error) {
      throw this.unreachable(error);
    }
  }

  /** Turns fetch's "fetch failed" into the reason a user can act on. */
  unreachable(error: unknown): CliError {
    const err = error as Error & { cause?: NodeJS.ErrnoException & { code?: string } };
    if (err.name === 'TimeoutError') return new CliError(`the sidecar at ${this.url} did not answer within ${requestTimeoutMs / 1000}s`);
    if (err.name === 'AbortError') return new CliError('request aborted');
    const code = err.cause?.code;
    const reason =
      code === 'ECONNREFUSED'
        ? 'connection refused'
        : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
          ? 'host not found'
          : code === 'ECONNRESET' || code === 'UND_ERR_SOCKET'
            ? 'connection reset'
            : code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT'
              ? 'connection timed out'
              : oneLine(err.cause?.message ?? err.message);
    return new CliError(`cannot reach the sidecar at ${this.url} (${reason}): start it with "runtrail serve"${this.urlHint()}`);
  }

  private urlHint(): string {
    if (this.location.urlSource === 'flag') return ' or check --url';
    if (this.location.urlSource === 'env') return ' or check RUNTRAIL_URL';
    return '';
  }

  /** One line from an error answer: the sidecar's message, then status and code (401: how to fix the token). */
  async errorOf(res: Response): Promise<SidecarHttpError> {
    let code = `http_${res.status}`;
    let message = res.statusText || `HTTP ${res.status}`;
    try {
      const body = ErrorBody.safeParse(await res.json());
      if (body.success) {
        code = body.data.error.code;
        message = body.data.error.message;
      }
    } catch {
      // Not JSON (a proxy's page?): the status line is all there is.
    }
    if (res.status === 401) {
      const source = this.location.tokenSource;
      const fix =
        this.location.token === undefined
          ? `${source}: pass --token or set RUNTRAIL_TOKEN`
          : source === '--token' || source === 'RUNTRAIL_TOKEN'
            ? `the token from ${source} is not this sidecar's (its own is in its data folder: runtrail token)`
            : `the token in ${source} is not this sidecar's: pass --token or set RUNTRAIL_TOKEN`;
      return new SidecarHttpError(`the sidecar at ${this.url} refused the request (401 ${code}): ${fix}`, res.status, code);
    }
    return new SidecarHttpError(`${oneLine(message).replace(/\.$/, '')} (${res.status} ${code})`, res.status, code);
  }
}

export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
