import type {
  Attributes,
  JsonValue,
  OtlpEvent,
  OtlpLink,
  OtlpResourceSpans,
  OtlpScopeSpans,
  OtlpSpan,
  OtlpTraceRequest,
} from './otlpModel';
import { type FieldReaders, ProtoReader, ProtoWriter, WireType } from './protoWire';

/**
 * OTLP/protobuf: ExportTraceServiceRequest in, ExportTraceServiceResponse out. Field numbers from
 * opentelemetry-proto (collector/trace/v1/trace_service.proto, trace/v1/trace.proto,
 * common/v1/common.proto, resource/v1/resource.proto). Unknown fields are skipped, as protobuf
 * requires; malformed bytes throw WireError.
 */

export function decodeTraceRequest(bytes: Buffer): OtlpTraceRequest {
  return new ProtoReader(bytes).readFields(requestFields, { resourceSpans: [] });
}

const bytes_ = WireType.bytes;
const hex = (reader: ProtoReader) => reader.bytes().toString('hex');
/** A model object while its fields are being read (the model's fields are readonly). */
type Building<T> = { -readonly [K in keyof T]: T[K] extends readonly (infer E)[] ? E[] : T[K] };

const requestFields: FieldReaders<Building<OtlpTraceRequest>> = {
  1: [bytes_, (r, request) => request.resourceSpans.push(r.message().readFields(resourceSpansFields, { resource: {}, scopeSpans: [] }))],
};

const resourceSpansFields: FieldReaders<Building<OtlpResourceSpans>> = {
  1: [bytes_, (r, resourceSpans) => r.message().readFields(keyValueListFields, resourceSpans.resource)],
  2: [bytes_, (r, resourceSpans) => resourceSpans.scopeSpans.push(decodeScopeSpans(r.message()))],
};

/** Resource {1: repeated KeyValue attributes} and KeyValueList {1: repeated KeyValue values}: the same shape. */
const keyValueListFields: FieldReaders<Attributes> = { 1: [bytes_, (r, attributes) => addKeyValue(attributes, r.message())] };

function decodeScopeSpans(reader: ProtoReader): OtlpScopeSpans {
  return reader.readFields(scopeSpansFields, { scope: { name: '', version: '' }, spans: [] });
}

const scopeSpansFields: FieldReaders<Building<OtlpScopeSpans>> = {
  1: [bytes_, (r, scopeSpans) => (scopeSpans.scope = r.message().readFields(scopeFields, { name: '', version: '' }))],
  2: [bytes_, (r, scopeSpans) => scopeSpans.spans.push(decodeSpan(r.message()))],
};

const scopeFields: FieldReaders<{ name: string; version: string }> = {
  1: [bytes_, (r, scope) => (scope.name = r.string())],
  2: [bytes_, (r, scope) => (scope.version = r.string())],
};

function decodeSpan(reader: ProtoReader): OtlpSpan {
  return reader.readFields(spanFields, {
    traceId: '',
    spanId: '',
    parentSpanId: '',
    name: '',
    kind: 0,
    startTimeUnixNano: 0n,
    endTimeUnixNano: 0n,
    attributes: {},
    events: [],
    links: [],
    status: { code: 0, message: '' },
  });
}

const spanFields: FieldReaders<Building<OtlpSpan>> = {
  1: [bytes_, (r, span) => (span.traceId = hex(r))],
  2: [bytes_, (r, span) => (span.spanId = hex(r))],
  4: [bytes_, (r, span) => (span.parentSpanId = hex(r))],
  5: [bytes_, (r, span) => (span.name = r.string())],
  6: [WireType.varint, (r, span) => (span.kind = r.smallVarint())],
  7: [WireType.fixed64, (r, span) => (span.startTimeUnixNano = r.fixed64())],
  8: [WireType.fixed64, (r, span) => (span.endTimeUnixNano = r.fixed64())],
  9: [bytes_, (r, span) => addKeyValue(span.attributes, r.message())],
  11: [bytes_, (r, span) => span.events.push(r.message().readFields(eventFields, { timeUnixNano: 0n, name: '', attributes: {} }))],
  13: [bytes_, (r, span) => span.links.push(r.message().readFields(linkFields, { traceId: '', spanId: '', attributes: {} }))],
  15: [bytes_, (r, span) => (span.status = r.message().readFields(statusFields, { code: 0, message: '' }))],
};

const eventFields: FieldReaders<Building<OtlpEvent>> = {
  1: [WireType.fixed64, (r, event) => (event.timeUnixNano = r.fixed64())],
  2: [bytes_, (r, event) => (event.name = r.string())],
  3: [bytes_, (r, event) => addKeyValue(event.attributes, r.message())],
};

const linkFields: FieldReaders<Building<OtlpLink>> = {
  1: [bytes_, (r, link) => (link.traceId = hex(r))],
  2: [bytes_, (r, link) => (link.spanId = hex(r))],
  4: [bytes_, (r, link) => addKeyValue(link.attributes, r.message())],
};

const statusFields: FieldReaders<{ code: number; message: string }> = {
  2: [bytes_, (r, status) => (status.message = r.string())],
  3: [WireType.varint, (r, status) => (status.code = r.smallVarint())],
};

/** KeyValue {1: key, 2: value AnyValue} into `target` (a repeated key keeps its last value). */
function addKeyValue(target: Attributes, reader: ProtoReader): void {
  const { key, value } = reader.readFields(keyValueFields, { key: '', value: null });
  target[key] = value;
}

const keyValueFields: FieldReaders<{ key: string; value: JsonValue }> = {
  1: [bytes_, (r, kv) => (kv.key = r.string())],
  2: [bytes_, (r, kv) => (kv.value = decodeAnyValue(r.message()))],
};

/** AnyValue's oneof: 1 string, 2 bool, 3 int64, 4 double, 5 array, 6 kvlist, 7 bytes. */
function decodeAnyValue(reader: ProtoReader): JsonValue {
  return reader.readFields(anyValueFields, { value: null }).value;
}

const anyValueFields: FieldReaders<{ value: JsonValue }> = {
  1: [bytes_, (r, any) => (any.value = r.string())],
  2: [WireType.varint, (r, any) => (any.value = r.varint() !== 0n)],
  3: [WireType.varint, (r, any) => (any.value = int64Json(BigInt.asIntN(64, r.varint())))],
  4: [WireType.fixed64, (r, any) => (any.value = r.double())],
  // ArrayValue {1: repeated AnyValue}.
  5: [bytes_, (r, any) => (any.value = r.message().readFields(arrayValueFields, []))],
  6: [bytes_, (r, any) => (any.value = r.message().readFields(keyValueListFields, {}))],
  7: [bytes_, (r, any) => (any.value = r.bytes().toString('base64'))],
};

const arrayValueFields: FieldReaders<JsonValue[]> = { 1: [bytes_, (r, array) => array.push(decodeAnyValue(r.message()))] };

/** An int64 as JSON: a number when exact, else its decimal string. */
export function int64Json(value: bigint): number | string {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
}

/** ExportTraceServiceResponse {1: partial_success {1: rejected_spans int64, 2: error_message}}. */
export function encodeTraceResponse(rejectedSpans: number, errorMessage: string): Buffer {
  if (rejectedSpans === 0 && errorMessage === '') return Buffer.alloc(0);
  const partial = new ProtoWriter();
  if (rejectedSpans !== 0) partial.varintField(1, rejectedSpans);
  if (errorMessage !== '') partial.stringField(2, errorMessage);
  return new ProtoWriter().bytesField(1, partial.finish()).finish();
}
