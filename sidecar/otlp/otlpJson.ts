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
import { int64Json } from './otlpProto';

/**
 * OTLP/JSON (the protobuf JSON mapping with the OTLP exceptions): lowerCamelCase fields, trace and
 * span ids as hex strings, enums as integers (their names tolerated), int64 and fixed64 as decimal
 * strings or numbers, bytes values as base64. A value of the wrong type anywhere makes the request
 * undecodable (JsonShapeError naming the path, answered 400); missing fields take protobuf defaults.
 * Whether a span's ids and times make sense is judged later, per span.
 */

export class JsonShapeError extends Error {
  override name = 'JsonShapeError';
}

type Obj = Record<string, unknown>;

export function decodeTraceRequestJson(body: unknown): OtlpTraceRequest {
  const root = object(body, '$');
  return { resourceSpans: list(root.resourceSpans, '$.resourceSpans', resourceSpans) };
}

function resourceSpans(value: unknown, path: string): OtlpResourceSpans {
  const o = object(value, path);
  const resource = o.resource === undefined || o.resource === null ? {} : object(o.resource, `${path}.resource`);
  return {
    resource: attributes(resource.attributes, `${path}.resource.attributes`),
    scopeSpans: list(o.scopeSpans, `${path}.scopeSpans`, scopeSpans),
  };
}

function scopeSpans(value: unknown, path: string): OtlpScopeSpans {
  const o = object(value, path);
  const scope = o.scope === undefined || o.scope === null ? {} : object(o.scope, `${path}.scope`);
  return {
    scope: { name: string(scope.name, `${path}.scope.name`), version: string(scope.version, `${path}.scope.version`) },
    spans: list(o.spans, `${path}.spans`, span),
  };
}

function span(value: unknown, path: string): OtlpSpan {
  const o = object(value, path);
  const status = o.status === undefined || o.status === null ? {} : object(o.status, `${path}.status`);
  return {
    traceId: id(o.traceId, `${path}.traceId`),
    spanId: id(o.spanId, `${path}.spanId`),
    parentSpanId: id(o.parentSpanId, `${path}.parentSpanId`),
    name: string(o.name, `${path}.name`),
    kind: enumValue(o.kind, `${path}.kind`, spanKinds),
    startTimeUnixNano: uint64(o.startTimeUnixNano, `${path}.startTimeUnixNano`),
    endTimeUnixNano: uint64(o.endTimeUnixNano, `${path}.endTimeUnixNano`),
    attributes: attributes(o.attributes, `${path}.attributes`),
    events: list(o.events, `${path}.events`, event),
    links: list(o.links, `${path}.links`, link),
    status: { code: enumValue(status.code, `${path}.status.code`, statusCodes), message: string(status.message, `${path}.status.message`) },
  };
}

function event(value: unknown, path: string): OtlpEvent {
  const o = object(value, path);
  return {
    timeUnixNano: uint64(o.timeUnixNano, `${path}.timeUnixNano`),
    name: string(o.name, `${path}.name`),
    attributes: attributes(o.attributes, `${path}.attributes`),
  };
}

function link(value: unknown, path: string): OtlpLink {
  const o = object(value, path);
  return {
    traceId: id(o.traceId, `${path}.traceId`),
    spanId: id(o.spanId, `${path}.spanId`),
    attributes: attributes(o.attributes, `${path}.attributes`),
  };
}

function attributes(value: unknown, path: string): Attributes {
  const out: Attributes = {};
  for (const [i, item] of list(value, path, (v, p) => object(v, p)).entries()) {
    const key = string(item.key, `${path}[${i}].key`);
    out[key] = anyValue(item.value, `${path}[${i}].value`);
  }
  return out;
}

function anyValue(value: unknown, path: string): JsonValue {
  if (value === undefined || value === null) return null;
  const o = object(value, path);
  if (o.stringValue !== undefined) return string(o.stringValue, `${path}.stringValue`);
  if (o.boolValue !== undefined) {
    if (typeof o.boolValue !== 'boolean') throw shape(`${path}.boolValue`, 'a boolean', o.boolValue);
    return o.boolValue;
  }
  if (o.intValue !== undefined) return int64Json(int64(o.intValue, `${path}.intValue`));
  if (o.doubleValue !== undefined) return double(o.doubleValue, `${path}.doubleValue`);
  if (o.arrayValue !== undefined) {
    const array = object(o.arrayValue, `${path}.arrayValue`);
    return list(array.values, `${path}.arrayValue.values`, anyValue);
  }
  if (o.kvlistValue !== undefined) {
    const kvlist = object(o.kvlistValue, `${path}.kvlistValue`);
    return attributes(kvlist.values, `${path}.kvlistValue.values`);
  }
  if (o.bytesValue !== undefined) return string(o.bytesValue, `${path}.bytesValue`);
  return null;
}

const spanKinds = [
  'SPAN_KIND_UNSPECIFIED',
  'SPAN_KIND_INTERNAL',
  'SPAN_KIND_SERVER',
  'SPAN_KIND_CLIENT',
  'SPAN_KIND_PRODUCER',
  'SPAN_KIND_CONSUMER',
];
const statusCodes = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];

function object(value: unknown, path: string): Obj {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw shape(path, 'an object', value);
  return value as Obj;
}

function list<T>(value: unknown, path: string, item: (value: unknown, path: string) => T): T[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw shape(path, 'an array', value);
  return value.map((v, i) => item(v, `${path}[${i}]`));
}

function string(value: unknown, path: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw shape(path, 'a string', value);
  return value;
}

/** Ids are hex in OTLP/JSON; lowercased here, their length is checked per span. */
function id(value: unknown, path: string): string {
  return string(value, path).toLowerCase();
}

function enumValue(value: unknown, path: string, names: readonly string[]): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  if (typeof value === 'string' && names.includes(value)) return names.indexOf(value);
  throw shape(path, `an enum integer (or one of ${names.join(', ')})`, value);
}

function uint64(value: unknown, path: string): bigint {
  const parsed = int64(value, path);
  if (parsed < 0n) throw shape(path, 'an unsigned integer', value);
  return parsed;
}

function int64(value: unknown, path: string): bigint {
  if (value === undefined || value === null) return 0n;
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^-?\d{1,20}$/.test(value)) return BigInt(value);
  throw shape(path, 'an integer (number or decimal string)', value);
}

function double(value: unknown, path: string): number | string {
  if (typeof value === 'number') return value;
  // The JSON mapping writes non-finite doubles as strings.
  if (value === 'NaN' || value === 'Infinity' || value === '-Infinity') return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  throw shape(path, 'a number', value);
}

function shape(path: string, expected: string, got: unknown): JsonShapeError {
  const seen = Array.isArray(got) ? 'an array' : got === null ? 'null' : typeof got;
  return new JsonShapeError(`${path} must be ${expected}, got ${seen}`);
}
