import { fileURLToPath } from 'node:url';
import type { ErrorInfo, NodeStatus } from '../../protocol/runs';
import type { IngestRecord } from '../store/runStore';
import { type Attributes, type JsonValue, type OtlpEvent, type OtlpSpan, StatusCode, spanKindNames } from './otlpModel';

/**
 * One OTLP span -> Runtrail node records (sidecar/README.md "OTLP ingest" has the table): the
 * span's node, plus a finished `log` child per span event. GenAI semantic conventions and
 * OpenInference attributes fill kind, input/output, tokens and model the way the SDKs do (model in
 * `attributes.model`); `code.*` attributes fill the source location. Pure: no I/O, no clock.
 */

/** Node ids are global in the store, span ids only unique within a trace: prefix the trace id. */
export const nodeIdOf = (traceId: string, spanId: string): string => `${traceId}-${spanId}`;

const hex = (length: number) => new RegExp(`^[0-9a-f]{${length}}$`);
const traceIdPattern = hex(32);
const spanIdPattern = hex(16);
const zeros = /^0+$/;

/** Why a span is rejected (partial success), or undefined when it can be recorded. */
export function spanProblem(span: OtlpSpan): string | undefined {
  if (!traceIdPattern.test(span.traceId) || zeros.test(span.traceId)) return `invalid traceId ${JSON.stringify(span.traceId)}`;
  if (!spanIdPattern.test(span.spanId) || zeros.test(span.spanId)) return `invalid spanId ${JSON.stringify(span.spanId)}`;
  if (span.parentSpanId !== '' && !spanIdPattern.test(span.parentSpanId))
    return `invalid parentSpanId ${JSON.stringify(span.parentSpanId)}`;
  if (span.parentSpanId === span.spanId) return `span ${span.spanId} is its own parent`;
  if (span.name === '') return `span ${span.spanId} has no name`;
  if (span.startTimeUnixNano === 0n) return `span ${span.spanId} has no startTimeUnixNano`;
  if (span.endTimeUnixNano !== 0n && span.endTimeUnixNano < span.startTimeUnixNano) {
    return `span ${span.spanId} ends (${span.endTimeUnixNano}) before it starts (${span.startTimeUnixNano})`;
  }
  return undefined;
}

export interface MappedSpan {
  readonly records: IngestRecord[];
  /** Set for a trace's root span (no parent): the run's outcome. */
  readonly root?: { readonly status: NodeStatus; readonly endedAt: number; readonly error?: ErrorInfo };
}

/** Raised when a payload is over the field limit; the span is rejected with this message. */
export class FieldTooLarge extends Error {}

const nanosToMs = (nanos: bigint): number => Number(nanos / 1_000_000n);
/**
 * seq = start time in microseconds, so tree order is start order and stays the same whatever order
 * the spans arrive in (a counter per request would follow arrival order). Microseconds since 1970
 * stay below 2^53 until 2255. Spans that start in the same microsecond fall back to the store's
 * tie-break on node id.
 */
const seqOf = (nanos: bigint): number => Math.min(Number(nanos / 1_000n), Number.MAX_SAFE_INTEGER);

/**
 * The JS SDK stamps span starts with Date.now() (whole milliseconds), so siblings started in the
 * same millisecond would tie on seq and be ordered by their random ids. Exporters send spans in
 * the order they ended, and siblings that ran one after the other ended in the order they started:
 * so for a start without a sub-millisecond part, the caller passes the span's rank among the
 * spans of its trace in the same request that started in the same millisecond (0-999), and it is
 * added as microseconds. Re-sending the request gives the same seqs. (A parent sorts after its own
 * children in the flat list then, but siblings are only ever compared with siblings.)
 */
export const isWholeMillisecond = (nanos: bigint): boolean => nanos % 1_000_000n === 0n;

