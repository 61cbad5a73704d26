import * as assert from 'node:assert/strict';
import type { Attributes, OtlpSpan } from '../../../../sidecar/otlp/otlpModel';
import { FieldTooLarge, kindOf, mapSpan, sourceOf, spanProblem } from '../../../../sidecar/otlp/spanMapping';

const traceId = 'a'.repeat(32);
const spanId = 'b'.repeat(16);
const start = 1_700_000_000_123_456_789n;

function span(overrides: Partial<OtlpSpan> = {}): OtlpSpan {
  return {
    traceId,
    spanId,
    parentSpanId: '',
    name: 'work',
    kind: 1,
    startTimeUnixNano: start,
    endTimeUnixNano: start + 5_000_000n,
    attributes: {},
    events: [],
    links: [],
    status: { code: 0, message: '' },
    ...overrides,
  };
}

const mapped = (s: OtlpSpan, maxFieldBytes = 1_000_000) => mapSpan(s, { name: 'scope', version: '1' }, maxFieldBytes);
const parse = (text: string | undefined) => (text === undefined ? undefined : JSON.parse(text));

describe('OTLP span mapping', () => {
  it('maps kinds from gen_ai.operation.name, then openinference.span.kind, else step', () => {
    const cases: Array<[Attributes, string]> = [
      [{ 'gen_ai.operation.name': 'chat' }, 'llm'],
      [{ 'gen_ai.operation.name': 'text_completion' }, 'llm'],
      [{ 'gen_ai.operation.name': 'generate_content' }, 'llm'],
      [{ 'gen_ai.operation.name': 'embeddings' }, 'llm'],
      [{ 'gen_ai.operation.name': 'execute_tool' }, 'tool'],
      [{ 'gen_ai.operation.name': 'invoke_agent' }, 'agent'],
      [{ 'gen_ai.operation.name': 'create_agent' }, 'agent'],
      [{ 'openinference.span.kind': 'LLM' }, 'llm'],
      [{ 'openinference.span.kind': 'EMBEDDING' }, 'llm'],
      [{ 'openinference.span.kind': 'TOOL' }, 'tool'],
      [{ 'openinference.span.kind': 'AGENT' }, 'agent'],
      [{ 'openinference.span.kind': 'CHAIN' }, 'step'],
      [{ 'openinference.span.kind': 'RETRIEVER' }, 'retriever'],
      [{ 'openinference.span.kind': 'RERANKER' }, 'reranker'],
      [{ 'openinference.span.kind': 'GUARDRAIL' }, 'guardrail'],
      [{ 'openinference.span.kind': 'EVALUATOR' }, 'evaluator'],
      [{ 'gen_ai.operation.name': 'something_new', 'openinference.span.kind': 'TOOL' }, 'tool'],
      [{ 'http.method': 'GET' }, 'step'],
    ];
    for (const [attrs, kind] of cases) assert.equal(kindOf(attrs), kind, JSON.stringify(attrs));
  });

  it('maps the node: ids prefixed with the trace, ms times, seq in start order (µs), ok status, attributes', () => {
    const { records, root } = mapped(span({ attributes: { 'http.route': '/x', big: '12345678901234567890' } }));
    const node = records[0];
    assert.equal(node?.id, `${traceId}-${spanId}`);
    assert.equal(node?.parentId, null);
    assert.equal(node?.kind, 'step');
    assert.equal(node?.startedAt, 1_700_000_000_123);
    assert.equal(node?.endedAt, 1_700_000_000_128);
    assert.equal(node?.seq, 1_700_000_000_123_456);
    assert.equal(node?.status, 'ok');
    const attributes = parse(node?.attributes);
    assert.equal(attributes['http.route'], '/x');
    assert.equal(attributes['otel.span_kind'], 'internal');
    assert.equal(attributes['otel.start_time_unix_nano'], start.toString());
    assert.equal(attributes['otel.scope.name'], 'scope');
    assert.deepEqual(root, { status: 'ok', endedAt: 1_700_000_000_128 });
    const child = mapped(span({ parentSpanId: 'c'.repeat(16) }));
    assert.equal(child.records[0]?.parentId, `${traceId}-${'c'.repeat(16)}`);
    assert.equal(child.root, undefined);
  });

  it('adds the same-millisecond rank to the seq of whole-millisecond starts only (JS SDK timestamps)', () => {
    const ms = 1_700_000_000_000_000_000n;
    const seqs = [0, 1, 2_000].map(
      (rank) => mapSpan(span({ startTimeUnixNano: ms }), { name: '', version: '' }, 1_000_000, rank).records[0]?.seq,
    );
    assert.deepEqual(seqs, [1_700_000_000_000_000, 1_700_000_000_000_001, 1_700_000_000_000_999]);
    assert.equal(mapSpan(span(), { name: '', version: '' }, 1_000_000, 5).records[0]?.seq, 1_700_000_000_123_456);
  });

  it('maps GenAI messages, tokens and model the way the SDK records llm nodes', () => {
    const { records } = mapped(
      span({
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.response.model': 'gpt-4o-2024',
          'gen_ai.usage.input_tokens': 100,
          'gen_ai.usage.output_tokens': 7,
          'gen_ai.input.messages': '[{"role":"user","parts":[{"type":"text","content":"hi"}]}]',
          'gen_ai.output.messages': '[{"role":"assistant","parts":[{"type":"text","content":"yo"}]}]',
        },
      }),
    );
    const node = records[0];
    assert.equal(node?.kind, 'llm');
    assert.deepEqual(parse(node?.input), [{ role: 'user', parts: [{ type: 'text', content: 'hi' }] }]);
    assert.deepEqual(parse(node?.output), [{ role: 'assistant', parts: [{ type: 'text', content: 'yo' }] }]);
    assert.equal(node?.tokensIn, 100);
    assert.equal(node?.tokensOut, 7);
    const attributes = parse(node?.attributes);
    assert.equal(attributes.model, 'gpt-4o-2024');
    assert.equal(attributes['gen_ai.input.messages'], undefined, 'the payload is not stored twice');

    const withSystem = mapped(
      span({ attributes: { 'gen_ai.system_instructions': '[{"type":"text","content":"be brief"}]', 'gen_ai.input.messages': '[]' } }),
    );
    assert.deepEqual(parse(withSystem.records[0]?.input), { system_instructions: [{ type: 'text', content: 'be brief' }], messages: [] });
  });

  it('maps the deprecated gen_ai.prompt/completion forms and token names', () => {
    const indexed = mapped(
      span({
        attributes: {
          'gen_ai.prompt.1.role': 'user',
          'gen_ai.prompt.1.content': 'second',
          'gen_ai.prompt.0.role': 'system',
          'gen_ai.prompt.0.content': 'first',
          'gen_ai.completion.0.content': 'answer',
          'gen_ai.usage.prompt_tokens': 3,
          'gen_ai.usage.completion_tokens': '4',
        },
      }),
    ).records[0];
    assert.deepEqual(parse(indexed?.input), [
      { role: 'system', content: 'first' },
      { role: 'user', content: 'second' },
    ]);
    assert.deepEqual(parse(indexed?.output), [{ content: 'answer' }]);
    assert.equal(indexed?.tokensIn, 3);
    assert.equal(indexed?.tokensOut, 4);
    const plain = mapped(span({ attributes: { 'gen_ai.prompt': 'plain prompt', 'gen_ai.completion': '{"a":1}' } })).records[0];
    assert.equal(parse(plain?.input), 'plain prompt');
    assert.deepEqual(parse(plain?.output), { a: 1 });
  });

  it('maps OpenInference input/output values (JSON by mime type), token counts and model', () => {
    const node = mapped(
      span({
        attributes: {
          'openinference.span.kind': 'LLM',
          'input.value': '{"question":"why"}',
          'input.mime_type': 'application/json',
          'output.value': '{"not":"parsed"}',
          'output.mime_type': 'text/plain',
          'llm.token_count.prompt': 11,
          'llm.token_count.completion': 12,
          'llm.model_name': 'claude',
        },
      }),
    ).records[0];
    assert.equal(node?.kind, 'llm');
    assert.deepEqual(parse(node?.input), { question: 'why' });
    assert.equal(parse(node?.output), '{"not":"parsed"}');
    assert.equal(node?.tokensIn, 11);
    assert.equal(node?.tokensOut, 12);
    assert.equal(parse(node?.attributes).model, 'claude');
  });

  it('maps source locations from the stable and the deprecated code.* names', () => {
    assert.deepEqual(sourceOf({ 'code.file.path': '/a.ts', 'code.line.number': 3, 'code.column.number': 7, 'code.function.name': 'go' }), {
      file: '/a.ts',
      line: 3,
      column: 7,
      function: 'go',
    });
    assert.deepEqual(
      sourceOf({ 'code.filepath': '/b.py', 'code.lineno': 9, 'code.column': 2, 'code.function': 'run', 'code.namespace': 'pkg.Agent' }),
      {
        file: '/b.py',
        line: 9,
        column: 2,
        function: 'pkg.Agent.run',
      },
    );
    assert.deepEqual(sourceOf({ 'code.file.path': 'file:///c/d.mjs' }), { file: '/c/d.mjs', line: 1 });
    assert.equal(sourceOf({ 'code.line.number': 3 }), undefined);
  });

  it('maps error status and the exception event into the error, and events into log children', () => {
    const { records, root } = mapped(
      span({
        status: { code: 2, message: 'boom' },
        events: [
          { name: 'retry', timeUnixNano: start + 1_000_000n, attributes: { attempt: 2 } },
          {
            name: 'exception',
            timeUnixNano: start + 2_000_000n,
            attributes: { 'exception.type': 'ValueError', 'exception.message': 'bad value', 'exception.stacktrace': 'Traceback…' },
          },
        ],
      }),
    );
    const [node, retry, exception] = records;
    assert.equal(node?.status, 'error');
    assert.deepEqual(parse(node?.error), { message: 'boom', type: 'ValueError', stack: 'Traceback…' });
    assert.deepEqual(root?.error, { message: 'boom', type: 'ValueError', stack: 'Traceback…' });
    assert.equal(root?.status, 'error');
    assert.equal(retry?.kind, 'log');
    assert.equal(retry?.parentId, node?.id);
    assert.equal(retry?.name, 'retry');
    assert.equal(retry?.status, 'ok');
    assert.equal(parse(retry?.attributes).attempt, 2);
    assert.ok((retry?.seq as number) > (node?.seq as number));
    assert.equal(exception?.status, 'error');
    assert.deepEqual(parse(exception?.error), { message: 'bad value', type: 'ValueError', stack: 'Traceback…' });
    // Status ERROR without a message: the exception's message.
    const noMessage = mapped(
      span({
        status: { code: 2, message: '' },
        events: [{ name: 'exception', timeUnixNano: start, attributes: { 'exception.message': 'm' } }],
      }),
    );
    assert.equal(parse(noMessage.records[0]?.error).message, 'm');
  });

  it('judges spans: bad ids, no name, end before start', () => {
    assert.equal(spanProblem(span()), undefined);
    assert.match(spanProblem(span({ traceId: 'abc' })) ?? '', /invalid traceId/);
    assert.match(spanProblem(span({ traceId: '0'.repeat(32) })) ?? '', /invalid traceId/);
    assert.match(spanProblem(span({ spanId: 'x'.repeat(16) })) ?? '', /invalid spanId/);
    assert.match(spanProblem(span({ parentSpanId: 'abcd' })) ?? '', /invalid parentSpanId/);
    assert.match(spanProblem(span({ name: '' })) ?? '', /no name/);
    assert.match(spanProblem(span({ endTimeUnixNano: start - 1n })) ?? '', /before it starts/);
    assert.match(spanProblem(span({ startTimeUnixNano: 0n })) ?? '', /no startTimeUnixNano/);
  });

  it('refuses payloads over the field limit', () => {
    assert.throws(() => mapped(span({ attributes: { 'input.value': 'x'.repeat(2_000) } }), 1_024), FieldTooLarge);
  });
});
