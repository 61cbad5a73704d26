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
import { ProtoReader, ProtoWriter, WireType } from './protoWire';

/**
 * OTLP/protobuf: ExportTraceServiceRequest in, ExportTraceServiceResponse out. Field numbers from
 * opentelemetry-proto (collector/trace/v1/trace_service.proto, trace/v1/trace.proto,
 * common/v1/common.proto, resource/v1/resource.proto). Unknown fields are skipped, as protobuf
 * requires; malformed bytes throw WireError.
 */

export function decodeTraceRequest(bytes: Buffer): OtlpTraceRequest {
  const reader = new ProtoReader(bytes);
  const resourceSpans: OtlpResourceSpans[] = [];
  while (!reader.done) {
    const field = reader.tag();
    if (field.number === 1) {
      reader.expect(field, WireType.bytes);
      resourceSpans.push(decodeResourceSpans(reader.message()));
    } else reader.skip(field.wireType);
  }
  return { resourceSpans };
}

function decodeResourceSpans(reader: ProtoReader): OtlpResourceSpans {
  let resource: Attributes = {};
  const scopeSpans: OtlpScopeSpans[] = [];
  while (!reader.done) {
    const field = reader.tag();
    if (field.number === 1) {
      reader.expect(field, WireType.bytes);
      resource = decodeResource(reader.message());
    } else if (field.number === 2) {
      reader.expect(field, WireType.bytes);
      scopeSpans.push(decodeScopeSpans(reader.message()));
    } else reader.skip(field.wireType);
  }
  return { resource, scopeSpans };
}

function decodeResource(reader: ProtoReader): Attributes {
  const attributes: Attributes = {};
  while (!reader.done) {
    const field = reader.tag();
    if (field.number === 1) {
      reader.expect(field, WireType.bytes);
      addKeyValue(attributes, reader.message());
    } else reader.skip(field.wireType);
  }
  return attributes;
}

function decodeScopeSpans(reader: ProtoReader): OtlpScopeSpans {
  let scope = { name: '', version: '' };
  const spans: OtlpSpan[] = [];
  while (!reader.done) {
    const field = reader.tag();
    if (field.number === 1) {
      reader.expect(field, WireType.bytes);
      scope = decodeScope(reader.message());
    } else if (field.number === 2) {
      reader.expect(field, WireType.bytes);
      spans.push(decodeSpan(reader.message()));
    } else reader.skip(field.wireType);
  }
  return { scope, spans };
}

function decodeScope(reader: ProtoReader): { name: string; version: string } {
  let name = '';
  let version = '';
  while (!reader.done) {
    const field = reader.tag();
    if (field.number === 1) {
      reader.expect(field, WireType.bytes);
      name = reader.string();
    } else if (field.number === 2) {
      reader.expect(field, WireType.bytes);
      version = reader.string();
    } else reader.skip(field.wireType);
  }
  return { name, version };
}

function decodeSpan(reader: ProtoReader): OtlpSpan {
  let traceId = '';
  let spanId = '';
  let parentSpanId = '';
  let name = '';
  let kind = 0;
  let startTimeUnixNano = 0n;
  let endTimeUnixNano = 0n;
  const attributes: Attributes = {};
  const events: OtlpEvent[] = [];
  const links: OtlpLink[] = [];
  let status = { code: 0, message: '' };
  while (!reader.done) {
    const field = reader.tag();
    switch (field.number) {
      case 1:
        reader.expect(field, WireType.bytes);
        traceId = reader.bytes().toString('hex');
        break;
      case 2:
        reader.expect(field, WireType.bytes);
        spanId = reader.bytes().toString('hex');
        break;
      case 4:
        reader.expect(field, WireType.bytes);
        parentSpanId = reader.bytes().toString('hex');
        break;
      case 5:
        reader.expect(field, WireType.bytes);
        name = reader.string();
        break;
      case 6:
        reader.expect(field, WireType.varint);
        kind = reader.smallVarint();
        break;
      case 7:
        reader.expect(field, WireType.fixed64);
        startTimeUnixNano = reader.fixed64();
        break;
      case 8:
        reader.expect(field, WireType.fixed64);
        endTimeUnixNano = reader.fixed64();
        break;
      case 9:
        reader.expect(field, WireType.bytes);
        addKeyValue(attributes, reader.message());
        break;
      case 11:
        reader.expect(field, WireType.bytes);
        events.push(decodeEvent(reader.message()));
        break;
      case 13:
        reader.expect(field, WireType.bytes);
        links.push(decodeLink(reader.message()));
        break;
      case 15:
        reader.expect(field, WireType.bytes);
        status = decodeStatus(reader.message());
        break;
      default:
        reader.skip(field.wireType);
    }
  }
  return { traceId, spanId, parentSpanId, name, kind, startTimeUnixNano, endTimeUnixNano, attributes, events, links, status };
}