export function mapSpan(
  span: OtlpSpan,
  scope: { name: string; version: string },
  maxFieldBytes: number,
  sameMillisecondRank = 0,
): MappedSpan {
  const attrs: Attributes = { ...span.attributes };
  const take = (key: string): JsonValue | undefined => {
    const value = attrs[key];
    delete attrs[key];
    return value;
  };
  const peek = (...keys: string[]): JsonValue | undefined => {
    for (const key of keys) if (attrs[key] !== undefined && attrs[key] !== null) return attrs[key];
    return undefined;
  };

  const id = nodeIdOf(span.traceId, span.spanId);
  const kind = kindOf(attrs);
  const { input, output } = payloads(attrs, take);
  const tokensIn = count(peek('gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens', 'llm.token_count.prompt'));
  const tokensOut = count(peek('gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens', 'llm.token_count.completion'));
  const model = peek('gen_ai.response.model', 'gen_ai.request.model', 'llm.model_name');
  const source = sourceOf(attrs);

  const isError = span.status.code === StatusCode.error;
  const exception = span.events.find((e) => e.name === 'exception');
  const error = isError ? errorOf(span, exception) : undefined;
  const status: NodeStatus = isError ? 'error' : 'ok';
  const startedAt = nanosToMs(span.startTimeUnixNano);
  // An unended span (end 0) is recorded as running; exporters only send ended spans, though.
  const endedAt = span.endTimeUnixNano === 0n ? undefined : nanosToMs(span.endTimeUnixNano);

  const attributes: Attributes = {
    ...attrs,
    ...(typeof model === 'string' ? { model } : {}),
    'otel.trace_id': span.traceId,
    'otel.span_id': span.spanId,
    'otel.span_kind': spanKindNames[span.kind] ?? String(span.kind),
    'otel.start_time_unix_nano': span.startTimeUnixNano.toString(),
    'otel.end_time_unix_nano': span.endTimeUnixNano.toString(),
    ...(scope.name === '' ? {} : { 'otel.scope.name': scope.name }),
    ...(scope.version === '' ? {} : { 'otel.scope.version': scope.version }),
    ...(span.status.message === '' ? {} : { 'otel.status_message': span.status.message }),
    ...(span.links.length === 0
      ? {}
      : { 'otel.links': span.links.map((l) => ({ traceId: l.traceId, spanId: l.spanId, attributes: l.attributes })) }),
  };

  const node: IngestRecord = {
    id,
    parentId: span.parentSpanId === '' ? null : nodeIdOf(span.traceId, span.parentSpanId),
    kind,
    name: span.name.slice(0, 1000),
    seq: Math.min(
      seqOf(span.startTimeUnixNano) + (isWholeMillisecond(span.startTimeUnixNano) ? Math.min(sameMillisecondRank, 999) : 0),
      Number.MAX_SAFE_INTEGER,
    ),
    startedAt,
    ...(endedAt === undefined ? { status: 'running' as const } : { status, endedAt: Math.max(endedAt, startedAt) }),
    ...(input === undefined ? {} : { input: serialize(input, 'input', id, maxFieldBytes) }),
    ...(output === undefined ? {} : { output: serialize(output, 'output', id, maxFieldBytes) }),
    ...(error === undefined ? {} : { error: serialize(error, 'error', id, maxFieldBytes) }),
    attributes: serialize(attributes, 'attributes', id, maxFieldBytes),
    ...(tokensIn === undefined ? {} : { tokensIn }),
    ...(tokensOut === undefined ? {} : { tokensOut }),
    ...(source === undefined ? {} : { source }),
  };
  const records = [node, ...span.events.map((e, i) => eventRecord(span, id, e, i, maxFieldBytes))];
  const root =
    span.parentSpanId === '' && endedAt !== undefined
      ? { status, endedAt: Math.max(endedAt, startedAt), ...(error === undefined ? {} : { error }) }
      : undefined;
  return root === undefined ? { records } : { records, root };
}

