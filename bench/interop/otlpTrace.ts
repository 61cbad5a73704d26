import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Attributes, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, NodeTracerProvider, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import type { NodeRecord } from '../../protocol/runs';
import { decodeTraceRequest } from '../../sidecar/otlp/otlpProto';
import { isWholeMillisecond, mapSpan } from '../../sidecar/otlp/spanMapping';

/**
 * The OTLP workload of bench/interop: one 10,000-span trace (a root, 100 `invoke_agent` groups of
 * ~100 leaves: a quarter `chat` spans with GenAI messages and token counts, some `execute_tool`
 * spans, the rest plain steps; ~200 bytes of attributes each), made through the real JS SDK and
 * encoded by the real exporters (`exporter-trace-otlp-proto`, with and without gzip, and
 * `exporter-trace-otlp-http` for OTLP/JSON), whose request bodies a local server captures, as
 * test/fixtures/otlp/otlpBuilders.ts `captureExport` does. The spans are exported in one
 * `export()` call, so each body is one export request of the whole trace.
 */

export type OtlpFormat = 'json' | 'protobuf' | 'protobuf+gzip';
export const otlpFormats: readonly OtlpFormat[] = ['json', 'protobuf', 'protobuf+gzip'];

/** One captured export request: what the exporter put on the wire, and for which trace. */
export interface CapturedRequest {
  readonly format: OtlpFormat;
  readonly traceId: string;
  readonly spans: number;
  readonly contentType: string;
  readonly contentEncoding: string | undefined;
  readonly body: Buffer;
}

export const spansPerTrace = 10_000;
const groups = 100;

/** Deterministic text of about `length` characters (word salad, so gzip sees realistic text, not one repeated byte). */
function prose(seed: number, length: number): string {
  const words = [
    'the',
    'agent',
    'plans',
    'a',
    'tool',
    'call',
    'retrieves',
    'three',
    'documents',
    'about',
    'billing',
    'and',
    'summarises',
    'them',
    'for',
    'user',
    'ticket',
    'refund',
    'policy',
    'because',
    'model',
    'answered',
    'with',
    'confidence',
  ];
  let x = (seed * 2_654_435_761) >>> 0;
  let out = '';
  while (out.length < length) {
    x = (x * 1_103_515_245 + 12_345) >>> 0;
    out += `${words[(x >>> 16) % words.length]} `;
  }
  return out.slice(0, length);
}

type Tracer = ReturnType<NodeTracerProvider['getTracer']>;

/** Emits the trace through the SDK with explicit parents and times (Date objects: epoch ms). */
function emitTrace(tracer: Tracer, t0: number): void {
  const root = tracer.startSpan(
    'invoke_workflow support-triage',
    { attributes: { 'app.request': prose(0, 180) }, startTime: new Date(t0) },
    ROOT_CONTEXT,
  );
  const inRoot = trace.setSpan(ROOT_CONTEXT, root);
  let emitted = 1;
  for (let g = 0; g < groups; g++) {
    const groupStart = t0 + 1 + g * 200;
    const group = tracer.startSpan(
      `invoke_agent worker-${g}`,
      {
        attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': `worker-${g}`, 'app.goal': prose(g + 1, 150) },
        startTime: new Date(groupStart),
      },
      inRoot,
    );
    emitted++;
    const inGroup = trace.setSpan(ROOT_CONTEXT, group);
    // The leaves fill the trace up to 10,000 spans: 99 per group, 98 in the last.
    const leaves = Math.min(Math.ceil((spansPerTrace - 1 - groups) / groups), spansPerTrace - emitted - (groups - 1 - g));
    for (let j = 0; j < leaves; j++) {
      const i = g * 1_000 + j;
      const start = groupStart + 1 + j;
      const leaf = tracer.startSpan(
        leafName(j, g),
        { kind: j % 4 === 0 ? SpanKind.CLIENT : SpanKind.INTERNAL, attributes: leafAttributes(i, j), startTime: new Date(start) },
        inGroup,
      );
      leaf.end(new Date(start + 1));
      emitted++;
    }
    group.end(new Date(groupStart + 199));
  }
  root.end(new Date(t0 + groups * 200 + 10));
}

function leafName(j: number, g: number): string {
  if (j % 4 === 0) return 'chat gpt-4o-mini';
  if (j % 4 === 1) return 'execute_tool search';
  return `step ${g}.${j}`;
}

function leafAttributes(i: number, j: number): Attributes {
  if (j % 4 === 0) {
    // ~200 bytes of messages each way (they become the node's input and output).
    return {
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.usage.input_tokens': 120 + (i % 50),
      'gen_ai.usage.output_tokens': 40 + (i % 30),
      'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: prose(i, 140) }] }]),
      'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: prose(i + 7, 140) }] }]),
    };
  }
  if (j % 4 === 1) {
    return {
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'search',
      'code.file.path': '/src/agent/tools.py',
      'code.line.number': 40 + (j % 20),
      'app.query': prose(i, 110),
    };
  }
  return { 'app.index': i, 'app.detail': prose(i, 180) };
}

