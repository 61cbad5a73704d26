import type { NodeStatus } from '../../protocol/runs';
import type { RunGraph } from '../model/runGraph';
import { type TimelineEvent, timelineEvents } from '../model/timeline';
import { formatDuration } from '../render/format';
import { button } from './toolkit';

/**
 * The scrubber under the graph: position N shows the run as it was after its first N events
 * (position 1 is the first node starting). At the end it is "live": everything, as it arrives.
 * Playing advances a clock through the events' times; 1× is real time, but a long run is
 * compressed to 20 s so nobody waits an hour.
 */
export interface TimelineState {
  readonly position: number;
  readonly length: number;
  readonly playing: boolean;
  readonly speed: number;
}

export class TimelineBar {
  readonly element: HTMLElement;
  private events: TimelineEvent[] = [];
  private position = 0;
  private playing = false;
  private speed = 1;
  private clock = 0;
  private lastTick = 0;
  private frame = 0;
  /** Incremental replay state: what is shown after `appliedUpTo` events. */
  private shown = new Map<string, NodeStatus>();
  private appliedUpTo = 0;
  private stale = false;
  private readonly slider: HTMLInputElement;
  private readonly label: HTMLElement;
  private readonly play: HTMLElement;

  constructor(
    private graph: RunGraph,
    private readonly onChange: () => void,
  ) {
    this.element = document.createElement('div');
    this.element.className = 'rt-timeline';
    this.play = button('Play', { title: 'Replay the run in event order', onClick: () => this.toggle() });
    this.slider = document.createElement('input');
    this.slider.type = 'range';
    this.slider.min = '1';
    this.slider.setAttribute('aria-label', 'Timeline position');
    this.slider.addEventListener('input', () => {
      this.pause();
      this.seek(Number(this.slider.value));
    });
    const speed = document.createElement('select');
    speed.setAttribute('aria-label', 'Replay speed');
    for (const value of [0.5, 1, 2, 5, 10, 50]) {
      const option = document.createElement('option');
      option.value = String(value);
      option.textContent = `${value}×`;
      option.selected = value === 1;
      speed.append(option);
    }
    speed.addEventListener('change', () => {
      this.speed = Number(speed.value);
    });
    const live = button('Live', { title: 'Show everything, as it arrives', onClick: () => this.seek(this.events.length) });
    this.label = document.createElement('span');
    this.label.className = 'rt-status';
    this.element.append(this.play, this.slider, speed, live, this.label);
    this.refresh();
  }

  get state(): TimelineState {
    return { position: this.position, length: this.events.length, playing: this.playing, speed: this.speed };
  }

  /** At the end: no replay filter, the graph as it is (live). */
  get atEnd(): boolean {
    return this.position >= this.events.length;
  }

  /** The nodes shown and their status at the current position; undefined when at the end. */
  visible(): ReadonlyMap<string, NodeStatus> | undefined {
    if (this.atEnd) return undefined;
    if (this.position < this.appliedUpTo) {
      this.shown = new Map();
      this.appliedUpTo = 0;
    }
    for (; this.appliedUpTo < this.position; this.appliedUpTo++) {
      const event = this.events[this.appliedUpTo] as TimelineEvent;
      const node = this.graph.get(event.id);
      if (node !== undefined) this.shown.set(event.id, event.type === 'start' ? 'running' : node.status);
    }
    return this.shown;
  }

  /**
   * New or changed nodes. Live (at the end, not playing) only marks the events stale: sorting
   * 50,000 events every frame of a live run would cost more than drawing it. They are rebuilt
   * when someone scrubs or plays.
   */
  rebuild(graph: RunGraph): void {
    this.graph = graph;
    if (this.atEnd && !this.playing) {
      this.stale = true;
      this.slider.value = this.slider.max;
      this.label.textContent = `live · ${graph.size} nodes`;
      return;
    }
    this.refresh();
  }

  private ensureFresh(): void {
    if (this.stale) this.refresh();
  }

  private refresh(): void {
    const wasAtEnd = this.atEnd;
    this.stale = false;
    const graph = this.graph;
    this.events = timelineEvents(graph);
    this.shown = new Map();
    this.appliedUpTo = 0;
    this.position = wasAtEnd ? this.events.length : Math.min(this.position, this.events.length);
    this.render();
  }

  seek(position: number): void {
    this.ensureFresh();
    this.position = Math.max(Math.min(1, this.events.length), Math.min(position, this.events.length));
    this.clock = this.timeAt(this.position);
    this.render();
    this.onChange();
  }

  toggle(): void {
    if (this.playing) this.pause();
    else this.start();
  }

  private start(): void {
    this.ensureFresh();
    if (this.events.length === 0) return;
    if (this.atEnd) this.position = 1;
    this.playing = true;
    this.clock = this.timeAt(this.position);
    this.lastTick = performance.now();
    this.render();
    this.onChange();
    const tick = (now: number) => {
      if (!this.playing) return;
      const first = this.events[0]?.at ?? 0;
      const last = this.finiteEnd();
      const rate = Math.max(1, (last - first) / 20_000) * this.speed;
      this.clock += (now - this.lastTick) * rate;
      this.lastTick = now;
      let next = this.position;
      while (next < this.events.length && (this.events[next] as TimelineEvent).at <= this.clock) next++;
      // Events without times come after every timed one: step through them one per frame.
      if (next === this.position && next < this.events.length && (this.events[next] as TimelineEvent).at === Number.MAX_SAFE_INTEGER)
        next++;
      if (next !== this.position) {
        this.position = next;
        this.render();
        this.onChange();
      }
      if (this.atEnd) {
        this.pause();
        return;
      }
      this.frame = requestAnimationFrame(tick);
    };
    this.frame = requestAnimationFrame(tick);
  }

  pause(): void {
    if (!this.playing) return;
    this.playing = false;
    cancelAnimationFrame(this.frame);
    this.render();
    this.onChange();
  }

  private timeAt(position: number): number {
    return (this.events[Math.max(0, position - 1)] as TimelineEvent | undefined)?.at ?? 0;
  }

  private finiteEnd(): number {
    for (let i = this.events.length - 1; i >= 0; i--) {
      const at = (this.events[i] as TimelineEvent).at;
      if (at !== Number.MAX_SAFE_INTEGER) return at;
    }
    return 0;
  }

  private render(): void {
    this.slider.max = String(Math.max(1, this.events.length));
    this.slider.value = String(this.position);
    this.slider.disabled = this.events.length === 0;
    this.play.textContent = this.playing ? 'Pause' : 'Play';
    if (this.atEnd && !this.playing) {
      this.label.textContent = `live · ${this.graph.size} nodes`;
      return;
    }
    const first = this.events[0]?.at ?? 0;
    const at = this.timeAt(this.position);
    const offset = at === Number.MAX_SAFE_INTEGER ? '' : `t+${formatDuration(at - first) || '0 ms'} · `;
    this.label.textContent = `${offset}${this.position} / ${this.events.length} events`;
  }
}