/** A span event as a finished `log` child; the `exception` event is an error node. */
function eventRecord(span: OtlpSpan, parentId: string, event: OtlpEvent, index: number, maxFieldBytes: number): IngestRecord {
  const id = `${parentId}-e${index}`;
  const time = nanosToMs(event.timeUnixNano === 0n ? span.startTimeUnixNano : event.timeUnixNano);
  const isException = event.name === 'exception';
  const attributes = { ...event.attributes, 'otel.time_unix_nano': event.timeUnixNano.toString() };
  return {
    id,
    parentId,
    kind: 'log',
    name: (event.name === '' ? 'event' : event.name).slice(0, 1000),
    seq: seqOf(event.timeUnixNano === 0n ? span.startTimeUnixNano : event.timeUnixNano),
    startedAt: time,
    endedAt: time,
    status: isException ? 'error' : 'ok',
    ...(isException ? { error: serialize(exceptionInfo(event.attributes), 'error', id, maxFieldBytes) } : {}),
    attributes: serialize(attributes, 'attributes', id, maxFieldBytes),
  };
}

/** The node kind from `gen_ai.operation.name`, else `openinference.span.kind`, else step. */
export function kindOf(attrs: Attributes): string {
  const operation = attrs['gen_ai.operation.name'];
  if (typeof operation === 'string') {
    const kind = genAiKinds[operation];
    if (kind !== undefined) return kind;
  }
  const openInference = attrs['openinference.span.kind'];
  if (typeof openInference === 'string') {
    const kind = openInferenceKinds[openInference.toUpperCase()];
    if (kind !== undefined) return kind;
  }
  return 'step';
}

const genAiKinds: Record<string, string> = {
  chat: 'llm',
  text_completion: 'llm',
  generate_content: 'llm',
  embeddings: 'llm',
  execute_tool: 'tool',
  invoke_agent: 'agent',
  create_agent: 'agent',
};

const openInferenceKinds: Record<string, string> = {
  LLM: 'llm',
  EMBEDDING: 'llm',
  TOOL: 'tool',
  AGENT: 'agent',
  CHAIN: 'step',
  RETRIEVER: 'retriever',
  RERANKER: 'reranker',
  GUARDRAIL: 'guardrail',
  EVALUATOR: 'evaluator',
};

/**
 * input/output from, in order: the GenAI message attributes (current, then the deprecated
 * `gen_ai.prompt`/`gen_ai.completion` and their indexed `.N.role/.content` form), then
 * OpenInference `input.value`/`output.value`. The attributes used are removed (they are the
 * payload; keeping them would store it twice).
 */
function payloads(attrs: Attributes, take: (key: string) => JsonValue | undefined): { input?: JsonValue; output?: JsonValue } {
  let input: JsonValue | undefined;
  let output: JsonValue | undefined;

  const messages = take('gen_ai.input.messages');
  const system = take('gen_ai.system_instructions');
  if (messages !== undefined || system !== undefined) {
    input =
      system === undefined
        ? parseMaybe(messages)
        : { system_instructions: parseMaybe(system), ...(messages === undefined ? {} : { messages: parseMaybe(messages) }) };
  }
  const outputMessages = take('gen_ai.output.messages');
  if (outputMessages !== undefined) output = parseMaybe(outputMessages);

  const prompt = take('gen_ai.prompt');
  const completion = take('gen_ai.completion');
  const indexedPrompt = indexed(attrs, 'gen_ai.prompt.');
  const indexedCompletion = indexed(attrs, 'gen_ai.completion.');
  input ??= prompt !== undefined ? parseMaybe(prompt) : indexedPrompt;
  output ??= completion !== undefined ? parseMaybe(completion) : indexedCompletion;

  const inputValue = take('input.value');
  const outputValue = take('output.value');
  if (inputValue !== undefined) input ??= parseByMime(inputValue, attrs['input.mime_type']);
  if (outputValue !== undefined) output ??= parseByMime(outputValue, attrs['output.mime_type']);
  return { ...(input === undefined ? {} : { input }), ...(output === undefined ? {} : { output }) };
}

