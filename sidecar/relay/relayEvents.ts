import type { Run } from '../../protocol/runs';
import type { IngestRecord, IngestRequestRows } from '../store/runStore';
import type { RelayEventInput } from './relay';

/**
 * What watchers receive: each committed record as an upsert delta in the REST vocabulary (ISO
 * times, parsed error), without the big payloads — a watcher that wants input/output fetches the
 * node. Fields a record did not carry are absent, not null: apply the delta onto what you have.
 */
export function nodeEvents(request: IngestRequestRows): RelayEventInput[] {
  return request.records.map((record) => ({ type: 'node', runId: request.runId, data: nodeDelta(request.runId, record) }));
}

function nodeDelta(runId: string, record: IngestRecord): Record<string, unknown> {
  const { input: _input, output: _output, attributes: _attributes, error, startedAt, endedAt, ...rest } = record;
  return {
    runId,
    ...rest,
    ...(startedAt === undefined ? {} : { startedAt: new Date(startedAt).toISOString() }),
    ...(endedAt === undefined ? {} : { endedAt: new Date(endedAt).toISOString() }),
    ...(error === undefined ? {} : { error: JSON.parse(error) }),
  };
}

export function runEvent(run: Run): RelayEventInput {
  return { type: 'run', runId: run.id, data: run };
}

export function runDeletedEvent(runId: string): RelayEventInput {
  return { type: 'run', runId, data: { id: runId, deleted: true } };
}
