import * as assert from 'node:assert/strict';
import {
  nodeDocumentLocation,
  nodeDocumentText,
  parseNodeDocumentLocation,
  unavailableDocumentText,
} from '../../../extension/documents/nodeDocument';
import { aNode } from './dtos';

describe('extension node documents', () => {
  it('names a node document by node id with the run in the query, and reads it back', () => {
    const location = nodeDocumentLocation('n:1@x', 'run-1');
    assert.deepEqual(location, { path: '/node/n%3A1%40x.json', query: 'runId=run-1' });
    assert.deepEqual(parseNodeDocumentLocation(location.path, location.query), { nodeId: 'n:1@x', runId: 'run-1' });
    assert.deepEqual(parseNodeDocumentLocation('/node/abc.json', ''), { nodeId: 'abc', runId: undefined });
    assert.equal(parseNodeDocumentLocation('/run/abc.json', ''), undefined);
    assert.equal(parseNodeDocumentLocation('/node/%E0%A4%A.json', ''), undefined, 'a malformed escape is not a node');
  });

  it('pretty-prints the node: identity, timings, source, payloads, usage', () => {
    const node = {
      ...aNode('n1', {
        kind: 'llm',
        status: 'error',
        startedAt: '2026-01-01T12:00:00.000Z',
        endedAt: '2026-01-01T12:00:00.340Z',
        durationMs: 340,
        error: { message: 'rate limited' },
        tokensIn: 10,
        tokensOut: 2,
        costUsd: 0.001,
        source: { file: '/w/a.py', line: 3, column: 5, function: 'main' },
      }),
      input: { prompt: '<script>alert(1)</script>' },
      output: null,
      attributes: { model: 'm' },
    };
    const text = nodeDocumentText(node);
    assert.ok(text.endsWith('}\n'));
    const parsed = JSON.parse(text);
    assert.deepEqual(Object.keys(parsed).slice(0, 6), ['id', 'runId', 'kind', 'name', 'key', 'status']);
    assert.deepEqual(parsed.timings, {
      startedAt: '2026-01-01T12:00:00.000Z',
      endedAt: '2026-01-01T12:00:00.340Z',
      durationMs: 340,
      duration: '340 ms',
    });
    assert.deepEqual(parsed.source, { file: '/w/a.py', line: 3, column: 5, function: 'main' });
    assert.deepEqual(parsed.input, { prompt: '<script>alert(1)</script>' });
    assert.deepEqual(parsed.error, { message: 'rate limited' });
    assert.deepEqual(parsed.attributes, { model: 'm' });
    assert.deepEqual(parsed.usage, { tokensIn: 10, tokensOut: 2, costUsd: 0.001 });
    assert.match(text, /\n {2}"id": "n1",\n/, 'two-space indentation');
  });

  it('explains a node it cannot show in valid JSON', () => {
    assert.deepEqual(JSON.parse(unavailableDocumentText('n1', 'gone')), { id: 'n1', unavailable: 'gone' });
  });
});
