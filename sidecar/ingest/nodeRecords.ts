import type { ParsedNodeRecord } from '../../protocol/runs';
import { DomainError } from '../errors';
import type { IngestRecord } from '../store/runStore';

const payloadFields = ['input', 'output', 'error', 'attributes'] as const;

/**
 * Turns validated records into store records: payloads serialized to JSON text, each checked
 * against the field limit (413 naming the record, the field, its size and the limit).
 */
export function toIngestRecords(records: readonly ParsedNodeRecord[], maxFieldBytes: number): IngestRecord[] {
  return records.map((record, index) => {
    const { input, output, error, attributes, ...rest } = record;
    const out: IngestRecord = rest;
    const payloads = { input, output, error, attributes };
    for (const field of payloadFields) {
      const value = payloads[field];
      if (value === undefined) continue;
      const text = JSON.stringify(value);
      const bytes = Buffer.byteLength(text, 'utf8');
      if (bytes > maxFieldBytes) {
        throw new DomainError(
          'payload_too_large',
          `nodes[${index}].${field} of node ${record.id} is ${bytes.toLocaleString('en')} bytes as JSON; the limit is ${maxFieldBytes.toLocaleString('en')} bytes (RUNTRAIL_MAX_FIELD_BYTES).`,
          { index, id: record.id, field, bytes, limitBytes: maxFieldBytes },
        );
      }
      out[field] = text;
    }
    return out;
  });
}
