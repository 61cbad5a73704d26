import type { NodeChange } from '../../protocol/replay';
import type { NodeSummary, Run } from '../../protocol/runs';
import type { Host, HostEvent } from '../host';
import { expandTo, initialCollapsed } from '../model/collapse';
import { DeltaQueue } from '../model/deltaQueue';
import { type Layout, layoutGraph, type Orientation } from '../model/layout';
import { LayoutPacer } from '../model/layoutPacer';
import { RunGraph } from '../model/runGraph';
import { GraphCanvas, type View } from '../render/graphCanvas';

/**
 * The left pane of the side-by-side compare: run `a` (the base) in its own tree, drawn by the same
 * GraphCanvas as the main graph (app.ts draws `b`, the run on screen, on the right). It loads the
 * run, follows its live changes (layout paced like the main graph's: at once when cheap, else
 * after 4× its last duration) and keeps its own zoom, selection and collapsed state; compare
 * mode (compareMode.ts) gives it the diff tints and pairs its selection with b's.
 */
export interface ComparePaneEvents {
  /** A node was clicked (undefined: empty space). */
  select(id: string | undefined): void;
  /** The run changed (nodes or status): the diff should be recomputed. */
  changed(): void;
  /** The run could not be loaded or reloaded. */
  failed(message: string): void;
}

const decisionFetchLimit = 200;

export class ComparePane {
  readonly element: HTMLElement;
  graph: RunGraph | undefined;
  collapsed = new Set<string>();
  selected: string | undefined;
  visibleCount = 0;
  private layout: Layout | undefined;
  private hiddenCounts = new Map<string, number>();
  private changes: ReadonlyMap<string, NodeChange> | undefined;
  private firstDivergence: string | undefined;
  private readonly canvas: GraphCanvas;
  private readonly label = document.createElement('div');
  private readonly queue = new DeltaQueue();
  private flushFrame = 0;
  private readonly pacer = new LayoutPacer(
    () => {
      if (this.graph === undefined) return;
      this.layout = layoutGraph(this.graph, this.collapsed, this.orientation);
      this.hiddenCounts = this.graph.descendantCounts();
    },
    () => {
      this.redraw();
      if (this.autoFit) this.canvas.fit(true);
    },
  );
  private autoFit = true;
  private unsubscribe: (() => void) | undefined;
  private disposed = false;
  private readonly decisionsFetched = new Set<string>();

  constructor(
    private readonly host: Host,
    readonly runId: string,
    private orientation: Orientation,
    private readonly events: ComparePaneEvents,
  ) {
    this.element = document.createElement('div');
    this.element.className = 'rt-graph rt-pane-a';
    this.element.dataset.testid = 'graph-a';
    this.label.className = 'rt-pane-label';
    this.label.textContent = `a · ${runId}`;
    this.element.append(this.label);
    this.canvas = new GraphCanvas(this.element, {
      select: (id) => this.events.select(id),
      toggle: (id) => this.toggle(id),
      viewChanged: () => {},
      drawn: (visible) => {
        this.visibleCount = visible;
        this.element.dataset.nodeCount = String(this.graph?.size ?? 0);
        this.element.dataset.visibleCount = String(visible);
      },
      resized: () => {
        if (this.autoFit) this.canvas?.fit(true);
      },
    });
    this.canvas.canvas.setAttribute('aria-label', `Compared run a, ${runId} (left pane): click a node to select it and its counterpart`);
    for (const type of ['pointerdown', 'wheel'] as const) this.canvas.canvas.addEventListener(type, () => this.stopAutoFit());
  }

  get run(): Run | undefined {
    return this.graph?.run;
  }

  get view(): View {
    return { ...this.canvas.view };
  }

  async load(): Promise<void> {
    const snapshot = await this.host.loadRun(this.runId);
    if (this.disposed) return;
    this.graph = new RunGraph(snapshot.run, snapshot.nodes);
    this.collapsed = initialCollapsed(this.graph);
    this.renderLabel();
    this.relayout();
    this.canvas.fit(true);
    this.unsubscribe = this.host.subscribe(this.runId, (event) => this.onHostEvent(event));
    this.fetchDecisions([...this.graph.all()].filter((node) => node.kind === 'decision').map((node) => node.id));
  }

  dispose(): void {
    this.disposed = true;
    this.unsubscribe?.();
    if (this.flushFrame !== 0) cancelAnimationFrame(this.flushFrame);
    this.pacer.dispose();
    this.element.remove();
  }

  get(id: string): NodeSummary | undefined {
    return this.graph?.get(id);
  }

  setDiff(changes: ReadonlyMap<string, NodeChange> | undefined, firstDivergence: string | undefined): void {
    this.changes = changes;
    this.firstDivergence = firstDivergence;
    this.redraw();
  }

