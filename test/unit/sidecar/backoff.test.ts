import * as assert from 'node:assert/strict';
import { Backoff } from '../../../sidecar/util/backoff';

describe('Backoff', () => {
  it('grows exponentially up to the cap, each delay between half and all of its step', () => {
    const low = new Backoff({ initialMs: 100, maxMs: 1_000, random: () => 0 });
    const high = new Backoff({ initialMs: 100, maxMs: 1_000, random: () => 0.999999 });
    const lows = Array.from({ length: 6 }, () => low.next());
    const highs = Array.from({ length: 6 }, () => high.next());
    assert.deepEqual(lows, [50, 100, 200, 400, 500, 500]);
    assert.deepEqual(highs, [100, 200, 400, 800, 1_000, 1_000]);
  });

  it('starts over after reset()', () => {
    const backoff = new Backoff({ initialMs: 10, maxMs: 1_000, random: () => 0 });
    backoff.next();
    backoff.next();
    backoff.reset();
    assert.equal(backoff.next(), 5);
  });
});
