import * as assert from 'node:assert/strict';
import { SseParser } from '../../../protocol/sseParser';

describe('SSE parser', () => {
  it('parses the events /api/events sends, skipping comments, keeping ids and retry', () => {
    const parser = new SseParser();
    const events = parser.push(
      'retry: 2000\n: connected\n\nid: 1700000000000-0\nevent: node\ndata: {"runId":"r","id":"n"}\n\n: heartbeat\n\nevent: paused\ndata: {"reason":"Redis down"}\n\n',
    );
    assert.deepEqual(events, [
      { id: '1700000000000-0', event: 'node', data: '{"runId":"r","id":"n"}' },
      // No id line: the last id stays what a reconnect must send.
      { id: '1700000000000-0', event: 'paused', data: '{"reason":"Redis down"}' },
    ]);
    assert.equal(parser.retryMs, 2000);
    assert.equal(parser.lastEventId, '1700000000000-0');
  });

  it('joins chunks split anywhere, even between \\r and \\n', () => {
    // The final comment line tells the last `\r` apart from the first half of a `\r\n`.
    const text = 'id: 5-0\r\nevent: run\r\ndata: {"id":"a"}\r\n\r\nid: 6-0\rdata: x\r\r: more\n';
    const whole = new SseParser().push(text);
    for (let cut = 1; cut < text.length; cut++) {
      const parser = new SseParser();
      const events = [...parser.push(text.slice(0, cut)), ...parser.push(text.slice(cut))];
      assert.deepEqual(events, whole, `cut at ${cut}`);
    }
    assert.deepEqual(whole, [
      { id: '5-0', event: 'run', data: '{"id":"a"}' },
      { id: '6-0', event: 'message', data: 'x' },
    ]);
  });

  it('joins multi-line data, drops one leading space only, and ignores events without data', () => {
    const events = new SseParser().push('data:  two spaces\ndata:line2\n\nevent: empty\n\nid\ndata\n\n');
    assert.deepEqual(events, [
      { id: undefined, event: 'message', data: ' two spaces\nline2' },
      { id: '', event: 'message', data: '' },
    ]);
  });

  it('starts from a Last-Event-ID and waits for the blank line that ends an event', () => {
    const parser = new SseParser('9-0');
    assert.deepEqual(parser.push('event: reset\ndata: {}\n'), []);
    assert.deepEqual(parser.push('\n'), [{ id: '9-0', event: 'reset', data: '{}' }]);
  });
});

describe('SseParser (chunks split anywhere)', () => {
  it('parses events split across chunks, skips comments and keeps the last id', () => {
    const parser = new SseParser();
    assert.deepEqual(parser.push('retry: 2000\n: connected\n\nid: 1-0\nevent: node\ndata: {"id":'), []);
    assert.deepEqual(parser.push('"a"}\n\n: heartbeat\n\nevent: reset\r\ndata: {"reason":"gone"}\r\n\r\n'), [
      { id: '1-0', event: 'node', data: '{"id":"a"}' },
      { id: '1-0', event: 'reset', data: '{"reason":"gone"}' },
    ]);
    assert.equal(parser.lastEventId, '1-0');
  });
});
