import { spawnSync } from 'node:child_process';
import { RecordBuffer } from './recordBuffer';
import type { CreateRunBody, FinishRunBody, NodeRecord } from './records';
import { type Warn, warnOnce } from './warnings';

export interface TransportOptions {
  /** The sidecar's base URL, e.g. `http://127.0.0.1:7317`. */
  readonly url: string;
  readonly token: string | undefined;
  readonly runId: string;
  readonly warn?: Warn;
  /** Most records kept while the sidecar cannot take them (oldest dropped beyond). */
  readonly capacity?: number;
  /** Wait before posting a partial batch. */
  readonly lingerMs?: number;
}

/** A full batch is posted at once; the sidecar takes up to 10,000 records and 32 MiB per request. */
export const batchRecords = 500;
const batchChars = 4_000_000;
const requestTimeoutMs = 10_000;
const maxBackoffMs = 5_000;
const maxRetryAfterMs = 60_000;
/** Unexpected 5xx (not back-pressure) for the same request before it is given up. */
const maxServerErrors = 3;

type Attempt =
  | { readonly kind: 'ok' }
  | { readonly kind: 'retry'; readonly network: boolean; readonly serverError?: boolean; readonly retryAfterMs?: number }
  | { readonly kind: 'rejected'; readonly status: number; readonly message: string };

type Retry = Extract<Attempt, { kind: 'retry' }>;

interface QueuedRequest {
  readonly method: 'POST' | 'PATCH';
  readonly path: string;
  readonly body: unknown;
}

/**
 * Delivers one run to the sidecar: the run's creation first, then node records in batches, then
 * its finish. Posts in the background (about every 50 ms, or at once when a batch is full), one
 * request at a time so a node's start always lands before its end. `503`, other 5xx and network
 * errors are retried with exponential backoff (honouring `Retry-After`); a `4xx` drops what it
 * names with one warning. Background timers are unref'd: the SDK never keeps a process alive;
 * `flush()` is the bounded wait that finish() and process exit use.
 */
export class Transport {
  private readonly buffer: RecordBuffer;
  /** Batches taken from the buffer and not yet accepted; [0] is the one being posted. */
  private readonly batches: NodeRecord[][] = [];
  private pendingRun: CreateRunBody | undefined;
  private pendingFinish: FinishRunBody | undefined;
  /** Says each thing once per transport (and, through warnOnce, once per process). */
  private readonly warn: Warn;
  /** The run could not be created: nothing of it is sent any more. */
  private closed = false;
  private draining: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = 0;
  /** Background sends wait until then after a failure (flush does not). */
  private retryAt = 0;
  private failures = 0;
  private serverErrors = 0;
  /** Active flush() calls: retries then wait with ref'd timers, or give up when the sidecar is gone. */
  private urgent = 0;
  private urgentUntil = 0;
  private gaveUp = false;
  private urgentNetworkFailures = 0;
  private unreachable = false;
  private warnedUnreachable = false;

  constructor(private readonly options: TransportOptions) {
    this.buffer = new RecordBuffer(options.capacity ?? 10_000);
    const warn = options.warn ?? warnOnce;
    const warned = new Set<string>();
    this.warn = (topic, message) => {
      if (warned.has(topic)) return;
      warned.add(topic);
      warn(topic, message);
    };
  }

  get runId(): string {
    return this.options.runId;
  }

  /** Records not yet accepted by the sidecar. */
  get waiting(): number {
    return this.buffer.size + this.batches.reduce((n, batch) => n + batch.length, 0);
  }

  /** Creates the run before anything else is posted. */
  createRun(body: CreateRunBody): void {
    this.pendingRun = body;
    this.wake(0);
  }

  send(record: NodeRecord): void {
    if (this.closed) return;
    this.buffer.add(record);
    this.wake(this.buffer.size >= batchRecords ? 0 : (this.options.lingerMs ?? 50));
  }

  /** Sets the run's status once every record before it is delivered. */
  finishRun(body: FinishRunBody): void {
    if (!this.closed) this.pendingFinish = body;
  }

  /**
   * Sends everything waiting, for at most `timeoutMs`. Gives up after two network errors in a row
   * (the workflow must not hang at exit because nothing is listening). True when all was
   * delivered.
   */
  async flush(timeoutMs = 5_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    this.urgent++;
    this.urgentUntil = Math.max(this.urgentUntil, deadline);
    this.gaveUp = false;
    this.urgentNetworkFailures = 0;
    try {
      for (;;) {
        if (this.draining) {
          if (!(await settlesBefore(this.draining, deadline))) return false;
          continue;
        }
        if (!this.hasWork()) return true;
        if (this.gaveUp || Date.now() >= deadline) return false;
        this.startDrain();
      }
    } finally {
      this.urgent--;
    }
  }

