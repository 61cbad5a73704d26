import * as assert from 'node:assert/strict';
import { SseParser } from '../../../webview/hosts/sseParser';

describe('webview SseParser', () => {
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
