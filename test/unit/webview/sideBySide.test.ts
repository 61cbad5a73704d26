import * as assert from 'node:assert/strict';
import type { DiffSide, NodeDiff, RunDiff } from '../../../protocol/replay';
import { jsonLineDiff, lineDiff, prettyJson } from '../../../webview/model/lineDiff';
import { compareTitle, counterpart, pairRuns, tintOf } from '../../../webview/model/sideBySide';
import { Throttle, type ThrottleClock } from '../../../webview/model/throttle';

const side = (id: string, name: string): DiffSide => ({
  id,
  kind: 'step',
  name,
  status: 'ok',
  seq: 0,
  durationMs: 1,
  replayed: false,
  diverged: false,
});

const entry = (key: string, change: NodeDiff['change'], a: DiffSide | null, b: DiffSide | null, output?: NodeDiff['output']): NodeDiff => ({
  key,
  change,
  a,
  b,
  statusChanged: false,
  outputChanged: output !== undefined,
  errorChanged: false,
  durationDeltaMs: null,
  ...(output === undefined ? {} : { output }),
});

/** b replays a: `fetch` same, `route` changed, `repro` added, `fix` removed. */
const diff: RunDiff = {
  a: 'run_a',
  b: 'run_b',
  firstDivergence: { key: '/route#0', change: 'changed', aNodeId: 'a2', bNodeId: 'b2' },
  counts: { added: 1, removed: 1, changed: 1, same: 1 },
  durationDeltaMs: null,
  nodes: [
    entry('/fetch#0', 'same', side('a1', 'fetch'), side('b1', 'fetch')),
    entry('/route#0', 'changed', side('a2', 'route'), side('b2', 'route'), { a: 'fix-now', b: 'needs-repro' }),
    entry('/repro#0', 'added', null, side('b3', 'repro')),
    entry('/fix#0', 'removed', side('a4', 'fix'), null),
  ],
};