  /**
   * Last resort when the process exits without an event loop (process.exit(), an uncaught error):
   * posts what is left from a short-lived child process, synchronously. `finish` is sent when no
   * finish is queued yet (the SDK created the run and nobody finished it).
   */
  flushSync(finish?: FinishRunBody): void {
    if (this.closed || this.unreachable) return;
    const requests: QueuedRequest[] = [];
    if (this.pendingRun) requests.push({ method: 'POST', path: '/api/runs', body: this.pendingRun });
    const batches = [...this.batches.splice(0)];
    for (let batch = this.buffer.take(batchRecords, batchChars); batch.length > 0; batch = this.buffer.take(batchRecords, batchChars)) {
      batches.push(batch);
    }
    for (const nodes of batches) requests.push({ method: 'POST', path: this.nodesPath(), body: { nodes } });
    const finishBody = this.pendingFinish ?? finish;
    if (finishBody) requests.push({ method: 'PATCH', path: this.runPath(), body: finishBody });
    if (requests.length === 0) return;
    this.pendingRun = undefined;
    this.pendingFinish = undefined;
    const { NODE_OPTIONS: _ignored, ...env } = process.env;
    try {
      spawnSync(process.execPath, ['-e', exitSender], {
        input: JSON.stringify({ url: this.options.url, token: this.options.token, requests }),
        timeout: 5_000,
        stdio: ['pipe', 'ignore', 'ignore'],
        env,
        windowsHide: true,
      });
    } catch {
      // Nothing more can be done while the process exits.
    }
  }

  /** One warning when records were lost: dropped from a full buffer, or still waiting now. */
  reportUndelivered(): void {
    const waiting = this.waiting;
    const dropped = this.buffer.dropped;
    if (dropped > 0) {
      const more = waiting > 0 ? `, and ${waiting} more were not delivered` : '';
      this.warn(
        'dropped',
        `${dropped} records of run ${this.runId} were dropped (the buffer keeps at most ${this.buffer.capacity} while the sidecar at ${this.options.url} is unreachable)${more}.`,
      );
    } else if (waiting > 0 && !this.warnedUnreachable) {
      this.warn('undelivered', `${waiting} records of run ${this.runId} were not delivered to the sidecar at ${this.options.url} in time.`);
    }
  }

  private hasWork(): boolean {
    return !this.closed && (this.pendingRun !== undefined || this.pendingFinish !== undefined || this.waiting > 0);
  }

