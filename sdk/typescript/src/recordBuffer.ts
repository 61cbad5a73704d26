import type { NodeRecord } from './records';

/**
 * Node records waiting to be posted, oldest first. A record for a node that is still waiting is
 * merged into it (start + end become one record), so a quick step costs one record on the wire.
 * Bounded: beyond `capacity` the oldest record is dropped and counted, so a workflow whose
 * sidecar is gone keeps running in bounded memory.
 */
export class RecordBuffer {
  private readonly records = new Map<string, NodeRecord>();
  private droppedCount = 0;

  constructor(readonly capacity = 10_000) {}

  get size(): number {
    return this.records.size;
  }

  /** Records dropped so far because the buffer was full. */
  get dropped(): number {
    return this.droppedCount;
  }

  add(record: NodeRecord): void {
    const waiting = this.records.get(record.id);
    if (waiting) {
      mergeRecord(waiting, record);
      return;
    }
    this.records.set(record.id, { ...record });
    for (const oldest of this.records.keys()) {
      if (this.records.size <= this.capacity) break;
      this.records.delete(oldest);
      this.droppedCount++;
    }
  }

  /** Removes and returns the oldest records: at most `maxRecords`, and about `maxChars` of JSON (at least one). */
  take(maxRecords: number, maxChars = Number.POSITIVE_INFINITY): NodeRecord[] {
    const batch: NodeRecord[] = [];
    let chars = 0;
    for (const [id, record] of this.records) {
      if (batch.length >= maxRecords) break;
      const size = JSON.stringify(record).length;
      if (batch.length > 0 && chars + size > maxChars) break;
      batch.push(record);
      chars += size;
      this.records.delete(id);
    }
    return batch;
  }
}

/**
 * Folds a later record of the same node into an earlier one: later fields win, attributes merge
 * key by key. Same result as the sidecar applying both in order (fields never go backwards there
 * either, and the SDK only ever sends a node's start before its end).
 */
export function mergeRecord(into: NodeRecord, later: NodeRecord): NodeRecord {
  for (const [field, value] of Object.entries(later) as [keyof NodeRecord, unknown][]) {
    if (value === undefined) continue;
    if (field === 'attributes' && into.attributes) {
      into.attributes = { ...into.attributes, ...(value as Record<string, unknown>) };
    } else {
      (into as unknown as Record<string, unknown>)[field] = value;
    }
  }
  return into;
}
