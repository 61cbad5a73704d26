import { randomBytes } from 'node:crypto';
import { DomainError } from '../errors';
import type { IngestQueue } from '../ingest/ingestQueue';
import type { Logger } from '../log';
import type { IngestRecord } from '../store/runStore';
import { Backoff } from '../util/backoff';
import { lineName } from './outputLines';

export type OutputStream = 'stdout' | 'stderr';

/**
 * Where output lines sort among a run's roots. The SDKs number nodes from 0 with one counter per
 * run; starting log lines at 10^12 keeps them in arrival order among themselves (stdout and stderr
 * interleaved as they came) and after the SDK's nodes, instead of shuffled between them by
 * colliding numbers. Far below Number.MAX_SAFE_INTEGER, so any run's lines fit.
 */
export const logSeqBase = 1e12;

/** What one request carries at most; a burst of output becomes several requests. */
const maxRecordsPerRequest = 1_000;
const maxBytesPerRequest = 4 * 1024 * 1024;
/**
 * Beyond this many lines (or bytes) waiting for the store, the workflow's pipes are paused, so it
 * blocks on write instead of the sidecar buffering without bound; reading resumes below the low mark.
 */
const pauseAbove = { lines: 10_000, bytes: 16 * 1024 * 1024 };
const resumeBelow = { lines: 2_000, bytes: 4 * 1024 * 1024 };
const maxAttempts = 12;

/**
 * Turns a workflow's output lines into finished `log` nodes of its run, written through the
 * ingest queue in batches: lines arriving while a batch is being committed wait and go out
 * together in the next one, so a chatty workflow costs a few requests, not one per line, and
 * batches stay in order (one in flight per run). When the store falls behind, `onPressure(true)`
 * asks the caller to stop reading the pipes until it catches up.
 */
export class LogNodeWriter {
  private pending: IngestRecord[] = [];
  private pendingBytes = 0;
  private sending: Promise<void> | undefined;
  private seq = 0;
  private readonly counts: Record<OutputStream, number> = { stdout: 0, stderr: 0 };
  private stopped = false;
  private paused = false;

  constructor(
    private readonly runId: string,
    private readonly ingest: IngestQueue,
    private readonly log: Logger,
    private readonly maxFieldBytes: number,
    private readonly onPressure: (paused: boolean) => void,
  ) {}

  /** Lines recorded so far, per stream. */
  get lineCounts(): Readonly<Record<OutputStream, number>> {
    return this.counts;
  }

  line(stream: OutputStream, text: string): void {
    if (this.stopped) return;
    const now = Date.now();
    const n = this.counts[stream]++;
    const output = this.fit(text);
    this.pendingBytes += output.length;
    this.pending.push({
      id: randomBytes(16).toString('hex'),
      parentId: null,
      key: `/${stream}#${n}`,
      kind: 'log',
      name: lineName(text),
      status: 'ok',
      seq: logSeqBase + this.seq++,
      startedAt: now,
      endedAt: now,
      attributes: JSON.stringify({ stream }),
      output,
    });
    if (!this.paused && (this.pending.length > pauseAbove.lines || this.pendingBytes > pauseAbove.bytes)) {
      this.paused = true;
      this.onPressure(true);
    }
    this.sending ??= this.pump();
  }

  /** Resolves once every line given so far is committed (or given up on). */
  async drain(): Promise<void> {
    while (this.sending !== undefined) await this.sending;
  }

  /** True while the caller was asked to stop reading (the store is behind). */
  get isPaused(): boolean {
    return this.paused;
  }

  /** Drops what is still waiting and takes no more lines (the sidecar is stopping, or the run was deleted). */
  stop(): void {
    this.stopped = true;
    this.pending = [];
    this.pendingBytes = 0;
    // A workflow blocked on a full pipe must not stay blocked because nobody records it any more.
    if (this.paused) {
      this.paused = false;
      this.onPressure(false);
    }
  }

  private async pump(): Promise<void> {
    // Let the rest of the chunk being split (and whatever else is readable) join this batch.
    await new Promise((resolve) => setImmediate(resolve));
    try {
      while (this.pending.length > 0 && !this.stopped) {
        const batch = this.takeBatch();
        if (this.paused && this.pending.length < resumeBelow.lines && this.pendingBytes < resumeBelow.bytes) {
          this.paused = false;
          this.onPressure(false);
        }
        await this.send(batch);
      }
    } finally {
      this.sending = undefined;
    }
  }

  private takeBatch(): IngestRecord[] {
    let count = 0;
    let bytes = 0;
    // At least one record, however large.
    while (count < this.pending.length && count < maxRecordsPerRequest && (count === 0 || bytes < maxBytesPerRequest)) {
      bytes += this.pending[count]?.output?.length ?? 0;
      count++;
    }
    this.pendingBytes -= bytes;
    return this.pending.splice(0, count);
  }

  private async send(records: IngestRecord[]): Promise<void> {
    const backoff = new Backoff({ initialMs: 100, maxMs: 5_000 });
    for (let attempt = 1; ; attempt++) {
      try {
        const outcome = await this.ingest.submit({ runId: this.runId, records, receivedAt: Date.now() });
        if (outcome.ok) return;
        // The run was deleted while its workflow still prints: nothing left to record into.
        if (outcome.error.code === 'not_found') this.stop();
        this.log.warn({ runId: this.runId, err: outcome.error, lines: records.length }, 'output lines rejected; dropped');
        return;
      } catch (error) {
        const retryable = error instanceof DomainError && error.code === 'unavailable';
        if (!retryable || this.stopped || attempt >= maxAttempts) {
          this.log.warn({ runId: this.runId, err: error, lines: records.length }, 'output lines could not be stored; dropped');
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, backoff.next()));
      }
    }
  }

  /** `{line}` as JSON within the field limit; a line that does not fit is cut with a marker. */
  private fit(text: string): string {
    let json = JSON.stringify({ line: text });
    let bytes = Buffer.byteLength(json, 'utf8');
    let keep = text.length;
    while (bytes > this.maxFieldBytes && keep > 0) {
      keep = Math.floor((keep * this.maxFieldBytes) / bytes) - 64;
      json = JSON.stringify({ line: `${text.slice(0, Math.max(0, keep))} … [cut to RUNTRAIL_MAX_FIELD_BYTES]` });
      bytes = Buffer.byteLength(json, 'utf8');
    }
    return json;
  }
}
