import { type ReplayRequest, type RunDiff, UndeclaredCommandDetails } from '../../protocol/replay';
import type { Node, NodeSummary, Run } from '../../protocol/runs';
import { SseParser } from '../../protocol/sseParser';
import type { CompareReport, Host, HostEvent, RunSnapshot, ViewState } from '../host';

/**
 * The host of the page the sidecar serves at /ui: REST for reads, `GET /api/events` (fetch
 * streaming, since EventSource cannot send `Authorization`) for live changes. The token arrives
 * in the URL fragment (`#token=…`, never sent to a server or logged), is moved to sessionStorage
 * and wiped from the address bar; the run comes from `?run=<id>`, and `&compare=<id>` opens it side
 * by side with that run.
 */
const tokenKey = 'runtrail.token';

export class BrowserHost implements Host {
  readonly kind = 'browser' as const;
  private readonly token: string | undefined;

  constructor(
    private readonly base: string = location.origin,
    url: URL = new URL(location.href),
  ) {
    const fromFragment = new URLSearchParams(url.hash.replace(/^#/, '')).get('token');
    if (fromFragment !== null && fromFragment !== '') {
      sessionStorage.setItem(tokenKey, fromFragment);
      history.replaceState(history.state, '', `${url.pathname}${url.search}`);
    }
    this.token = fromFragment || sessionStorage.getItem(tokenKey) || undefined;
    this.runId = url.searchParams.get('run') ?? undefined;
    this.compareWith = url.searchParams.get('compare') || undefined;
  }

  private readonly runId: string | undefined;
  private readonly compareWith: string | undefined;

  get hasToken(): boolean {
    return this.token !== undefined;
  }

  initialRunId(): string | undefined {
    return this.runId;
  }

  async listRuns(): Promise<Run[]> {
    const page = await this.get<{ runs: Run[] }>('/api/runs?limit=100');
    return page.runs;
  }

  async loadRun(runId: string): Promise<RunSnapshot> {
    const tree = await this.get<{ run: Run; nodes: NodeSummary[] }>(`/api/runs/${encodeURIComponent(runId)}/tree?format=flat`);
    return { run: tree.run, nodes: tree.nodes };
  }

  openNode(nodeId: string): Promise<Node> {
    return this.get<Node>(`/api/nodes/${encodeURIComponent(nodeId)}`);
  }

  async revealSource(_node: NodeSummary): Promise<boolean> {
    return false;
  }

  subscribe(runId: string, listener: (event: HostEvent) => void): () => void {
    let closed = false;
    let controller: AbortController | undefined;
    const parser = new SseParser();
    let delay = 1_000;
    const dispatch = (type: string, data: string) => {
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(data) as Record<string, unknown>;
      } catch {
        return;
      }
      if (type === 'node' && typeof body.id === 'string' && body.runId === runId) {
        listener({ type: 'node', delta: body as HostEvent & { runId: string; id: string } as never });
      } else if (type === 'run' && body.id === runId) {
        listener(body.deleted === true ? { type: 'deleted', runId } : { type: 'run', run: body as unknown as Run });
      } else if (type === 'reset') listener({ type: 'reset' });
      else if (type === 'paused') listener({ type: 'paused', reason: String(body.reason ?? 'the relay is unavailable') });
      else if (type === 'resumed') listener({ type: 'resumed' });
    };
    const connect = async (): Promise<void> => {
      while (!closed) {
        controller = new AbortController();
        try {
          const headers: Record<string, string> = { accept: 'text/event-stream', ...this.auth() };
          if (parser.lastEventId !== undefined) headers['last-event-id'] = parser.lastEventId;
          const res = await fetch(`${this.base}/api/events?runId=${encodeURIComponent(runId)}`, { headers, signal: controller.signal });
          if (res.status === 401 || res.status === 403) {
            listener({ type: 'paused', reason: 'the sidecar refused the token: open the link from VS Code or `runtrail` again' });
            return;
          }
          if (!res.ok || res.body === null) throw new Error(`the sidecar answered ${res.status}`);
          if (delay > 1_000) listener({ type: 'resumed' });
          delay = 1_000;
          const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
          for (;;) {
            const { value, done } = await reader.read();
            if (done || closed) break;
            for (const event of parser.push(value)) dispatch(event.event, event.data);
          }
        } catch (cause) {
          if (closed) return;
          listener({
            type: 'paused',
            reason: `live updates lost (${cause instanceof Error ? cause.message : String(cause)}); reconnecting`,
          });
        }
        if (closed) return;
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(30_000, delay * 2);
      }
    };
    void connect();
    return () => {
      closed = true;
      controller?.abort();
    };
  }

  getState(): ViewState | undefined {
    const raw = sessionStorage.getItem(`runtrail.view.${this.runId ?? ''}`);
    if (raw === null) return undefined;
    try {
      return JSON.parse(raw) as ViewState;
    } catch {
      return undefined;
    }
  }

  setState(state: ViewState): void {
    sessionStorage.setItem(`runtrail.view.${state.runId ?? ''}`, JSON.stringify(state));
  }

  async replay(runId: string, request: ReplayRequest): Promise<Run> {
    const path = `/api/runs/${encodeURIComponent(runId)}/replay`;
    try {
      return await this.send<Run>('POST', path, request);
    } catch (error) {
      // A command runtrail.json does not declare runs only once the user has seen it and agreed.
      const details = error instanceof RequestError && error.status === 403 ? UndeclaredCommandDetails.safeParse(error.details) : undefined;
      if (!details?.success) throw error;
      const { command, cwd } = details.data;
      const agreed = window.confirm(
        `Run ${runId} was not started from a workflow of runtrail.json. Replaying it runs this command on the sidecar's machine:\n\n${command.join(' ')}\n\nin ${cwd}\n\nRun it?`,
      );
      if (!agreed) throw new Error('The replay was not started: running its command was declined.');
      return this.send<Run>('POST', path, { ...request, allowUndeclaredCommand: true });
    }
  }

  diff(a: string, b: string): Promise<RunDiff> {
    return this.get<RunDiff>(`/api/runs/${encodeURIComponent(a)}/diff/${encodeURIComponent(b)}`);
  }

  openRun(runId: string): void {
    // The token stays in sessionStorage (same tab); a fragment still in the address bar is kept.
    location.assign(`${location.pathname}?run=${encodeURIComponent(runId)}${location.hash}`);
  }

  onCompareRequest(listener: (withRunId: string) => void): () => void {
    const withRunId = this.compareWith;
    let live = true;
    if (withRunId !== undefined) queueMicrotask(() => live && listener(withRunId));
    return () => {
      live = false;
    };
  }

  compared(_report: CompareReport): void {
    // Nobody outside the page listens in the browser; the test hook has the same facts.
  }

  private auth(): Record<string, string> {
    return this.token === undefined ? {} : { authorization: `Bearer ${this.token}` };
  }

  private get<T>(path: string): Promise<T> {
    return this.send<T>('GET', path);
  }

  private async send<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json', ...this.auth() };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${this.base}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    if (!res.ok) {
      let message = `${res.status} ${res.statusText}`;
      let details: unknown;
      try {
        const body = (await res.json()) as { error?: { message?: string; details?: unknown } };
        if (body.error?.message) message = body.error.message;
        details = body.error?.details;
      } catch {
        // not JSON: keep the status line
      }
      if (res.status === 401)
        message = `${message} — open this page from VS Code ("Open Run in Browser") or the CLI, whose link carries the token`;
      throw new RequestError(message, res.status, details);
    }
    return (await res.json()) as T;
  }
}

/** A non-2xx answer: the sidecar's message, with its status and `details` for the callers that act on them. */
class RequestError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly details: unknown,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}