/** The spans of one fresh 10,000-span trace (a new random trace id each call). */
function makeTrace(): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'bench-interop' }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
    // The defaults (128 attributes, unlimited lengths) keep every attribute of these spans.
  });
  emitTrace(provider.getTracer('runtrail-bench', '1.0.0'), Date.now() - 3_600_000);
  const spans = memory.getFinishedSpans();
  if (spans.length !== spansPerTrace) throw new Error(`the SDK finished ${spans.length} spans, expected ${spansPerTrace}`);
  return spans;
}

/** A local server keeping every request body, answering as a collector would. */
class CapturingServer {
  readonly bodies: Array<{ contentType: string; contentEncoding: string | undefined; body: Buffer }> = [];
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const contentType = req.headers['content-type'] ?? '';
      this.bodies.push({ contentType, contentEncoding: req.headers['content-encoding'], body: Buffer.concat(chunks) });
      res.writeHead(200, { 'content-type': contentType });
      res.end(contentType.includes('json') ? '{}' : undefined);
    });
  });

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1/traces`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

type ProtoConfig = NonNullable<ConstructorParameters<typeof ProtoExporter>[0]>;
interface SpanExporterLike {
  export(spans: ReadableSpan[], done: (result: { code: number; error?: Error }) => void): void;
  shutdown(): Promise<void>;
}

function exporterFor(format: OtlpFormat, url: string): SpanExporterLike {
  if (format === 'json') return new JsonExporter({ url }) as unknown as SpanExporterLike;
  // The exporter's own gzip (OTEL_EXPORTER_OTLP_COMPRESSION=gzip), not zlib applied here.
  const config: ProtoConfig = format === 'protobuf' ? { url } : { url, compression: 'gzip' as ProtoConfig['compression'] };
  return new ProtoExporter(config) as unknown as SpanExporterLike;
}

/**
 * `count` export requests of `format`, each of its own fresh trace (a repeat must write new
 * spans, not upsert the previous pass's), exactly as the real exporter sent them.
 */
export async function captureExports(format: OtlpFormat, count: number): Promise<CapturedRequest[]> {
  const server = new CapturingServer();
  const url = await server.listen();
  const exporter = exporterFor(format, url);
  const captured: CapturedRequest[] = [];
  try {
    for (let k = 0; k < count; k++) {
      const spans = makeTrace();
      const before = server.bodies.length;
      await new Promise<void>((resolve, reject) =>
        exporter.export(spans, (result) => (result.code === 0 ? resolve() : reject(result.error ?? new Error(`${format} export failed`)))),
      );
      if (server.bodies.length !== before + 1)
        throw new Error(`the ${format} exporter sent ${server.bodies.length - before} requests for one trace, expected 1`);
      const body = server.bodies[before] as CapturingServer['bodies'][number];
      captured.push({ format, traceId: spans[0]?.spanContext().traceId as string, spans: spans.length, ...body });
    }
  } finally {
    await exporter.shutdown();
    await server.close();
  }
  return captured;
}

/**
 * The ceiling's records: what the sidecar's OTLP mapping makes of a captured protobuf request
 * (its own decoder and `mapSpan`, with the same same-millisecond rank `ingestTraces` passes), as
 * the JSON a client posts to `POST /api/runs/:id/nodes`. Node ids start with the trace id, so a
 * pass can move the records into a fresh run by replacing it.
 */
export function mappedNodeRecords(protobuf: Buffer, maxFieldBytes: number): NodeRecord[] {
  const request = decodeTraceRequest(protobuf);
  const ranks = new Map<string, number>();
  const records: NodeRecord[] = [];
  for (const resource of request.resourceSpans) {
    for (const scope of resource.scopeSpans) {
      for (const span of scope.spans) {
        let rank = 0;
        if (isWholeMillisecond(span.startTimeUnixNano)) {
          const key = `${span.traceId}:${span.startTimeUnixNano}`;
          rank = ranks.get(key) ?? 0;
          ranks.set(key, rank + 1);
        }
        for (const r of mapSpan(span, scope.scope, maxFieldBytes, rank).records) {
          // The store's record keeps payloads as JSON text; the wire carries them as JSON values.
          const { input, output, error, attributes, ...rest } = r;
          records.push({
            ...rest,
            ...(input === undefined ? {} : { input: JSON.parse(input) }),
            ...(output === undefined ? {} : { output: JSON.parse(output) }),
            ...(error === undefined ? {} : { error: JSON.parse(error) }),
            ...(attributes === undefined ? {} : { attributes: JSON.parse(attributes) }),
          } as NodeRecord);
        }
      }
    }
  }
  return records;
}
