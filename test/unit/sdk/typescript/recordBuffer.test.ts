import * as assert from 'node:assert/strict';
import { mergeRecord, RecordBuffer } from '../../../../sdk/typescript/src/recordBuffer';

describe('TypeScript SDK record buffer', () => {
  it('merges the records of one node still waiting into one, later fields winning', () => {
    const buffer = new RecordBuffer();
    buffer.add({ id: 'a', key: '/a#0', kind: 'step', name: 'a', status: 'running', seq: 0, startedAt: 1, attributes: { attempt: 1 } });
    buffer.add({ id: 'b', key: '/b#0', kind: 'step', name: 'b', status: 'running', seq: 1, startedAt: 2 });
    buffer.add({ id: 'a', status: 'ok', endedAt: 5, output: { n: 1 }, attributes: { chosen: 'x' } });
    assert.equal(buffer.size, 2);
    assert.deepEqual(buffer.take(10), [
      {
        id: 'a',
        key: '/a#0',
        kind: 'step',
        name: 'a',
        status: 'ok',
        seq: 0,
        startedAt: 1,
        endedAt: 5,
        output: { n: 1 },
        attributes: { attempt: 1, chosen: 'x' },
      },
      { id: 'b', key: '/b#0', kind: 'step', name: 'b', status: 'running', seq: 1, startedAt: 2 },
    ]);
  });

  it('does not merge into a record already taken for sending', () => {
    const buffer = new RecordBuffer();
    buffer.add({ id: 'a', status: 'running' });
    const [sent] = buffer.take(10);
    buffer.add({ id: 'a', status: 'ok' });
    assert.deepEqual(sent, { id: 'a', status: 'running' });
    assert.deepEqual(buffer.take(10), [{ id: 'a', status: 'ok' }]);
  });

  it('ignores undefined fields of a later record', () => {
    assert.deepEqual(mergeRecord({ id: 'a', output: 1 }, { id: 'a', output: undefined, status: 'ok' }), {
      id: 'a',
      output: 1,
      status: 'ok',
    });
  });

  it('drops the oldest records beyond its capacity and counts them', () => {
    const buffer = new RecordBuffer(3);
    for (const id of ['a', 'b', 'c', 'd', 'e']) buffer.add({ id });
    buffer.add({ id: 'e', status: 'ok' });
    assert.equal(buffer.dropped, 2);
    assert.deepEqual(
      buffer.take(10).map((r) => r.id),
      ['c', 'd', 'e'],
    );
  });

  it('takes batches oldest first, bounded by count and size but never empty', () => {
    const buffer = new RecordBuffer();
    for (let i = 0; i < 5; i++) buffer.add({ id: `n${i}`, output: 'x'.repeat(100) });
    assert.deepEqual(
      buffer.take(2).map((r) => r.id),
      ['n0', 'n1'],
    );
    assert.deepEqual(
      buffer.take(10, 250).map((r) => r.id),
      ['n2', 'n3'],
    );
    assert.deepEqual(
      buffer.take(10, 1).map((r) => r.id),
      ['n4'],
    );
    assert.equal(buffer.size, 0);
  });
});
