import * as assert from 'node:assert/strict';
import { decodeTraceRequestJson, JsonShapeError } from '../../../../sidecar/otlp/otlpJson';
import type { OtlpSpan, OtlpTraceRequest } from '../../../../sidecar/otlp/otlpModel';
import { decodeTraceRequest, encodeTraceResponse } from '../../../../sidecar/otlp/otlpProto';
import { ProtoReader, WireError } from '../../../../sidecar/otlp/protoWire';
import { agentTrace, captureExport, emitAgentTrace, jsonRequest } from '../../../fixtures/otlp/otlpBuilders';

/** Every span of a list of decoded requests, by name. */
function spansByName(requests: OtlpTraceRequest[]): Map<string, { span: OtlpSpan; resource: Record<string, unknown> }> {
  const out = new Map<string, { span: OtlpSpan; resource: Record<string, unknown> }>();
  for (const request of requests) {
    for (const rs of request.resourceSpans)
      for (const ss of rs.scopeSpans) for (const span of ss.spans) out.set(span.name, { span, resource: rs.resource });
  }
  return out;
}

describe('OTLP decoding', () => {
  let proto: OtlpTraceRequest[];
  let json: OtlpTraceRequest[];

  before(async function () {
    this.timeout(20_000);
    const protoBodies = await captureExport('protobuf', emitAgentTrace, { 'service.name': 'svc', 'deploy.count': 3 });
    const jsonBodies = await captureExport('json', emitAgentTrace, { 'service.name': 'svc', 'deploy.count': 3 });
    assert.ok(
      protoBodies.every((b) => b.contentType === 'application/x-protobuf'),
      JSON.stringify(protoBodies.map((b) => b.contentType)),
    );
    assert.ok(jsonBodies.every((b) => b.contentType === 'application/json'));
    proto = protoBodies.map((b) => decodeTraceRequest(b.body));
    json = jsonBodies.map((b) => decodeTraceRequestJson(JSON.parse(b.body.toString('utf8'))));
  });

  it('decodes the real JS protobuf exporter: ids, parents, times, attributes of every type, events, status', () => {
    const spans = spansByName(proto);
    assert.equal(spans.size, 4);
    const root = spans.get(agentTrace.root)?.span as OtlpSpan;
    const chat = spans.get(agentTrace.chat)?.span as OtlpSpan;
    const failing = spans.get(agentTrace.failing)?.span as OtlpSpan;
    const tool = spans.get(agentTrace.tool)?.span as OtlpSpan;
    assert.match(root.traceId, /^[0-9a-f]{32}$/);
    assert.match(root.spanId, /^[0-9a-f]{16}$/);
    assert.equal(root.parentSpanId, '');
    assert.equal(chat.traceId, root.traceId);
    assert.equal(chat.parentSpanId, root.spanId);
    assert.equal(chat.kind, 3);
    assert.ok(chat.startTimeUnixNano > 1_600_000_000_000_000_000n && chat.endTimeUnixNano >= chat.startTimeUnixNano);
    assert.equal(chat.attributes['gen_ai.usage.input_tokens'], 120);
    assert.equal(chat.attributes['int.big'], 2 ** 40);
    assert.equal(chat.attributes['double.value'], 0.25);
    assert.deepEqual(chat.attributes['array.value'], ['a', 'b']);
    assert.equal(chat.attributes['bool.value'], true);
    assert.equal(chat.attributes['code.function.name'], 'plan');
    assert.deepEqual(
      tool.events.map((e) => [e.name, e.attributes]),
      [['cache miss', { 'cache.key': 'k1' }]],
    );
    assert.deepEqual(failing.status, { code: 2, message: 'fetch failed' });
    const exception = failing.events.find((e) => e.name === 'exception');
    assert.equal(exception?.attributes['exception.type'], 'TypeError');
    assert.equal(exception?.attributes['exception.message'], 'fetch failed');
    assert.match(String(exception?.attributes['exception.stacktrace']), /TypeError: fetch failed/);
    assert.equal(spans.get(agentTrace.root)?.resource['service.name'], 'svc');
    assert.equal(spans.get(agentTrace.root)?.resource['deploy.count'], 3);
  });

  it('decodes the real JS http/json exporter to the same shape as protobuf', () => {
    const fromProto = spansByName(proto);
    const fromJson = spansByName(json);
    assert.deepEqual([...fromJson.keys()].sort(), [...fromProto.keys()].sort());
    for (const [name, { span }] of fromJson) {
      const other = fromProto.get(name)?.span as OtlpSpan;
      // Different runs of the SDK: ids and times differ, everything else must match.
      const strip = (s: OtlpSpan) => ({
        ...s,
        traceId: undefined,
        spanId: undefined,
        parentSpanId: s.parentSpanId === '' ? '' : 'set',
        startTimeUnixNano: undefined,
        endTimeUnixNano: undefined,
        events: s.events.map((e) => ({
          ...e,
          timeUnixNano: undefined,
          attributes: { ...e.attributes, 'exception.stacktrace': undefined },
        })),
      });
      assert.deepEqual(strip(span), strip(other), name);
      assert.match(span.traceId, /^[0-9a-f]{32}$/);
    }
  });

  it('rejects malformed protobuf with a WireError', () => {
    // Field 1 (resource_spans) says 100 bytes follow, 2 do.
    assert.throws(() => decodeTraceRequest(Buffer.from([0x0a, 100, 1, 2])), WireError);
    // A varint that never ends.
    assert.throws(() => decodeTraceRequest(Buffer.from([0x08, 0xff, 0xff])), WireError);
    // resource_spans with the wrong wire type (varint).
    assert.throws(() => decodeTraceRequest(Buffer.from([0x08, 0x01])), WireError);
    // An empty body is an empty request.
    assert.deepEqual(decodeTraceRequest(Buffer.alloc(0)), { resourceSpans: [] });
  });

  it('rejects JSON of the wrong shape, naming the path', () => {
    assert.throws(() => decodeTraceRequestJson({ resourceSpans: {} }), /\$\.resourceSpans must be an array/);
    assert.throws(
      () => decodeTraceRequestJson({ resourceSpans: [{ scopeSpans: [{ spans: [{ name: 5 }] }] }] }),
      (e: unknown) => e instanceof JsonShapeError && /spans\[0\]\.name must be a string/.test(e.message),
    );
    assert.throws(() => decodeTraceRequestJson([]), JsonShapeError);
  });

  it('reads OTLP/JSON ints as strings or numbers, enum names, bytes and kvlists', () => {
    const body = jsonRequest([
      {
        traceId: 'AB'.repeat(16),
        spanId: '01'.repeat(8),
        name: 'x',
        startMs: 1_700_000_000_000,
        endMs: 1_700_000_000_005,
        attributes: { nested: { a: 1, b: ['x', 2.5] } },
      },
    ]) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<Record<string, unknown>> }> }> };
    const span = body.resourceSpans[0]?.scopeSpans[0]?.spans[0] as Record<string, unknown>;
    span.startTimeUnixNano = 1_700_000_000_000_000_000;
    span.kind = 'SPAN_KIND_CLIENT';
    span.status = { code: 'STATUS_CODE_ERROR' };
    (span.attributes as unknown[]).push({ key: 'raw', value: { bytesValue: 'AAEC' } });
    const decoded = decodeTraceRequestJson(body).resourceSpans[0]?.scopeSpans[0]?.spans[0] as OtlpSpan;
    assert.equal(decoded.traceId, 'ab'.repeat(16));
    assert.equal(decoded.kind, 3);
    assert.equal(decoded.status.code, 2);
    assert.equal(decoded.startTimeUnixNano, 1_700_000_000_000_000_000n);
    assert.deepEqual(decoded.attributes.nested, { a: 1, b: ['x', 2.5] });
    assert.equal(decoded.attributes.raw, 'AAEC');
  });

  it('encodes the export response: empty when all spans were taken, partial_success otherwise', () => {
    assert.equal(encodeTraceResponse(0, '').length, 0);
    const bytes = encodeTraceResponse(3, 'bad ids');
    const outer = new ProtoReader(bytes);
    const field = outer.tag();
    assert.deepEqual(field, { number: 1, wireType: 2 });
    const inner = outer.message();
    assert.deepEqual(inner.tag(), { number: 1, wireType: 0 });
    assert.equal(inner.varint(), 3n);
    assert.deepEqual(inner.tag(), { number: 2, wireType: 2 });
    assert.equal(inner.string(), 'bad ids');
    assert.ok(inner.done && outer.done);
  });
});
