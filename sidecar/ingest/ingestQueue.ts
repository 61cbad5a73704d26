import { DomainError } from '../errors';
import type { Logger } from '../log';
import type { SidecarMetrics } from '../metrics';
import type { IngestOutcome, IngestRequestRows, RunStore } from '../store/runStore';

export interface IngestQueueOptions {
  /** A group is flushed as soon as it holds this many records. */
  readonly maxBatchRecords: number;
  /** …or this long after the first waiting request, whichever comes first. */
  readonly flushDelayMs: number;
  /** Beyond this many waiting records, new requests get 503 + Retry-After. */
  readonly maxQueuedRecords: number;
  /**
   * Groups written at the same time. Neo4j commits groups of different runs in parallel (each
   * transaction locks its runs first, so groups of one run still apply in order); the SQLite
   * store writes one at a time whatever this says.
   */
  readonly maxConcurrentCommits: number;
}

interface Waiting {
  readonly request: IngestRequestRows;
  readonly resolve: (outcome: IngestOutcome) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit (DESIGN.md "Write path"): requests wait here and are written together, one store
 * transaction per group, at most `maxConcurrentCommits` groups at a time. While groups are being
 * written the next one fills up, so under load groups grow and the per-request cost of a commit
 * shrinks; when idle, a lone request waits at most `flushDelayMs`. A request is answered only after its group committed, so
 * a 2xx means durable. Store failure rejects the whole group with 503 (nothing was written) and
 * the clients retry; a full queue answers 503 at once.
 */
export class IngestQueue {
  private waiting: Waiting[] = [];
  private waitingRecords = 0;
  private readonly writing = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly store: RunStore,
    private readonly options: IngestQueueOptions,
    private readonly metrics: SidecarMetrics,
    private readonly log: Logger,
    /** Called with each accepted request after its group committed (the relay hooks in here). */
    private readonly onCommitted: (request: IngestRequestRows) => void = () => {},
  ) {}

  get queuedRecords(): number {
    return this.waitingRecords;
  }

  submit(request: IngestRequestRows): Promise<IngestOutcome> {
    if (this.closed) {
      return Promise.reject(new DomainError('unavailable', 'The sidecar is shutting down: retry against its successor.', undefined, 1));
    }
    if (this.waitingRecords + request.records.length > this.options.maxQueuedRecords) {
      this.metrics.ingestRejected.inc({ reason: 'queue_full' });
      return Promise.reject(
        new DomainError(
          'unavailable',
          `The ingest queue is full (${this.waitingRecords.toLocaleString('en')} records waiting): retry after a second.`,
          { queuedRecords: this.waitingRecords },
          1,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      this.waiting.push({ request, resolve, reject });
      this.waitingRecords += request.records.length;
      this.metrics.ingestQueueDepth.set(this.waitingRecords);
      this.schedule();
    });
  }

  private get slotFree(): boolean {
    return this.writing.size < Math.max(1, this.options.maxConcurrentCommits);
  }

  private schedule(): void {
    if (!this.slotFree || this.waiting.length === 0) return;
    if (this.waitingRecords >= this.options.maxBatchRecords || this.options.flushDelayMs === 0) {
      this.startWrite();
    } else {
      this.timer ??= setTimeout(() => this.startWrite(), this.options.flushDelayMs);
    }
  }

  private startWrite(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.slotFree || this.waiting.length === 0) return;
    const group: Waiting[] = [];
    let records = 0;
    // Whole requests only (each is all-or-nothing); at least one, however large.
    while (this.waiting.length > 0) {
      const next = this.waiting[0] as Waiting;
      if (group.length > 0 && records + next.request.records.length > this.options.maxBatchRecords) break;
      group.push(next);
      records += next.request.records.length;
      this.waiting.shift();
    }
    this.waitingRecords -= records;
    this.metrics.ingestQueueDepth.set(this.waitingRecords);
    const write = this.write(group, records).finally(() => {
      this.writing.delete(write);
      this.schedule();
    });
    this.writing.add(write);
    // A full group may be waiting behind this one while another slot is free.
    this.schedule();
  }

  private async write(group: Waiting[], records: number): Promise<void> {
    const end = this.metrics.ingestCommitDuration.startTimer();
    this.metrics.ingestBatchRecords.observe(records);
    let outcomes: IngestOutcome[];
    try {
      outcomes = await this.store.ingest(group.map((w) => w.request));
      end({ outcome: 'ok' });
    } catch (error) {
      end({ outcome: 'error' });
      this.metrics.ingestRejected.inc({ reason: 'store_error' }, group.length);
      this.log.error({ err: error, requests: group.length, records }, 'ingest group failed; nothing of it was written');
      const failure = new DomainError(
        'unavailable',
        `The ${this.store.kind} store could not commit the batch: retry shortly. Nothing of it was written.`,
        undefined,
        2,
      );
      for (const waiting of group) waiting.reject(failure);
      return;
    }
    group.forEach((waiting, i) => {
      const outcome = outcomes[i] as IngestOutcome;
      if (outcome.ok) {
        this.metrics.ingestRecords.inc(outcome.accepted);
        try {
          this.onCommitted(waiting.request);
        } catch (error) {
          // Publishing live updates never fails an acknowledged write.
          this.log.warn({ err: error }, 'post-commit hook failed');
        }
      } else {
        this.metrics.ingestRejected.inc({ reason: outcome.error.code });
      }
      waiting.resolve(outcome);
    });
  }

  /** Stops taking requests and waits until every waiting one has been written or answered. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.writing.size > 0 || this.waiting.length > 0) {
      this.startWrite();
      await Promise.all(this.writing);
    }
  }
}
