import * as assert from 'node:assert/strict';
import { childKey, maxKeyLength, maxNameLength, Occurrences, recordedName } from '../../../../sdk/typescript/src/keys';

describe('TypeScript SDK keys', () => {
  it('builds parent key / name # occurrence, with "" as the roots\' parent key', () => {
    const plan = childKey('', 'plan', 0);
    assert.equal(plan, '/plan#0');
    assert.equal(childKey(plan, 'search', 2), '/plan#0/search#2');
  });

  it('counts occurrences per name under one parent, from 0', () => {
    const children = new Occurrences();
    assert.deepEqual(
      ['search', 'search', 'rank', 'search', 'rank'].map((name) => children.next(name)),
      [0, 1, 0, 2, 1],
    );
    assert.equal(new Occurrences().next('search'), 0, 'each parent counts on its own');
  });

  it('keeps keys within the sidecar limit, deterministically and distinctly', () => {
    let key = '';
    for (let depth = 0; depth < 1000; depth++) key = childKey(key, `level-${depth}`, 0);
    assert.ok(key.length <= maxKeyLength);
    assert.match(key, /^\/~[0-9a-f]{32}\/.*\/level-999#0$/, 'a digest of the path so far, then the deepest levels');
    let again = '';
    for (let depth = 0; depth < 1000; depth++) again = childKey(again, `level-${depth}`, 0);
    assert.equal(again, key, 'the same path gives the same key');
    const long = 'x'.repeat(4000);
    assert.notEqual(childKey(childKey('', long, 0), 'a', 0), childKey(childKey('', long, 1), 'a', 0));
  });

  it('records at most 1,000 characters of a name', () => {
    assert.equal(recordedName('plan'), 'plan');
    assert.equal(recordedName('n'.repeat(1500)).length, maxNameLength);
  });
});
