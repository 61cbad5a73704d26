/**
 * When to lay a growing graph out again (both panes of the page use one each): at once when the
 * last layout was cheap, otherwise after a pause of four times what it cost, so a 50,000-node run
 * growing live spends at most a fifth of its time in layout. Changes that arrive during the pause
 * are covered by the one layout at its end.
 */
export class LayoutPacer {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastAt = 0;
  private dirty = false;
  /** What the last layout took (the page's test hook reports it). */
  costMs = 0;

  /** `layout` computes the layout (what is measured); `show` draws it. */
  constructor(
    private readonly layout: () => void,
    private readonly show: () => void,
  ) {}

  /** Lays out now, measured, then shows it. */
  now(): void {
    const started = performance.now();
    this.dirty = false;
    this.layout();
    this.lastAt = performance.now();
    this.costMs = this.lastAt - started;
    this.show();
  }

  /** Lays out now if that is cheap, else once the pause after the last layout is over. */
  schedule(): void {
    this.dirty = true;
    if (this.timer !== undefined) return;
    const wait = Math.max(0, this.lastAt + this.costMs * 4 - performance.now());
    if (wait <= 0) {
      this.now();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.dirty) this.now();
    }, wait);
  }

  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
