/**
 * Coalesces change notifications: a burst of live events (a workflow posting hundreds of nodes a
 * second) becomes one refresh per window instead of one per event. "Everything" absorbs any
 * single items queued with it. Pure (timers injectable).
 */
export class ChangeBatch<T> {
  private items = new Set<T>();
  private everything = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly flushTo: (changes: T[] | 'all') => void,
    private readonly delayMs = 100,
    private readonly timers: { set: typeof setTimeout; clear: typeof clearTimeout } = { set: setTimeout, clear: clearTimeout },
    /** While false, a due flush waits another window (see RunsView: no refresh during a children fetch). */
    private readonly ready: () => boolean = () => true,
  ) {}

  add(item: T): void {
    if (!this.everything) this.items.add(item);
    this.schedule();
  }

  addAll(): void {
    this.everything = true;
    this.items.clear();
    this.schedule();
  }

  /** Delivers what is queued now (before a reveal, which must see the refreshed tree). */
  flush(): void {
    if (this.timer !== undefined) this.timers.clear(this.timer);
    this.timer = undefined;
    const changes: T[] | 'all' = this.everything ? 'all' : [...this.items];
    this.everything = false;
    this.items = new Set();
    if (changes === 'all' || changes.length > 0) this.flushTo(changes);
  }

  dispose(): void {
    if (this.timer !== undefined) this.timers.clear(this.timer);
    this.timer = undefined;
    this.items.clear();
    this.everything = false;
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    this.timer = this.timers.set(() => {
      this.timer = undefined;
      if (this.ready()) this.flush();
      else this.schedule();
    }, this.delayMs);
  }
}
