import * as assert from 'node:assert/strict';
import { formatSidecarLine, parseListeningLine } from '../../../../extension/sidecar/sidecarLog';

// A line as dist/sidecar.js prints it (sidecar/main.ts).
const listening =
  '{"level":30,"time":"2026-11-26T02:12:23.601Z","pid":30563,"name":"runtrail-sidecar","url":"http://127.0.0.1:42581","tokenFile":"/tmp/d/token","store":"sqlite","relay":"memory","dataDir":"/tmp/d","version":"0.1.0","msg":"listening"}';

describe('sidecar log lines', () => {
  describe('parseListeningLine', () => {
    it('reads URL, token file, store and relay from the listening line', () => {
      assert.deepEqual(parseListeningLine(listening), {
        url: 'http://127.0.0.1:42581',
        tokenFile: '/tmp/d/token',
        store: 'sqlite',
        relay: 'memory',
        dataDir: '/tmp/d',
        version: '0.1.0',
      });
    });

    it('accepts a null token file (RUNTRAIL_TOKEN given) and drops a trailing slash', () => {
      const line = JSON.stringify({
        level: 30,
        msg: 'listening',
        url: 'http://[::1]:7317/',
        tokenFile: null,
        store: 'neo4j',
        relay: 'redis',
      });
      assert.deepEqual(parseListeningLine(line), {
        url: 'http://[::1]:7317',
        tokenFile: null,
        store: 'neo4j',
        relay: 'redis',
        dataDir: undefined,
        version: undefined,
      });
    });

    it('ignores every other line, and listening lines that lack what it needs', () => {
      assert.equal(parseListeningLine('{"level":30,"msg":"store schema ready","store":"sqlite"}'), undefined);
      assert.equal(parseListeningLine('runtrail sidecar: Invalid configuration:'), undefined);
      assert.equal(parseListeningLine('{"msg":"listening","url":"ftp://x","tokenFile":null,"store":"s","relay":"r"}'), undefined);
      assert.equal(parseListeningLine('{"msg":"listening"'), undefined);
      assert.equal(parseListeningLine(''), undefined);
    });
  });

  describe('formatSidecarLine', () => {
    it('shows a JSON line as level, message and its own fields, without pino boilerplate', () => {
      assert.deepEqual(formatSidecarLine(listening, 'stdout'), {
        level: 'info',
        text: 'listening url=http://127.0.0.1:42581 tokenFile=/tmp/d/token store=sqlite relay=memory dataDir=/tmp/d version=0.1.0',
      });
    });

    it('maps pino levels and shows an error as its type and message, not its stack', () => {
      const line = JSON.stringify({
        level: 50,
        msg: 'request failed',
        err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at x' },
        method: 'GET',
        url: '/api/runs?q=a b',
      });
      assert.deepEqual(formatSidecarLine(line, 'stdout'), {
        level: 'error',
        text: 'request failed err="Error: boom" method=GET url="/api/runs?q=a b"',
      });
      assert.equal(formatSidecarLine('{"level":40,"msg":"w"}', 'stdout').level, 'warn');
      assert.equal(formatSidecarLine('{"level":20,"msg":"d"}', 'stdout').level, 'debug');
      assert.equal(formatSidecarLine('{"level":10,"msg":"t"}', 'stdout').level, 'trace');
      assert.equal(formatSidecarLine('{"level":60,"msg":"f"}', 'stdout').level, 'error');
    });

    it('keeps plain text as it came: stderr as a warning', () => {
      assert.deepEqual(formatSidecarLine('runtrail sidecar: Port 7317 is in use', 'stderr'), {
        level: 'warn',
        text: 'runtrail sidecar: Port 7317 is in use',
      });
      assert.deepEqual(formatSidecarLine('plain', 'stdout'), { level: 'info', text: 'plain' });
    });

    it('shortens long values and keeps only a few fields', () => {
      const line = JSON.stringify({ level: 30, msg: 'm', a: 'x'.repeat(500), b: 1, c: 2, d: 3, e: 4, f: 5, g: 6 });
      const { text } = formatSidecarLine(line, 'stdout');
      assert.ok(text.length < 260, text);
      assert.match(text, /a=x{160}…/);
      assert.doesNotMatch(text, /g=6/);
    });
  });
});
