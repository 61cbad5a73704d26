// A small "agent" instrumented only with OpenTelemetry (no Runtrail SDK): a root invoke_agent span,
// two gen_ai chat spans with token usage and messages, two execute_tool spans (one fails and records
// its exception), and code.* attributes taken from each call site, so Runtrail's jump-to-source
// works. Where the spans go is plain OTel configuration (see README.md):
//
//   OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://127.0.0.1:7317/v1/traces \
//   OTEL_EXPORTER_OTLP_TRACES_HEADERS="Authorization=Bearer%20$(runtrail token)" \
//   node examples/otel/agent.mjs "Why does the SSE stream stall after sleep?"
//
// OTEL_EXPORTER_OTLP_TRACES_PROTOCOL picks the exporter: http/protobuf (default) or http/json.
// The Runtrail runner sets the endpoint, header and run id itself (workflow otel-js in runtrail.json).
import { fileURLToPath } from 'node:url';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter as HttpExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

const protocol = process.env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? process.env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf';
const exporter = protocol === 'http/json' ? new HttpExporter() : new ProtoExporter();
// OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (runtrail.run.id when the runner started us) win.
const resource = resourceFromAttributes({ 'service.name': 'otel-agent' }).merge(detectResources({ detectors: [envDetector] }));
const provider = new NodeTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(exporter)] });
provider.register();
const tracer = trace.getTracer('runtrail-otel-example', '1.0.0');

/** code.* attributes of the line that called the function calling this (its call site). */
function callSite() {
  const frame = new Error().stack?.split('\n')[3] ?? '';
  const match = /at (?:(\S+) \()?(.+):(\d+):(\d+)\)?$/.exec(frame.trim());
  if (!match) return {};
  const file = match[2].startsWith('file://') ? fileURLToPath(match[2]) : match[2];
  return {
    'code.file.path': file,
    'code.line.number': Number(match[3]),
    'code.column.number': Number(match[4]),
    ...(match[1] ? { 'code.function.name': match[1] } : {}),
  };
}

/** Runs fn in a span that records its call site; a throw sets ERROR and records the exception. */
async function inSpan(name, attributes, fn, kind = SpanKind.INTERNAL, site = callSite()) {
  return tracer.startActiveSpan(name, { kind, attributes: { ...site, ...attributes } }, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      span.recordException(error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** A pretend model call: deterministic, so runs compare equal. */
function chat(model, system, messages, answer, usage) {
  const site = callSite();
  return inSpan(
    `chat ${model}`,
    {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': model,
      'gen_ai.system_instructions': JSON.stringify([{ type: 'text', content: system }]),
      'gen_ai.input.messages': JSON.stringify(messages),
    },
    async (span) => {
      span.setAttributes({
        'gen_ai.response.model': `${model}-2024-07-18`,
        'gen_ai.usage.input_tokens': usage[0],
        'gen_ai.usage.output_tokens': usage[1],
        'gen_ai.output.messages': JSON.stringify([
          { role: 'assistant', parts: [{ type: 'text', content: answer }], finish_reason: 'stop' },
        ]),
      });
      return answer;
    },
    SpanKind.CLIENT,
    site,
  );
}

function tool(name, args, fn) {
  const site = callSite();
  return inSpan(
    `execute_tool ${name}`,
    { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': name, 'gen_ai.tool.call.arguments': JSON.stringify(args) },
    async (span) => {
      const result = await fn(span);
      span.setAttribute('gen_ai.tool.call.result', JSON.stringify(result));
      return result;
    },
    SpanKind.INTERNAL,
    site,
  );
}

const question = process.argv[2] ?? 'Why does the SSE stream stall after the laptop sleeps?';

async function main() {
  await inSpan('invoke_agent triage', { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'triage' }, async () => {
    const user = [{ role: 'user', parts: [{ type: 'text', content: question }] }];
    const plan = await chat('gpt-4o-mini', 'You triage issues.', user, 'search the issues, then read the top hit', [52, 11]);
    const hits = await tool('search_issues', { query: question }, async (span) => {
      span.addEvent('cache miss', { 'cache.key': 'search:sse' });
      return ['#12 SSE reconnect', '#31 heartbeat'];
    });
    try {
      await tool('fetch_page', { url: 'https://example.invalid/issues/12' }, async () => {
        throw new TypeError('fetch failed: getaddrinfo ENOTFOUND example.invalid');
      });
    } catch {
      // The agent goes on without the page, as a real one would.
    }
    await chat(
      'gpt-4o-mini',
      'You triage issues.',
      [...user, { role: 'assistant', parts: [{ type: 'text', content: plan }] }],
      `related: ${hits.join(', ')}`,
      [120, 42],
    );
  });
}

try {
  await main();
} finally {
  // Flush the batch before exiting.
  await provider.shutdown();
}