function decodeEvent(reader: ProtoReader): OtlpEvent {
  let timeUnixNano = 0n;
  let name = '';
  const attributes: Attributes = {};
  while (!reader.done) {
    const field = reader.tag();
    if (field.number === 1) {
      reader.expect(field, WireType.fixed64);
      timeUnixNano = reader.fixed64();
    } else if (field.number === 2) {
      reader.expect(field, WireType.bytes);
      name = reader.string();
    } else if (field.number === 3) {
      reader.expect(field, WireType.bytes);
      addKeyValue(attributes, reader.message());
    } else reader.skip(field.wireType);
  }
  return { timeUnixNano, name, attributes };
}

function decodeLink(reader: ProtoReader): OtlpLink {
  let traceId = '';
  let spanId = '';
  const attributes: Attributes = {};
  while (!reader.done) {
    const field = reader.tag();
    if (field.number === 1) {
      reader.expect(field, WireType.bytes);
      traceId = reader.bytes().toString('hex');
    } else if (field.number === 2) {
      reader.expect(field, WireType.bytes);
      spanId = reader.bytes().toString('hex');
    } else if (field.number === 4) {
      reader.expect(field, WireType.bytes);
      addKeyValue(attributes, reader.message());
    } else reader.skip(field.wireType);
  }
  return { traceId, spanId, attributes };
}

function decodeStatus(reader: ProtoReader): { code: number; message: string } {
  let code = 0;
  let message = '';
  while (!reader.done) {
    const field = reader.tag();
    if (field.number === 2) {
      reader.expect(field, WireType.bytes);
      message = reader.string();
    } else if (field.number === 3) {
      reader.expect(field, WireType.varint);
      code = reader.smallVarint();
    } else reader.skip(field.wireType);
  }
  return { code, message };
}

/** KeyValue {1: key, 2: value AnyValue} into `target` (a repeated key keeps its last value). */
function addKeyValue(target: Attributes, reader: ProtoReader): void {
  let key = '';
  let value: JsonValue = null;
  while (!reader.done) {
    const field = reader.tag();
    if (field.number === 1) {
      reader.expect(field, WireType.bytes);
      key = reader.string();
    } else if (field.number === 2) {
      reader.expect(field, WireType.bytes);
      value = decodeAnyValue(reader.message());
    } else reader.skip(field.wireType);
  }
  target[key] = value;
}

/** AnyValue's oneof: 1 string, 2 bool, 3 int64, 4 double, 5 array, 6 kvlist, 7 bytes. */
function decodeAnyValue(reader: ProtoReader): JsonValue {
  let value: JsonValue = null;
  while (!reader.done) {
    const field = reader.tag();
    switch (field.number) {
      case 1:
        reader.expect(field, WireType.bytes);
        value = reader.string();
        break;
      case 2:
        reader.expect(field, WireType.varint);
        value = reader.varint() !== 0n;
        break;
      case 3:
        reader.expect(field, WireType.varint);
        value = int64Json(BigInt.asIntN(64, reader.varint()));
        break;
      case 4:
        reader.expect(field, WireType.fixed64);
        value = reader.double();
        break;
      case 5: {
        reader.expect(field, WireType.bytes);
        const array: JsonValue[] = [];
        const inner = reader.message();
        while (!inner.done) {
          const item = inner.tag();
          if (item.number === 1) {
            inner.expect(item, WireType.bytes);
            array.push(decodeAnyValue(inner.message()));
          } else inner.skip(item.wireType);
        }
        value = array;
        break;
      }
      case 6: {
        reader.expect(field, WireType.bytes);
        const object: Attributes = {};
        const inner = reader.message();
        while (!inner.done) {
          const item = inner.tag();
          if (item.number === 1) {
            inner.expect(item, WireType.bytes);
            addKeyValue(object, inner.message());
          } else inner.skip(item.wireType);
        }
        value = object;
        break;
      }
      case 7:
        reader.expect(field, WireType.bytes);
        value = reader.bytes().toString('base64');
        break;
      default:
        reader.skip(field.wireType);
    }
  }
  return value;
}

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
