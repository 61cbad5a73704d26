import * as assert from 'node:assert/strict';
import { Backoff, backoffDelay, RestartPolicy } from '../../../../extension/sidecar/restartPolicy';

describe('sidecar restart policy', () => {
  it('restarts after 1 s, then 2 s, and gives up at the third crash within a minute', () => {
    const policy = new RestartPolicy();
    assert.deepEqual(policy.recordCrash(0), { action: 'restart', delayMs: 1_000, crashes: 1 });
    assert.deepEqual(policy.recordCrash(5_000), { action: 'restart', delayMs: 2_000, crashes: 2 });
    assert.deepEqual(policy.recordCrash(20_000), { action: 'giveUp', crashes: 3, windowMs: 60_000 });
  });

  it('forgets crashes older than the window: a sidecar that crashes once an hour is always restarted', () => {
    const policy = new RestartPolicy();
    for (let hour = 0; hour < 5; hour++) {
      assert.deepEqual(policy.recordCrash(hour * 3_600_000), { action: 'restart', delayMs: 1_000, crashes: 1 });
    }
    const slow = new RestartPolicy();
    slow.recordCrash(0);
    slow.recordCrash(50_000);
    // The first crash has left the window: two within it, not three.
    assert.equal(slow.recordCrash(70_000).action, 'restart');
  });

  it('starts over after reset() (the user pressed Retry or changed a setting)', () => {
    const policy = new RestartPolicy();
    policy.recordCrash(0);
    policy.recordCrash(1);
    policy.reset();
    assert.deepEqual(policy.recordCrash(2), { action: 'restart', delayMs: 1_000, crashes: 1 });
  });

  it('doubles delays up to the cap', () => {
    const policy = new RestartPolicy({ maxCrashes: 10, windowMs: 60_000, initialDelayMs: 1_000, maxDelayMs: 4_000 });
    const delays = Array.from({ length: 5 }, (_, i) => policy.recordCrash(i)).map((d) => (d.action === 'restart' ? d.delayMs : -1));
    assert.deepEqual(delays, [1_000, 2_000, 4_000, 4_000, 4_000]);
    assert.equal(backoffDelay(-1, 100, 1_000), 100);
    const backoff = new Backoff(500, 30_000);
    assert.deepEqual([backoff.next(), backoff.next(), backoff.next()], [500, 1_000, 2_000]);
    backoff.reset();
    assert.equal(backoff.next(), 500);
  });
});
