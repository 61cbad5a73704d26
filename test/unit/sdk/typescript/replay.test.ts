import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseOverrides, Recording, recordedByKey, replayedError, splitKey } from '../../../../sdk/typescript/src/replay';

interface Seen {
  readonly url: string | undefined;
  readonly authorization: string | undefined;
}

/**
 * A stand-in for the sidecar's GET /recorded: these tests are about the SDK's lookup (the query
 * it sends, how it reads the answer), not about the route, which the e2e replay tests exercise.
 */
async function stub(status: number, body: unknown): Promise<{ url: string; seen: Seen[]; close: () => Promise<void> }> {
  const seen: Seen[] = [];
  const server = http.createServer((request, response) => {
    seen.push({ url: request.url, authorization: request.headers.authorization });
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, seen, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('TypeScript SDK replay lookup', () => {
  it('fetches the recording once, with ?until= and the token, and reads the replay verdicts', async () => {
    const sidecar = await stub(200, {
      runId: 'r1',
      untilNodeId: 'n3',
      nodes: [
        { id: 'n1', key: '/a#0', kind: 'step', status: 'ok', output: 1, error: null, replay: true },
        { id: 'n2', key: '/b#0', kind: 'step', status: 'error', output: null, error: { message: 'no', type: 'TypeError' }, replay: true },
        { id: 'n3', key: '/c#0', kind: 'step', status: 'ok', output: 3, error: null, replay: false },
        { key: '/bad#0' },
      ],
    });
    try {
      const warnings: string[] = [];
      const recording = await Recording.load(sidecar.url, 'tok', 'r 1', 'n3', (_t, m) => warnings.push(m));
      assert.deepEqual(sidecar.seen, [{ url: '/api/runs/r%201/recorded?until=n3', authorization: 'Bearer tok' }]);
      assert.deepEqual(warnings, []);
      assert.deepEqual(
        ['/a#0', '/b#0', '/c#0', '/bad#0'].map((key) => recording?.recorded(key)?.replay),
        [true, true, false, undefined],
      );
      assert.equal(recording?.recorded('/b#0')?.status, 'error');
    } finally {
      await sidecar.close();
    }
  });

  it('leaves ?until= out without a fork point, and runs live (silently) when the sidecar answers 404', async () => {
    const sidecar = await stub(404, { error: { code: 'not_found', message: 'no run' } });
    try {
      const warnings: string[] = [];
      assert.equal(await Recording.load(sidecar.url, undefined, 'r1', undefined, (_t, m) => warnings.push(m)), undefined);
      assert.deepEqual(sidecar.seen, [{ url: '/api/runs/r1/recorded', authorization: undefined }]);
      assert.deepEqual(warnings, []);
    } finally {
      await sidecar.close();
    }
  });

  it('warns with the sidecar message when the recording cannot be read', async () => {
    const sidecar = await stub(400, { error: { code: 'bad_request', message: 'until is not a node of run r1' } });
    try {
      const warnings: string[] = [];
      assert.equal(await Recording.load(sidecar.url, undefined, 'r1', 'nope', (_t, m) => warnings.push(m)), undefined);
      assert.equal(warnings.length, 1);
      assert.match(warnings[0] ?? '', /400 until is not a node of run r1\); every step runs live/);
    } finally {
      await sidecar.close();
    }
  });

  it('serves what finished ok when an answer has no replay verdicts, and keeps the first node of a key', () => {
    const byKey = recordedByKey([
      { id: 'a', key: '/x#0', status: 'ok' },
      { id: 'b', key: '/x#0', status: 'ok' },
      { id: 'c', key: '/y#0', status: 'running' },
    ]);
    assert.deepEqual([byKey.get('/x#0')?.id, byKey.get('/x#0')?.replay, byKey.get('/y#0')?.replay], ['a', true, false]);
    assert.equal(recordedByKey(undefined).size, 0);
  });

  it('reads RUNTRAIL_OVERRIDES as a JSON object of labels and warns about anything else', () => {
    const warnings: string[] = [];
    const warn = (_t: string, m: string) => warnings.push(m);
    assert.deepEqual([...parseOverrides('{"/route#0":"b","/x#0":3}', warn)], [['/route#0', 'b']]);
    assert.equal(parseOverrides('not json', warn).size, 0);
    assert.equal(parseOverrides('["b"]', warn).size, 0);
    assert.equal(parseOverrides(undefined, warn).size, 0);
    assert.equal(warnings.length, 3);
    assert.match(warnings[0] ?? '', /RUNTRAIL_OVERRIDES\["\/x#0"\] is not an option label/);
  });

  it('rebuilds recorded errors: built-in classes as themselves, others by name', () => {
    const range = replayedError({ message: 'too big', type: 'RangeError' });
    assert.ok(range instanceof RangeError);
    assert.deepEqual([range.name, range.message], ['RangeError', 'too big']);
    const custom = replayedError({ message: 'quota', type: 'QuotaError' });
    assert.ok(custom instanceof Error);
    assert.deepEqual([custom.name, custom.message], ['QuotaError', 'quota']);
    assert.deepEqual([replayedError({ message: 'x', type: 'toString' }).name], ['toString']);
    assert.equal(replayedError(null).message, 'the recorded step failed');
  });

  it('splits a key into its parent key and name', () => {
    assert.deepEqual(splitKey('/plan#0/search#2'), { parentKey: '/plan#0', name: 'search' });
    assert.deepEqual(splitKey('/a#b#1'), { parentKey: '', name: 'a#b' });
  });
});
