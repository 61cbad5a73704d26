import { type ErrorInfo, Id, maxRecordsPerRequest, type NodeStatus, terminalStatuses } from '../../protocol/runs';
import type { IngestQueue } from '../ingest/ingestQueue';
import type { Logger } from '../log';
import type { Relay } from '../relay/relay';
import { runDeletedEvent, runEvent } from '../relay/relayEvents';
import { finishPatch, newRunRow } from '../runs/runLifecycle';
import { toRun } from '../store/rowMapping';
import type { IngestRecord, RunStore } from '../store/runStore';
import type { OtlpTraceRequest } from './otlpModel';
import { FieldTooLarge, isWholeMillisecond, mapSpan, spanProblem } from './spanMapping';

export interface OtlpIngestDeps {
  readonly store: RunStore;
  readonly ingest: IngestQueue;
  readonly relay: Relay;
  readonly log: Logger;
  readonly maxFieldBytes: number;
}

export interface OtlpIngestResult {
  readonly acceptedSpans: number;
  readonly rejectedSpans: number;
  /** Why spans were rejected (the first few reasons); empty when none were. */
  readonly errorMessage: string;
  /** The runs that received spans. */
  readonly runIds: readonly string[];
}

/** The resource attribute that sends spans into an existing run (the runner sets it). */
export const runIdAttribute = 'runtrail.run.id';
const defaultWorkflow = 'otel';

interface SpanRecords {
  readonly records: IngestRecord[];
}

interface RunGroup {
  readonly runId: string;
  readonly workflow: string;
  /** The run is the trace's own (id = trace id): created here and finished by its root span. */
  readonly ownRun: boolean;
  /** This request created the run (so a request whose spans all failed takes it away again). */
  createdHere?: boolean;
  readonly spans: SpanRecords[];
  startedAt: number;
  root?: { status: NodeStatus; endedAt: number; error?: ErrorInfo };
}

/**
 * Writes one decoded export request (already fully decoded: a request that does not decode never
 * gets here, so nothing is half-written by a malformed body). Spans are grouped by run: the
 * resource's `runtrail.run.id` when set (that run must exist), else the trace id (the run is made
 * on first sight through the run lifecycle, so the Runs view sees it live). Nodes go through the
 * IngestQueue like any other ingest (group commit, relay events, metrics). A trace's root span
 * finishes its own run. Spans that cannot be recorded are counted for the partial-success answer;
 * a store that cannot take writes right now is a 503 for the whole request (the exporter retries,
 * and upserts make the retry harmless).
 */