  /** Schedules a background drain in `delayMs` (not before a backoff ends), unless one is due sooner. */
  private wake(delayMs: number): void {
    if (this.closed || this.draining) return;
    const at = Math.max(Date.now() + delayMs, this.retryAt);
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.startDrain();
      },
      Math.max(0, at - Date.now()),
    );
    this.timer.unref();
  }

  private startDrain(): void {
    if (this.draining || this.closed) return;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      if (this.hasWork()) this.wake(0);
    });
  }

  private async drain(): Promise<void> {
    while (this.hasWork()) {
      const retry = await this.sendNext();
      if (!retry) {
        this.failures = 0;
        this.urgentNetworkFailures = 0;
        this.retryAt = 0;
        continue;
      }
      this.failures++;
      const delay = retry.retryAfterMs ?? backoff(this.failures);
      if (this.urgent === 0) {
        this.retryAt = Date.now() + delay;
        return;
      }
      // The first network error may be a pooled connection the sidecar closed (it restarted): retry
      // that at once; a second means nothing is listening, and exit must not wait for it.
      const network = retry.network ? ++this.urgentNetworkFailures : 0;
      if (network >= 2 || Date.now() + delay >= this.urgentUntil) {
        this.gaveUp = true;
        this.retryAt = Date.now() + delay;
        return;
      }
      if (network === 0) await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  /** Posts the next thing due; returns how to retry, or undefined when it is done with (sent or dropped). */
  private async sendNext(): Promise<Retry | undefined> {
    if (this.pendingRun) {
      const run = this.pendingRun;
      const attempt = await this.request('POST', '/api/runs', run);
      if (attempt.kind === 'ok') this.pendingRun = undefined;
      if (attempt.kind === 'rejected') {
        this.close(`the sidecar refused to create run ${run.id} (${describe(attempt)}); nothing of this run is recorded.`);
      }
      return attempt.kind === 'retry' ? attempt : undefined;
    }
    if (this.batches.length === 0) {
      const batch = this.buffer.take(batchRecords, batchChars);
      if (batch.length > 0) this.batches.push(batch);
    }
    const batch = this.batches[0];
    if (batch) {
      const attempt = await this.request('POST', this.nodesPath(), { nodes: batch });
      if (attempt.kind === 'retry') return attempt;
      this.batches.shift();
      if (attempt.kind === 'rejected') {
        // One record the sidecar will not take (a changed parent, an oversized field) must not cost
        // its neighbours: halve the batch until the rejection names a single record.
        if (batch.length > 1 && recordSpecific(attempt.status)) {
          const half = Math.ceil(batch.length / 2);
          this.batches.unshift(batch.slice(0, half), batch.slice(half));
        } else {
          this.warn(
            `rejected:${attempt.status}:${attempt.message}`,
            `the sidecar rejected ${batch.length === 1 ? 'a node record' : `${batch.length} node records`} of run ${this.runId} (${describe(attempt)}); dropped.`,
          );
        }
      }
      return undefined;
    }
    if (this.pendingFinish) {
      const attempt = await this.request('PATCH', this.runPath(), this.pendingFinish);
      if (attempt.kind === 'retry') return attempt;
      this.pendingFinish = undefined;
      if (attempt.kind === 'rejected')
        this.warn(`finish:${attempt.message}`, `the sidecar did not finish run ${this.runId} (${describe(attempt)}).`);
    }
    return undefined;
  }

  private async request(method: QueuedRequest['method'], path: string, body: unknown): Promise<Attempt> {
    const attempt = await this.fetchOnce(method, path, body);
    if (attempt.kind === 'retry' && attempt.serverError) {
      this.serverErrors++;
      if (this.serverErrors >= maxServerErrors) {
        this.serverErrors = 0;
        return { kind: 'rejected', status: 500, message: `${maxServerErrors} server errors in a row` };
      }
    } else {
      this.serverErrors = 0;
    }
    return attempt;
  }

  private async fetchOnce(method: QueuedRequest['method'], path: string, body: unknown): Promise<Attempt> {
    let response: Response;
    try {
      response = await fetch(`${this.options.url}${path}`, {
        method,
        headers: {
          'content-type': 'application/json',
          ...(this.options.token ? { authorization: `Bearer ${this.options.token}` } : {}),
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(requestTimeoutMs),
      });
    } catch (error) {
      this.unreachable = true;
      this.warnedUnreachable = true;
      this.warn(
        'unreachable',
        `cannot reach the sidecar at ${this.options.url} (${networkReason(error)}); the workflow goes on, and up to ${this.buffer.capacity} records are kept and retried. Start it with \`npm start\` or set RUNTRAIL_URL.`,
      );
      return { kind: 'retry', network: true };
    }
    this.unreachable = false;
    // Read the body even when unused, so the connection goes back to the pool.
    const text = await response.text().catch(() => '');
    if (response.ok) return { kind: 'ok' };
    const { status } = response;
    if (status === 429 || status === 502 || status === 503 || status === 504) {
      return { kind: 'retry', network: false, retryAfterMs: parseRetryAfter(response.headers.get('retry-after')) };
    }
    if (status >= 500) return { kind: 'retry', network: false, serverError: true };
    return { kind: 'rejected', status, message: errorMessage(text) ?? response.statusText };
  }

  private close(reason: string): void {
    this.closed = true;
    this.warn('closed', reason);
    this.buffer.take(Number.POSITIVE_INFINITY);
    this.batches.length = 0;
    this.pendingFinish = undefined;
  }

  private runPath(): string {
    return `/api/runs/${encodeURIComponent(this.runId)}`;
  }

  private nodesPath(): string {
    return `${this.runPath()}/nodes`;
  }
}

/** Statuses that name particular records (conflicting parent, wrong run, field too large). */
function recordSpecific(status: number): boolean {
  return status === 409 || status === 413 || status === 422;
}

function describe(attempt: Extract<Attempt, { kind: 'rejected' }>): string {
  const hint = attempt.status === 401 ? ': check RUNTRAIL_TOKEN' : '';
  return `${attempt.status} ${attempt.message}${hint}`;
}

/** 100 ms doubling to 5 s, with jitter so many clients do not retry in step. */
export function backoff(failures: number): number {
  const base = Math.min(maxBackoffMs, 100 * 2 ** Math.max(0, failures - 1));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

/** `Retry-After` in seconds or as an HTTP date, in milliseconds (capped at a minute). */
export function parseRetryAfter(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - now;
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(maxRetryAfterMs, Math.max(0, ms));
}

/** The message of the sidecar's `{error: {code, message}}` body. */
function errorMessage(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    const message = body.error?.message;
    return typeof message === 'string' ? message : undefined;
  } catch {
    return text.trim().slice(0, 300) || undefined;
  }
}

function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (error instanceof Error && error.name === 'TimeoutError') return `no answer within ${requestTimeoutMs / 1000} s`;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** True when `promise` settles before `deadline` (a ref'd timer keeps the process up meanwhile). */
async function settlesBefore(promise: Promise<unknown>, deadline: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([promise.then(() => true), expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** The child process of flushSync(): posts the requests from stdin in order, stops at the first network error. */
const exitSender = `
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', async () => {
  const { url, token, requests } = JSON.parse(input);
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = 'Bearer ' + token;
  for (const request of requests) {
    try {
      await fetch(url + request.path, { method: request.method, headers, body: JSON.stringify(request.body), signal: AbortSignal.timeout(4000) });
    } catch {
      return;
    }
  }
});
`;