describe('webview side-by-side compare (model/sideBySide, lineDiff, throttle)', () => {
  describe('pairing', () => {
    it('maps each side’s node ids to their change: a has removed/changed/same, b added/changed/same', () => {
      const view = pairRuns(diff);
      assert.deepEqual(Object.fromEntries(view.changes.a), { a1: 'same', a2: 'changed', a4: 'removed' });
      assert.deepEqual(Object.fromEntries(view.changes.b), { b1: 'same', b2: 'changed', b3: 'added' });
      assert.deepEqual(view.firstDivergence, { key: '/route#0', change: 'changed', a: 'a2', b: 'b2' });
      assert.deepEqual(
        view.removed.map((e) => e.key),
        ['/fix#0'],
      );
      assert.deepEqual(view.counts, diff.counts);
    });

    it('finds the counterpart with the same key on the other side, none for added or removed keys', () => {
      const view = pairRuns(diff);
      assert.equal(counterpart(view, 'a', 'a2'), 'b2');
      assert.equal(counterpart(view, 'b', 'b1'), 'a1');
      assert.equal(counterpart(view, 'b', 'b3'), undefined);
      assert.equal(counterpart(view, 'a', 'a4'), undefined);
      assert.equal(counterpart(view, 'a', 'unknown'), undefined);
    });

    it('pairs 5,000 keys a side in linear time', () => {
      const n = 5_000;
      const big: RunDiff = {
        ...diff,
        nodes: Array.from({ length: n }, (_, i) =>
          entry(`/k${i}#0`, i % 7 === 0 ? 'changed' : 'same', side(`a${i}`, 'x'), side(`b${i}`, 'x')),
        ),
      };
      const view = pairRuns(big);
      assert.equal(view.changes.a.size, n);
      for (let i = 0; i < n; i += 997) assert.equal(counterpart(view, 'a', `a${i}`), `b${i}`);
    });

    it('a run that matches has no first divergence', () => {
      const same: RunDiff = { ...diff, firstDivergence: null, nodes: [diff.nodes[0] as NodeDiff] };
      assert.equal(pairRuns(same).firstDivergence, null);
    });
  });

  describe('colours per side', () => {
    it('tints added green on b, removed red on a, changed yellow on both, same not at all', () => {
      assert.equal(tintOf('b', 'added'), 'added');
      assert.equal(tintOf('a', 'removed'), 'removed');
      assert.equal(tintOf('a', 'changed'), 'changed');
      assert.equal(tintOf('b', 'changed'), 'changed');
      assert.equal(tintOf('a', 'same'), undefined);
      assert.equal(tintOf('b', 'same'), undefined);
      assert.equal(tintOf('b', undefined), undefined);
      // Never the other side's colour, should a map hold one.
      assert.equal(tintOf('a', 'added'), undefined);
      assert.equal(tintOf('b', 'removed'), undefined);
    });

    it('titles the view "a (status) ⟷ b (status)"', () => {
      assert.equal(compareTitle({ id: 'run_a', status: 'ok' }, { id: 'run_b', status: 'running' }), 'run_a (ok) ⟷ run_b (running)');
    });
  });

  describe('line diff', () => {
    it('marks the lines only a has as removed and only b has as added, the rest same', () => {
      const diff = lineDiff(['{', '  "x": 1,', '  "y": 2', '}'], ['{', '  "x": 1,', '  "y": 3,', '  "z": 4', '}']);
      assert.deepEqual(
        diff.a.map((l) => l.op),
        ['same', 'same', 'removed', 'same'],
      );
      assert.deepEqual(
        diff.b.map((l) => l.op),
        ['same', 'same', 'added', 'added', 'same'],
      );
      assert.equal(diff.changed, true);
    });

    it('finds the shortest script inside the changed middle (Myers), not just a common head and tail', () => {
      const a = ['a', 'b', 'c', 'd', 'e', 'f'];
      const b = ['a', 'x', 'c', 'd', 'y', 'f'];
      const diff = lineDiff(a, b);
      assert.deepEqual(
        diff.a.map((l) => `${l.op[0]}${l.text}`),
        ['sa', 'rb', 'sc', 'sd', 're', 'sf'],
      );
      assert.deepEqual(
        diff.b.map((l) => `${l.op[0]}${l.text}`),
        ['sa', 'ax', 'sc', 'sd', 'ay', 'sf'],
      );
    });

    it('compares pretty JSON with sorted keys: key order is no change', () => {
      assert.equal(jsonLineDiff({ b: 1, a: [1, 2] }, { a: [1, 2], b: 1 }).changed, false);
      const diff = jsonLineDiff({ chosen: 'fix-now', score: 1 }, { chosen: 'needs-repro', score: 1 });
      assert.deepEqual(
        diff.a.filter((l) => l.op === 'removed').map((l) => l.text.trim()),
        ['"chosen": "fix-now",'],
      );
      assert.deepEqual(
        diff.b.filter((l) => l.op === 'added').map((l) => l.text.trim()),
        ['"chosen": "needs-repro",'],
      );
      assert.equal(prettyJson('plain text'), 'plain text');
      assert.equal(prettyJson(null), 'null');
    });

    it('handles an empty side and falls back to "all changed" past the edit limit', () => {
      const onlyB = lineDiff([], ['x', 'y']);
      assert.deepEqual(
        onlyB.b.map((l) => l.op),
        ['added', 'added'],
      );
      const a = Array.from({ length: 50 }, (_, i) => `a${i}`);
      const b = Array.from({ length: 50 }, (_, i) => `b${i}`);
      const coarse = lineDiff(a, b, 10);
      assert.ok(coarse.a.every((l) => l.op === 'removed'));
      assert.ok(coarse.b.every((l) => l.op === 'added'));
    });

    it('diffs 10,000-line payloads with a few changes quickly (O((n+m)·d), not quadratic)', () => {
      const a = Array.from({ length: 10_000 }, (_, i) => `line ${i}`);
      const b = a.map((line, i) => (i % 2_500 === 100 ? `${line} changed` : line));
      const diff = lineDiff(a, b);
      assert.equal(diff.a.filter((l) => l.op === 'removed').length, 4);
      assert.equal(diff.b.filter((l) => l.op === 'added').length, 4);
    });
  });

  describe('throttle', () => {
    /** A clock the test moves by hand. */
    const manualClock = () => {
      let now = 0;
      const timers: Array<{ at: number; fn: () => void } | undefined> = [];
      const clock: ThrottleClock = {
        now: () => now,
        setTimer: (fn, ms) => timers.push({ at: now + ms, fn }) - 1,
        clearTimer: (handle) => {
          timers[handle as number] = undefined;
        },
      };
      const advance = async (ms: number) => {
        now += ms;
        for (let i = 0; i < timers.length; i++) {
          const timer = timers[i];
          if (timer !== undefined && timer.at <= now) {
            timers[i] = undefined;
            timer.fn();
          }
        }
        for (let i = 0; i < 5; i++) await Promise.resolve();
      };
      return { clock, advance };
    };

    it('runs at most once per interval and always once after the last request', async () => {
      const { clock, advance } = manualClock();
      let runs = 0;
      const throttle = new Throttle(
        async () => {
          runs++;
        },
        500,
        clock,
      );
      throttle.request();
      await advance(0);
      assert.equal(runs, 1, 'the first request runs at once');
      for (let t = 0; t < 10; t++) {
        throttle.request();
        await advance(40);
      }
      assert.equal(runs, 1, 'requests within the interval wait');
      await advance(200);
      assert.equal(runs, 2, 'the interval over, the pending request ran (once)');
      await advance(1_000);
      assert.equal(runs, 2, 'nothing more without a request');
      throttle.request();
      await advance(0);
      assert.equal(runs, 3);
      throttle.request();
      throttle.stop();
      await advance(1_000);
      assert.equal(runs, 3, 'nothing after stop');
    });

    it('never runs two at once: a request during a run is served after it', async () => {
      const { clock, advance } = manualClock();
      let running = 0;
      let most = 0;
      let release: (() => void) | undefined;
      let runs = 0;
      const throttle = new Throttle(
        () =>
          new Promise<void>((resolve) => {
            runs++;
            running++;
            most = Math.max(most, running);
            release = () => {
              running--;
              resolve();
            };
          }),
        500,
        clock,
      );
      throttle.request();
      await advance(0);
      await advance(600);
      throttle.request();
      await advance(600);
      assert.equal(runs, 1, 'waits for the running task');
      release?.();
      await advance(0);
      assert.equal(runs, 2, 'then runs the request it got meanwhile');
      release?.();
      await advance(0);
      assert.equal(most, 1);
    });
  });
});