export async function ingestTraces(request: OtlpTraceRequest, deps: OtlpIngestDeps, now = Date.now()): Promise<OtlpIngestResult> {
  const reasons: string[] = [];
  let rejected = 0;
  const reject = (spans: number, reason: string) => {
    rejected += spans;
    if (reasons.length < 5) reasons.push(reason);
  };

  // 1. Map every span first; nothing is written until the whole request is known.
  const groups = new Map<string, RunGroup>();
  /** Spans seen per (trace, whole-millisecond start): the tie-break spanMapping.ts explains. */
  const sameMillisecond = new Map<string, number>();
  for (const resource of request.resourceSpans) {
    const override = resource.resource[runIdAttribute];
    const service = resource.resource['service.name'];
    const workflow = typeof service === 'string' && service.trim() !== '' ? service.slice(0, 200) : defaultWorkflow;
    const spans = resource.scopeSpans.reduce((n, s) => n + s.spans.length, 0);
    if (override !== undefined && (typeof override !== 'string' || !Id.safeParse(override).success)) {
      reject(spans, `resource attribute ${runIdAttribute} ${JSON.stringify(override)} is not a run id`);
      continue;
    }
    for (const scope of resource.scopeSpans) {
      for (const span of scope.spans) {
        const problem = spanProblem(span);
        if (problem !== undefined) {
          reject(1, problem);
          continue;
        }
        let mapped: ReturnType<typeof mapSpan>;
        try {
          let rank = 0;
          if (isWholeMillisecond(span.startTimeUnixNano)) {
            const key = `${span.traceId}:${span.startTimeUnixNano}`;
            rank = sameMillisecond.get(key) ?? 0;
            sameMillisecond.set(key, rank + 1);
          }
          mapped = mapSpan(span, scope.scope, deps.maxFieldBytes, rank);
        } catch (error) {
          if (!(error instanceof FieldTooLarge)) throw error;
          reject(1, error.message);
          continue;
        }
        const runId = override ?? span.traceId;
        let group = groups.get(runId);
        if (group === undefined) {
          group = { runId, workflow, ownRun: override === undefined, spans: [], startedAt: Number.MAX_SAFE_INTEGER };
          groups.set(runId, group);
        }
        group.spans.push({ records: mapped.records });
        group.startedAt = Math.min(group.startedAt, mapped.records[0]?.startedAt ?? now);
        if (mapped.root !== undefined && group.ownRun) group.root ??= mapped.root;
      }
    }
  }

  // 2. Runs: named ones must exist, trace runs are created (a repeat finds the existing run).
  const ready: RunGroup[] = [];
  for (const group of groups.values()) {
    if (!group.ownRun) {
      if ((await deps.store.getRun(group.runId)) === undefined) {
        reject(group.spans.length, `no run ${group.runId} (resource attribute ${runIdAttribute})`);
        continue;
      }
    } else {
      const { run, created } = await deps.store.createRun(
        newRunRow({ id: group.runId, workflow: group.workflow, startedAt: group.startedAt }, now),
      );
      if (created) deps.relay.publish([runEvent(toRun(run))]);
      group.createdHere = created;
    }
    ready.push(group);
  }

  // 3. Nodes, in requests of at most maxRecordsPerRequest records (whole spans each).
  const submissions = ready.flatMap((group) =>
    chunks(group.spans).map(async (chunk) => {
      const records = chunk.flatMap((s) => s.records);
      const outcome = await deps.ingest.submit({ runId: group.runId, records, receivedAt: now });
      return { group, spans: chunk.length, outcome };
    }),
  );
  const settled = await Promise.allSettled(submissions);
  const failedGroups = new Set<RunGroup>();
  const writtenGroups = new Set<RunGroup>();
  let unavailable: unknown;
  let accepted = 0;
  for (const result of settled) {
    if (result.status === 'rejected') {
      unavailable ??= result.reason;
      continue;
    }
    const { group, spans, outcome } = result.value;
    if (outcome.ok) {
      accepted += spans;
      writtenGroups.add(group);
    } else {
      failedGroups.add(group);
      reject(spans, outcome.error.message);
    }
  }
  // A run this request made for spans the store then refused entirely would be an empty husk.
  for (const group of failedGroups) {
    if (group.createdHere && !writtenGroups.has(group) && (await deps.store.deleteRun(group.runId))) {
      deps.relay.publish([runDeletedEvent(group.runId)]);
    }
  }
  // The store or the queue could not take it: the exporter must retry the whole request.
  if (unavailable !== undefined) throw unavailable;

  // 4. A root span finishes its trace's run (never a run named by runtrail.run.id).
  for (const group of ready) {
    if (group.root === undefined || failedGroups.has(group)) continue;
    await finishRun(group.runId, group.root, deps, now);
  }

  if (rejected > 0) deps.log.info({ accepted, rejected, reasons }, 'OTLP export: some spans were rejected');
  return {
    acceptedSpans: accepted,
    rejectedSpans: rejected,
    errorMessage:
      reasons.length === 0 ? '' : `${rejected} span(s) rejected: ${reasons.join('; ')}${rejected > reasons.length ? '; …' : ''}`,
    runIds: ready.filter((g) => !failedGroups.has(g)).map((g) => g.runId),
  };
}

async function finishRun(runId: string, root: NonNullable<RunGroup['root']>, deps: OtlpIngestDeps, now: number): Promise<void> {
  const run = await deps.store.getRun(runId);
  if (run === undefined || terminalStatuses.includes(run.status)) return;
  const patch = finishPatch(
    run,
    { status: root.status, endedAt: root.endedAt, ...(root.error === undefined ? {} : { error: root.error }) },
    now,
  );
  if (Object.keys(patch).length === 0) return;
  const updated = await deps.store.updateRun(runId, patch);
  if (updated !== undefined) deps.relay.publish([runEvent(toRun(updated))]);
}

/** Whole spans per chunk, at most maxRecordsPerRequest records each (a bigger span alone). */
function chunks(spans: readonly SpanRecords[]): SpanRecords[][] {
  const out: SpanRecords[][] = [];
  let current: SpanRecords[] = [];
  let size = 0;
  for (const span of spans) {
    if (current.length > 0 && size + span.records.length > maxRecordsPerRequest) {
      out.push(current);
      current = [];
      size = 0;
    }
    current.push(span);
    size += span.records.length;
  }
  if (current.length > 0) out.push(current);
  return out;
}
