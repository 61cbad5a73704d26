import * as assert from 'node:assert/strict';
import { ChangeBatch } from '../../../extension/views/changeBatch';

/** Timers under the test's control: `tick()` runs what is scheduled. */
function manualTimers() {
  let pending: (() => void) | undefined;
  return {
    timers: {
      set: ((fn: () => void) => {
        pending = fn;
        return 1 as unknown as ReturnType<typeof setTimeout>;
      }) as unknown as typeof setTimeout,
      clear: (() => {
        pending = undefined;
      }) as typeof clearTimeout,
    },
    tick: () => {
      const fn = pending;
      pending = undefined;
      fn?.();
    },
    get scheduled() {
      return pending !== undefined;
    },
  };
}

describe('extension ChangeBatch', () => {
  it('delivers a burst of changes once, deduplicated', () => {
    const clock = manualTimers();
    const flushed: unknown[] = [];
    const batch = new ChangeBatch<string>((changes) => flushed.push(changes), 100, clock.timers);
    batch.add('a');
    batch.add('b');
    batch.add('a');
    assert.deepEqual(flushed, []);
    clock.tick();
    assert.deepEqual(flushed, [['a', 'b']]);
    assert.equal(clock.scheduled, false);
  });

  it('lets "everything" absorb single items', () => {
    const clock = manualTimers();
    const flushed: unknown[] = [];
    const batch = new ChangeBatch<string>((changes) => flushed.push(changes), 100, clock.timers);
    batch.add('a');
    batch.addAll();
    batch.add('b');
    clock.tick();
    assert.deepEqual(flushed, ['all']);
  });

  it('flushes on demand and forgets everything when disposed', () => {
    const clock = manualTimers();
    const flushed: unknown[] = [];
    const batch = new ChangeBatch<string>((changes) => flushed.push(changes), 100, clock.timers);
    batch.add('a');
    batch.flush();
    assert.deepEqual(flushed, [['a']]);
    batch.flush();
    assert.deepEqual(flushed, [['a']], 'nothing queued, nothing delivered');
    batch.add('b');
    batch.dispose();
    clock.tick();
    assert.deepEqual(flushed, [['a']]);
  });

  it('waits while not ready (a children fetch in flight), then delivers everything queued', () => {
    const clock = manualTimers();
    const flushed: unknown[] = [];
    let ready = false;
    const batch = new ChangeBatch<string>(
      (changes) => flushed.push(changes),
      100,
      clock.timers,
      () => ready,
    );
    batch.add('run');
    clock.tick();
    assert.deepEqual(flushed, []);
    assert.equal(clock.scheduled, true, 'tries again next window');
    batch.add('node');
    ready = true;
    clock.tick();
    assert.deepEqual(flushed, [['run', 'node']]);
  });
});
