/**
 * Runs an async task at most once per `intervalMs`, never two at once, and always once more after
 * the last request (a trailing run): the side-by-side compare recomputes its diff on live changes
 * of either run this way (issue 8: ≤ 1 per 500 ms, the last change always leads to a final
 * recomputation). `now` and `setTimer` are injectable for the unit tests.
 */
export interface ThrottleClock {
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

const realClock: ThrottleClock = {
  now: () => performance.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export class Throttle {
  private lastStart = Number.NEGATIVE_INFINITY;
  private running = false;
  private wanted = false;
  private timer: unknown;
  private stopped = false;

  constructor(
    private readonly task: () => Promise<void>,
    private readonly intervalMs = 500,
    private readonly clock: ThrottleClock = realClock,
  ) {}

  /** Something changed: run the task now if allowed, else once the interval (and a running task) is over. */
  request(): void {
    if (this.stopped) return;
    this.wanted = true;
    this.pump();
  }

  /** No more runs (the view left compare mode). A running task finishes; nothing follows it. */
  stop(): void {
    this.stopped = true;
    this.wanted = false;
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  private pump(): void {
    if (!this.wanted || this.running || this.timer !== undefined || this.stopped) return;
    const wait = this.lastStart + this.intervalMs - this.clock.now();
    if (wait > 0) {
      this.timer = this.clock.setTimer(() => {
        this.timer = undefined;
        this.pump();
      }, wait);
      return;
    }
    this.wanted = false;
    this.running = true;
    this.lastStart = this.clock.now();
    void this.task()
      .catch(() => {
        // The task reports its own failures; the throttle only paces it.
      })
      .finally(() => {
        this.running = false;
        this.pump();
      });
  }
}