  setOrientation(orientation: Orientation): void {
    this.orientation = orientation;
    this.relayout();
    this.canvas.fit(true);
  }

  /** Selects (and, with `reveal`, scrolls to) a node; undefined clears the selection. */
  select(id: string | undefined, reveal: boolean): void {
    const graph = this.graph;
    if (graph === undefined) return;
    if (id !== undefined && graph.get(id) === undefined) id = undefined;
    this.selected = id;
    if (id !== undefined) {
      if (expandTo(graph, this.collapsed, id)) this.relayout();
      if (reveal) {
        this.stopAutoFit();
        this.canvas.reveal(id);
      }
    }
    this.redraw();
  }

  refreshPalette(): void {
    this.canvas.refreshPalette();
  }

  fit(): void {
    this.canvas.fit();
  }

  /** Page coordinates of a node's centre, or undefined when it is not laid out. */
  screenPosition(id: string): { x: number; y: number } | undefined {
    const placed = this.layout?.placed.get(id);
    if (placed === undefined) return undefined;
    const rect = this.canvas.canvas.getBoundingClientRect();
    const { x, y, k } = this.canvas.view;
    return { x: rect.left + x + (placed.x + 100) * k, y: rect.top + y + (placed.y + 20) * k };
  }

  private renderLabel(): void {
    const run = this.graph?.run;
    this.label.textContent =
      run === undefined ? `a · ${this.runId}` : `a · ${run.workflow} · ${run.id} · ${run.status} · ${this.graph?.size ?? 0} nodes`;
  }

  private stopAutoFit(): void {
    this.autoFit = false;
  }

  private toggle(id: string): void {
    if (this.graph === undefined || !this.graph.hasChildren(id)) return;
    if (!this.collapsed.delete(id)) this.collapsed.add(id);
    this.relayout();
  }

  private relayout(): void {
    if (this.graph !== undefined && !this.disposed) this.pacer.now();
  }

  private redraw(): void {
    if (this.layout === undefined || this.graph === undefined) return;
    this.canvas.setScene({
      graph: this.graph,
      layout: this.layout,
      collapsed: this.collapsed,
      hiddenCounts: this.hiddenCounts,
      selected: this.selected,
      matches: new Set(),
      currentMatch: undefined,
      timeline: undefined,
      changes: this.changes,
      firstDivergence: this.firstDivergence,
      side: 'a',
    });
  }

  private onHostEvent(event: HostEvent): void {
    if (this.disposed || this.graph === undefined) return;
    switch (event.type) {
      case 'node':
        this.queue.push(event.delta);
        if (this.flushFrame === 0) this.flushFrame = requestAnimationFrame(() => this.flush());
        return;
      case 'run':
        if (event.run.id !== this.runId) return;
        this.graph.run = event.run;
        this.renderLabel();
        this.events.changed();
        return;
      case 'reset':
        void this.reload();
        return;
      default:
        return;
    }
  }

  private flush(): void {
    this.flushFrame = 0;
    if (this.graph === undefined || this.disposed) return;
    const result = this.graph.apply(this.queue.drain());
    if (result.added + result.changed === 0) return;
    this.renderLabel();
    if (result.newDecisions.length > 0) this.fetchDecisions(result.newDecisions);
    if (result.structural) this.pacer.schedule();
    else this.redraw();
    this.events.changed();
  }

  /** Changes were missed (or b's view reloaded): a fresh snapshot, keeping zoom, selection and collapsed state. */
  async reload(): Promise<void> {
    try {
      const snapshot = await this.host.loadRun(this.runId);
      if (this.disposed || this.graph === undefined) return;
      const decisions = this.graph.decisions;
      this.graph = new RunGraph(snapshot.run, snapshot.nodes);
      for (const [id, decision] of decisions) this.graph.decisions.set(id, decision);
      this.renderLabel();
      this.relayout();
      this.events.changed();
    } catch (cause) {
      this.events.failed(`Could not reload run ${this.runId}: ${cause instanceof Error ? cause.message : String(cause)}`);
    }
  }

  private fetchDecisions(ids: readonly string[]): void {
    const todo = ids.filter((id) => !this.decisionsFetched.has(id)).slice(0, Math.max(0, decisionFetchLimit - this.decisionsFetched.size));
    for (const id of todo) this.decisionsFetched.add(id);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < todo.length && !this.disposed) {
        const id = todo[next++] as string;
        try {
          const node = await this.host.openNode(id);
          this.graph?.setDecision(id, node.attributes, node.input);
          this.pacer.schedule();
        } catch {
          // Options stay undrawn; the inspector shows the error when someone selects the node.
        }
      }
    };
    for (let i = 0; i < Math.min(2, todo.length); i++) void worker();
  }
}
