/**
 * An OTLP trace export request after decoding, the same whatever the wire encoding: ids as
 * lowercase hex (empty when absent), times as unix nanoseconds in bigints (they exceed 2^53),
 * attribute values as plain JSON (AnyValue: arrays and kvlists as arrays and objects, bytes as
 * base64, int64 as a number when it fits, else its decimal string). Nothing is validated beyond
 * the shape here: `spanProblem` (spanMapping.ts) decides which spans are rejected.
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type Attributes = Record<string, JsonValue>;

export interface OtlpEvent {
  readonly timeUnixNano: bigint;
  readonly name: string;
  readonly attributes: Attributes;
}

export interface OtlpLink {
  readonly traceId: string;
  readonly spanId: string;
  readonly attributes: Attributes;
}

export interface OtlpSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  /** SpanKind: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  readonly kind: number;
  readonly startTimeUnixNano: bigint;
  readonly endTimeUnixNano: bigint;
  readonly attributes: Attributes;
  readonly events: readonly OtlpEvent[];
  readonly links: readonly OtlpLink[];
  /** StatusCode: 0 unset, 1 ok, 2 error. */
  readonly status: { readonly code: number; readonly message: string };
}

export interface OtlpScopeSpans {
  readonly scope: { readonly name: string; readonly version: string };
  readonly spans: readonly OtlpSpan[];
}

export interface OtlpResourceSpans {
  readonly resource: Attributes;
  readonly scopeSpans: readonly OtlpScopeSpans[];
}

export interface OtlpTraceRequest {
  readonly resourceSpans: readonly OtlpResourceSpans[];
}

export const StatusCode = { unset: 0, ok: 1, error: 2 } as const;

export const spanKindNames: Record<number, string> = {
  0: 'unspecified',
  1: 'internal',
  2: 'server',
  3: 'client',
  4: 'producer',
  5: 'consumer',
};

/** Counts the spans of a request (for partial success and metrics). */
export function spanCount(request: OtlpTraceRequest): number {
  let count = 0;
  for (const resource of request.resourceSpans) for (const scope of resource.scopeSpans) count += scope.spans.length;
  return count;
}