/** `prefix.N.field` attributes -> `[{field: …}, …]` in index order (and removed from attrs). */
function indexed(attrs: Attributes, prefix: string): JsonValue[] | undefined {
  const items = new Map<number, Record<string, JsonValue>>();
  for (const key of Object.keys(attrs)) {
    if (!key.startsWith(prefix)) continue;
    const match = /^(\d+)\.(.+)$/.exec(key.slice(prefix.length));
    if (match === null) continue;
    const index = Number(match[1]);
    const item = items.get(index) ?? {};
    item[match[2] as string] = attrs[key] as JsonValue;
    items.set(index, item);
    delete attrs[key];
  }
  if (items.size === 0) return undefined;
  return [...items.entries()].sort(([a], [b]) => a - b).map(([, item]) => item);
}

/** GenAI message attributes are JSON text; anything that does not parse is kept as the text. */
function parseMaybe(value: JsonValue | undefined): JsonValue {
  if (typeof value !== 'string') return value ?? null;
  const trimmed = value.trim();
  if (!(trimmed.startsWith('[') || trimmed.startsWith('{'))) return value;
  try {
    return JSON.parse(trimmed) as JsonValue;
  } catch {
    return value;
  }
}

function parseByMime(value: JsonValue, mime: JsonValue | undefined): JsonValue {
  if (typeof value !== 'string' || typeof mime !== 'string' || !/^application\/json\b/i.test(mime)) return value;
  try {
    return JSON.parse(value) as JsonValue;
  } catch {
    return value;
  }
}

/** A token count: a non-negative integer (numbers and numeric strings alike). */
function count(value: JsonValue | undefined): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** The source location from the stable `code.*` names, falling back to the deprecated ones. */
export function sourceOf(attrs: Attributes): IngestRecord['source'] {
  const pick = (...keys: string[]) => {
    for (const key of keys) if (attrs[key] !== undefined && attrs[key] !== null) return attrs[key];
    return undefined;
  };
  let file = pick('code.file.path', 'code.filepath');
  if (typeof file !== 'string' || file === '') return undefined;
  if (file.startsWith('file://')) {
    try {
      file = fileURLToPath(file);
    } catch {
      // Not a valid file URL: keep it as given.
    }
  }
  const line = count(pick('code.line.number', 'code.lineno'));
  const column = count(pick('code.column.number', 'code.column'));
  const fn = pick('code.function.name', 'code.function');
  const namespace = pick('code.namespace');
  const functionName =
    typeof fn !== 'string' || fn === ''
      ? undefined
      : typeof namespace === 'string' && namespace !== '' && !fn.startsWith(`${namespace}.`)
        ? `${namespace}.${fn}`
        : fn;
  return {
    file: file.slice(0, 4096),
    // The location schema needs a line; a file without one points at its top.
    line: line === undefined || line < 1 ? 1 : line,
    ...(column === undefined ? {} : { column }),
    ...(functionName === undefined ? {} : { function: functionName.slice(0, 1000) }),
  };
}

/** The span's error: its status message, completed by the `exception` event when there is one. */
function errorOf(span: OtlpSpan, exception: OtlpEvent | undefined): Exclude<ErrorInfo, string> {
  const fromEvent = exception === undefined ? undefined : exceptionInfo(exception.attributes);
  const message = span.status.message !== '' ? span.status.message : (fromEvent?.message ?? 'error');
  return { ...fromEvent, message };
}

function exceptionInfo(attrs: Attributes): { message: string; type?: string; stack?: string } {
  const type = attrs['exception.type'];
  const message = attrs['exception.message'];
  const stack = attrs['exception.stacktrace'];
  return {
    message: typeof message === 'string' && message !== '' ? message : typeof type === 'string' ? type : 'exception',
    ...(typeof type === 'string' ? { type } : {}),
    ...(typeof stack === 'string' ? { stack } : {}),
  };
}

function serialize(value: unknown, field: string, id: string, maxFieldBytes: number): string {
  const text = JSON.stringify(value);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > maxFieldBytes) {
    throw new FieldTooLarge(
      `${field} of span node ${id} is ${bytes.toLocaleString('en')} bytes as JSON; the limit is ${maxFieldBytes.toLocaleString('en')} bytes (RUNTRAIL_MAX_FIELD_BYTES)`,
    );
  }
  return text;
}
