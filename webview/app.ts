import type { ReplayRequest } from '../protocol/replay';
import type { Node, NodeSummary, Run } from '../protocol/runs';
import type { Host, HostEvent, ViewState } from './host';
import { renderedEvent } from './hosts/vscodeHost';
import { expandTo, initialCollapsed } from './model/collapse';
import { DeltaQueue } from './model/deltaQueue';
import { type Layout, layoutGraph, type Orientation } from './model/layout';
import { LayoutPacer } from './model/layoutPacer';
import { type Decision, RunGraph } from './model/runGraph';
import { GraphCanvas } from './render/graphCanvas';
import { type CompareApp, type CompareHook, CompareMode, type DiffHook } from './ui/compareMode';
import { describe, Inspector } from './ui/inspector';
import { SearchBox } from './ui/searchBox';
import { TimelineBar } from './ui/timelineBar';
import { button } from './ui/toolkit';

/**
 * The graph view of one run: loads the snapshot, lays it out, draws it, and keeps it current.
 * Live deltas are queued and applied once per animation frame; the layout is redone at most as
 * often as it can afford (a slow layout waits several of its own durations), and never touches
 * the zoom, the selection or what is collapsed.
 */
export interface GraphHook {
  readonly runId: string | undefined;
  readonly runStatus: string | undefined;
  readonly nodeCount: number;
  readonly visibleCount: number;
  readonly selectedId: string | undefined;
  readonly inspectorNodeId: string | undefined;
  readonly matches: readonly string[];
  readonly currentMatch: string | undefined;
  readonly collapsed: readonly string[];
  readonly zoom: { readonly x: number; readonly y: number; readonly k: number };
  readonly orientation: Orientation;
  readonly timeline: { readonly position: number; readonly length: number; readonly playing: boolean };
  readonly layoutMs: number;
  readonly firstPaintMs: number | undefined;
  /** Diff mode (Compare with…): the run compared against, the counts, where the runs first part. */
  readonly diff: DiffHook | undefined;
  /** Side-by-side compare (`ui/compareMode.ts`). */
  readonly compare: CompareHook | undefined;
  /** The snapshot said the run is read-only (opened from a bundle): no Fork here / Take / Compare with. */
  readonly readOnly: boolean;
  /** The run the last Fork here / Take … started (the page then opens it). */
  readonly replayStarted: string | undefined;
  /** Page coordinates of a node's centre (to click it), or undefined when it is not drawn. */
  screenPosition(id: string): { x: number; y: number } | undefined;
  /** The same in the compare pane of run a. */
  screenPositionA(id: string): { x: number; y: number } | undefined;
}

const decisionFetchLimit = 200;

export class GraphApp {
  private graph!: RunGraph;
  private collapsed = new Set<string>();
  private layout: Layout | undefined;
  private hiddenCounts = new Map<string, number>();
  private selected: string | undefined;
  private searchBox!: SearchBox;
  private orientation: Orientation = 'top-down';
  private readonly queue = new DeltaQueue();
  private flushFrame = 0;
  private readonly pacer = new LayoutPacer(
    () => {
      this.layout = layoutGraph(this.graph, this.collapsed, this.orientation);
      this.hiddenCounts = this.graph.descendantCounts();
    },
    () => {
      this.redraw();
      if (this.autoFit) this.canvas.fit(true);
    },
  );
  private visibleCount = 0;
  private renderedSize = -1;
  private firstPaintMs: number | undefined;
  private stateTimer: ReturnType<typeof setTimeout> | undefined;
  private unsubscribe: (() => void) | undefined;
  private canvas!: GraphCanvas;
  private inspector!: Inspector;
  private timeline!: TimelineBar;
  private readonly title = document.createElement('span');
  private readonly status = document.createElement('span');
  private readonly banner = document.createElement('div');
  private readonly announcer = document.createElement('div');
  private graphHost!: HTMLElement;
  private decisionsFetched = new Set<string>();
  /** Until the user pans, zooms or selects, the graph keeps fitting itself as it grows. */
  private autoFit = true;
  /** Side-by-side compare (everything that exists only while comparing). */
  private compare!: CompareMode;
  private replayStarted: string | undefined;
  private readOnly = false;
  private readonly compareButton = document.createElement('span');
  private panes!: HTMLElement;

  constructor(
    private readonly host: Host,
    private readonly root: HTMLElement,
    private readonly runId: string,
  ) {}

  async start(): Promise<void> {
    this.root.replaceChildren(this.loadingNote());
    const saved = this.host.getState();
    const state = saved?.runId === this.runId ? saved : undefined;
    let snapshot: Awaited<ReturnType<Host['loadRun']>>;
    try {
      snapshot = await this.host.loadRun(this.runId);
    } catch (cause) {
      this.root.replaceChildren(note(`Could not load run ${this.runId}: ${describe(cause)}`));
      return;
    }
    this.graph = new RunGraph(snapshot.run, snapshot.nodes);
    this.readOnly = snapshot.readOnly === true;
    this.orientation = state?.orientation ?? 'top-down';
    this.collapsed = state?.collapsed !== undefined ? new Set(state.collapsed) : initialCollapsed(this.graph);
    this.selected = state?.selectedNodeId !== undefined && this.graph.get(state.selectedNodeId) ? state.selectedNodeId : undefined;
    this.build();
    this.relayout();
    if (state?.zoom !== undefined) {
      this.autoFit = false;
      this.canvas.setView(state.zoom);
    } else this.canvas.fit(true);
    if (this.selected !== undefined) this.select(this.selected, false);
    this.unsubscribe = this.host.subscribe(this.runId, (event) => this.onHostEvent(event));
    if (state?.compareWith !== undefined && !this.readOnly) this.compare.show(state.compareWith);
    this.host.onCompareRequest((withRunId) => {
      if (!this.readOnly) this.compare.show(withRunId);
    });
    this.fetchDecisions([...this.graph.all()].filter((node) => node.kind === 'decision').map((node) => node.id));
    const refresh = () => {
      this.canvas.refreshPalette();
      this.compare.refreshPalette();
    };
    matchMedia('(prefers-color-scheme: dark)').addEventListener('change', refresh);
    // VS Code switches themes by changing the body class.
    new MutationObserver(refresh).observe(document.body, { attributes: true, attributeFilter: ['class'] });
  }

  dispose(): void {
    this.unsubscribe?.();
    this.pacer.dispose();
    this.compare?.exit();
  }

  readonly hook: GraphHook = (() => {
    const app = this;
    return {
      get runId() {
        return app.runId;
      },
      get runStatus() {
        return app.graph?.run.status;
      },
      get nodeCount() {
        return app.graph?.size ?? 0;
      },
      get visibleCount() {
        return app.visibleCount;
      },
      get selectedId() {
        return app.selected;
      },
      get inspectorNodeId() {
        return app.inspector?.loadedId;
      },
      get matches() {
        return [...(app.searchBox?.matches ?? [])];
      },
      get currentMatch() {
        return app.searchBox?.current;
      },
      get collapsed() {
        return [...app.collapsed];
      },
      get zoom() {
        return { ...(app.canvas?.view ?? { x: 0, y: 0, k: 1 }) };
      },
      get orientation() {
        return app.orientation;
      },
      get timeline() {
        const { position, length, playing } = app.timeline?.state ?? { position: 0, length: 0, playing: false };
        return { position, length, playing };
      },
      get layoutMs() {
        return app.pacer.costMs;
      },
      get firstPaintMs() {
        return app.firstPaintMs;
      },
      get diff() {
        return app.compare?.diffHook();
      },
      get compare() {
        return app.compare?.compareHook();
      },
      get readOnly() {
        return app.readOnly;
      },
      get replayStarted() {
        return app.replayStarted;
      },
      screenPosition(id: string) {
        const placed = app.layout?.placed.get(id);
        if (placed === undefined || app.canvas === undefined) return undefined;
        const rect = app.canvas.canvas.getBoundingClientRect();
        const { x, y, k } = app.canvas.view;
        return { x: rect.left + x + (placed.x + 100) * k, y: rect.top + y + (placed.y + 20) * k };
      },
      screenPositionA(id: string) {
        return app.compare?.screenPositionA(id);
      },
    };
  })();

  // ---- building the page -----------------------------------------------------------------------

  private build(): void {
    const shell = div('rt-shell');
    const toolbar = div('rt-toolbar');
    this.title.className = 'rt-title';
    this.status.className = 'rt-status';
    this.searchBox = new SearchBox({
      graph: () => this.graph,
      changed: () => this.redraw(),
      select: (id) => this.select(id, true),
      focusGraph: () => this.canvas.canvas.focus(),
    });
    toolbar.append(
      this.title,
      this.status,
      div('rt-spacer'),
      ...this.searchBox.parts,
      button('Fit', { title: 'Fit the graph (F)', onClick: () => this.canvas.fit() }),
      button('+', { title: 'Zoom in (+)', appearance: 'icon', onClick: () => this.userZoom(1.25) }),
      button('−', { title: 'Zoom out (-)', appearance: 'icon', onClick: () => this.userZoom(0.8) }),
      button('Expand all', { title: 'Expand every subtree', onClick: () => this.setCollapsed(new Set()) }),
      button('Collapse deep', {
        title: 'Collapse deep subtrees',
        onClick: () => this.setCollapsed(initialCollapsed(this.graph, 200, 200)),
      }),
      button('Orientation', { title: 'Top-down / left-right (O)', onClick: () => this.toggleOrientation() }),
      this.compareButton,
    );
    this.compareButton.append(
      button('Compare with…', { title: 'Compare with another run, side by side', onClick: () => this.compare.show() }),
    );
    this.compareButton.hidden = this.readOnly;
    this.banner.className = 'rt-banner';
    this.banner.hidden = true;
    const main = div('rt-main');
    this.graphHost = div('rt-graph');
    this.graphHost.dataset.testid = 'graph';
    this.panes = div('rt-panes');
    this.compare = new CompareMode(this.compareApp());
    this.announcer.className = 'rt-sr';
    this.announcer.setAttribute('aria-live', 'polite');
    this.graphHost.append(this.announcer, this.compare.bLabel);
    this.inspector = new Inspector(this.host, (id, node) => this.learnDecision(id, node), {
      replay: (request, what) => this.replay(request, what),
      canReplay: () => !this.readOnly,
      changeOf: (id) => this.compare.changeOf(id),
    });
    const splitter = div('rt-splitter');
    this.dragSplitter(splitter, main);
    this.panes.append(this.graphHost);
    main.append(this.panes, splitter, this.inspector.element);
    this.timeline = new TimelineBar(this.graph, () => this.redraw());
    const top = document.createElement('div');
    top.append(toolbar, this.banner, this.compare.bar);
    shell.append(top, main, this.timeline.element);
    this.root.replaceChildren(shell);
    this.canvas = new GraphCanvas(this.graphHost, {
      select: (id) => (id === undefined ? this.clearSelection() : this.select(id, false)),
      toggle: (id) => this.toggle(id),
      viewChanged: () => this.saveState(),
      drawn: (visible) => this.drawn(visible),
      resized: () => {
        if (this.autoFit) this.canvas?.fit(true);
      },
    });
    this.canvas.canvas.addEventListener('keydown', (event) => this.onKey(event));
    for (const type of ['pointerdown', 'wheel', 'keydown'] as const) this.canvas.canvas.addEventListener(type, () => this.stopAutoFit());
    this.renderHeader();
  }

  private loadingNote(): HTMLElement {
    return note(`Loading run ${this.runId}…`);
  }

  private dragSplitter(splitter: HTMLElement, main: HTMLElement): void {
    splitter.addEventListener('pointerdown', (event) => {
      splitter.setPointerCapture(event.pointerId);
      const move = (e: PointerEvent) => {
        const width = Math.max(200, Math.min(main.clientWidth - 200, main.getBoundingClientRect().right - e.clientX));
        main.style.setProperty('--rt-inspector-width', `${width}px`);
      };
      splitter.addEventListener('pointermove', move);
      splitter.addEventListener('pointerup', () => splitter.removeEventListener('pointermove', move), { once: true });
    });
  }

  private renderHeader(): void {
    const run: Run = this.graph.run;
    this.title.textContent = `${run.workflow} · ${run.id}`;
    this.title.title = run.id;
    const tokens = run.tokensIn + run.tokensOut;
    this.status.textContent = [
      run.status,
      `${this.graph.size} nodes`,
      tokens > 0 ? `${tokens} tokens` : '',
      run.costUsd > 0 ? `$${run.costUsd.toFixed(4)}` : '',
    ]
      .filter((part) => part !== '')
      .join(' · ');
  }

  // ---- layout and drawing ----------------------------------------------------------------------

  private relayout(): void {
    this.pacer.now();
  }

  private userZoom(factor: number): void {
    this.autoFit = false;
    this.canvas.zoomBy(factor);
  }

  private stopAutoFit(): void {
    this.autoFit = false;
  }

  private redraw(): void {
    if (this.layout === undefined) return;
    this.canvas.setScene({
      graph: this.graph,
      layout: this.layout,
      collapsed: this.collapsed,
      hiddenCounts: this.hiddenCounts,
      selected: this.selected,
      matches: new Set(this.searchBox.matches),
      currentMatch: this.searchBox.current,
      timeline: this.timeline.visible(),
      ...this.compare.bScene(),
      side: 'b',
    });
  }

  private drawn(visible: number): void {
    // The VS Code host forwards this to the extension (`graph/rendered`): how in-editor tests see the graph.
    if (visible !== this.visibleCount || this.graph.size !== this.renderedSize || this.firstPaintMs === undefined) {
      this.renderedSize = this.graph.size;
      window.dispatchEvent(new CustomEvent(renderedEvent, { detail: { runId: this.runId, nodes: this.graph.size, visible } }));
    }
    this.visibleCount = visible;
    this.graphHost.dataset.nodeCount = String(this.graph.size);
    this.graphHost.dataset.visibleCount = String(visible);
    if (this.firstPaintMs === undefined) {
      this.firstPaintMs = -1;
      // The frame just drawn is presented before the next one starts: mark then.
      requestAnimationFrame(() => {
        performance.mark('runtrail:first-paint');
        this.firstPaintMs = performance.now();
      });
    }
  }

  // ---- live updates ----------------------------------------------------------------------------

  private onHostEvent(event: HostEvent): void {
    switch (event.type) {
      case 'node':
        this.queue.push(event.delta);
        if (this.flushFrame === 0) this.flushFrame = requestAnimationFrame(() => this.flush());
        return;
      case 'run':
        if (event.run.id === this.runId) {
          this.graph.run = event.run;
          this.renderHeader();
          this.compare.changed();
        }
        return;
      case 'deleted':
        if (event.runId === this.runId) this.showBanner('This run was deleted.');
        return;
      case 'reset':
        void this.reload();
        return;
      case 'paused':
        this.showBanner(`Live updates paused: ${event.reason}`);
        return;
      case 'resumed':
        this.showBanner(undefined);
        return;
    }
  }

  private flush(): void {
    this.flushFrame = 0;
    const result = this.graph.apply(this.queue.drain());
    if (result.added + result.changed === 0) return;
    this.renderHeader();
    if (result.structural) this.timeline.rebuild(this.graph);
    this.searchBox.graphChanged();
    if (result.newDecisions.length > 0) this.fetchDecisions(result.newDecisions);
    if (result.structural) this.pacer.schedule();
    else this.redraw();
    this.compare.changed();
  }

  /** Changes were missed: a fresh snapshot, keeping zoom, selection and collapsed state. */
  private async reload(): Promise<void> {
    try {
      const snapshot = await this.host.loadRun(this.runId);
      const decisions = this.graph.decisions;
      this.graph = new RunGraph(snapshot.run, snapshot.nodes);
      for (const [id, decision] of decisions) this.graph.decisions.set(id, decision);
      this.timeline.rebuild(this.graph);
      this.renderHeader();
      this.relayout();
      // The host reloads after missing changes: a's pane may have missed them too.
      this.compare.reloadA();
    } catch (cause) {
      this.showBanner(`Could not reload the run: ${describe(cause)}`);
    }
  }

  private fetchDecisions(ids: readonly string[]): void {
    const todo = ids.filter((id) => !this.decisionsFetched.has(id)).slice(0, Math.max(0, decisionFetchLimit - this.decisionsFetched.size));
    for (const id of todo) this.decisionsFetched.add(id);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < todo.length) {
        const id = todo[next++] as string;
        try {
          this.learnDecision(id, await this.host.openNode(id));
        } catch {
          // The inspector shows the error when someone selects it.
        }
      }
    };
    for (let i = 0; i < Math.min(4, todo.length); i++) void worker();
  }

  private learnDecision(id: string, node: Node): void {
    const before = this.graph.decisions.get(id);
    this.graph.setDecision(id, node.attributes, node.input);
    const after = this.graph.decisions.get(id);
    if (after !== undefined && JSON.stringify(before) !== JSON.stringify(after)) this.pacer.schedule();
  }

  private showBanner(text: string | undefined): void {
    this.banner.hidden = text === undefined;
    this.banner.textContent = text ?? '';
  }

  // ---- replay, and b's side of compare mode (issue 8, ui/compareMode.ts) -----------------------

  /** Fork here / Take …: start the replay (of the run whose node is inspected), then open the new run as it starts. */
  private async replay(request: ReplayRequest, what: string): Promise<void> {
    const runId = this.compare.inspectedRun();
    this.showBanner(`Starting ${what}…`);
    try {
      const run = await this.host.replay(runId, request);
      this.replayStarted = run.id;
      this.showBanner(`Started ${what}: run ${run.id}.`);
      this.host.openRun(run.id);
    } catch (cause) {
      this.showBanner(`Could not start ${what}: ${describe(cause)}`);
    }
  }

  /** What compare mode needs from the page: b's side (the run on screen) and the shared parts. */
  private compareApp(): CompareApp {
    return {
      host: this.host,
      runId: this.runId,
      panes: this.panes,
      bPane: this.graphHost,
      readOnly: () => this.readOnly,
      graph: () => this.graph,
      selected: () => this.selected,
      visibleCount: () => this.visibleCount,
      orientation: () => this.orientation,
      select: (id, reveal) => this.select(id, reveal),
      clearSelection: () => this.clearSelection(),
      selectOnly: (id, reveal) => this.selectOnly(id, reveal),
      inspect: (node, decision, announcement) => this.inspect(node, decision, announcement),
      redraw: () => this.redraw(),
      saveState: () => this.saveState(),
      showBanner: (text) => this.showBanner(text),
      exited: (wasOnA) => this.exitedCompare(wasOnA),
    };
  }

  /** b's selection without touching the inspector (the paired selection decides what it shows). */
  private selectOnly(id: string | undefined, reveal: boolean): void {
    if (id === undefined || this.graph.get(id) === undefined) {
      this.selected = undefined;
      this.redraw();
      this.saveState();
      return;
    }
    if (expandTo(this.graph, this.collapsed, id)) this.relayout();
    this.selected = id;
    if (reveal) {
      this.autoFit = false;
      this.canvas.reveal(id);
    }
    this.redraw();
    this.saveState();
  }

  /** Back to the single graph of this run after compare mode, keeping its selection and zoom. */
  private exitedCompare(wasOnA: boolean): void {
    this.saveState();
    if (this.selected !== undefined) this.select(this.selected, false);
    else {
      if (wasOnA) this.inspector.showEmpty();
      this.redraw();
    }
  }

  // ---- selection, collapse, keys ---------------------------------------------------------------

  private select(id: string, reveal = true): void {
    const node = this.graph.get(id);
    if (node === undefined) return;
    if (this.compare.active) {
      this.compare.selectPaired('b', id, reveal);
      return;
    }
    this.selectOnly(id, reveal);
    this.inspect(node, this.graph.decisions.get(id), `${node.kind} ${node.name ?? node.id}, ${node.status}`);
  }

  /** The inspector shows the node (of either run while comparing); the live region announces it. */
  private inspect(node: NodeSummary, decision: Decision | undefined, announcement: string): void {
    this.announcer.textContent = announcement;
    void this.inspector.show(node, decision);
    this.redraw();
  }

  private clearSelection(): void {
    this.compare.clearA();
    this.selected = undefined;
    this.inspector.showEmpty();
    this.redraw();
    this.saveState();
  }

  private toggle(id: string): void {
    if (!this.graph.hasChildren(id)) return;
    if (!this.collapsed.delete(id)) this.collapsed.add(id);
    this.relayout();
    this.saveState();
  }

  private setCollapsed(collapsed: Set<string>): void {
    this.collapsed = collapsed;
    if (this.selected !== undefined) expandTo(this.graph, this.collapsed, this.selected);
    this.relayout();
    this.canvas.fit(true);
    this.saveState();
  }

  private toggleOrientation(): void {
    this.orientation = this.orientation === 'top-down' ? 'left-right' : 'top-down';
    this.relayout();
    this.canvas.fit(true);
    this.compare.setOrientation(this.orientation);
    this.saveState();
  }

  private onKey(event: KeyboardEvent): void {
    const layout = this.layout;
    if (layout === undefined) return;
    const topDown = this.orientation === 'top-down';
    const current = this.selected !== undefined && layout.placed.has(this.selected) ? this.selected : undefined;
    const move = (target: string | undefined) => {
      event.preventDefault();
      if (target !== undefined) this.select(target, true);
    };
    const siblings = (id: string) => {
      const parent = layout.placed.get(id)?.parentId ?? null;
      return parent === null ? this.graph.roots() : this.graph.childrenOf(parent);
    };
    const sibling = (by: 1 | -1) => {
      if (current === undefined) return layout.order[0];
      const list = siblings(current);
      return list[list.indexOf(current) + by];
    };
    const parent = () => (current === undefined ? layout.order[0] : (layout.placed.get(current)?.parentId ?? undefined));
    const child = () => {
      if (current === undefined) return layout.order[0];
      if (this.collapsed.has(current)) {
        this.toggle(current);
      }
      return this.graph.childrenOf(current)[0];
    };
    switch (event.key) {
      case 'ArrowUp':
        move(topDown ? parent() : sibling(-1));
        return;
      case 'ArrowDown':
        move(topDown ? child() : sibling(1));
        return;
      case 'ArrowLeft':
        move(topDown ? sibling(-1) : parent());
        return;
      case 'ArrowRight':
        move(topDown ? sibling(1) : child());
        return;
      case 'Home':
        move(layout.order[0]);
        return;
      case 'Enter':
      case ' ':
        event.preventDefault();
        if (current !== undefined) this.toggle(current);
        return;
      case 'Escape':
        // Handled on the document while comparing (Esc leaves compare).
        if (!this.compare.active) this.clearSelection();
        return;
      case 'f':
        this.canvas.fit();
        this.compare.fit();
        return;
      case 'o':
        this.toggleOrientation();
        return;
      case '+':
      case '=':
        this.canvas.zoomBy(1.25);
        return;
      case '-':
        this.canvas.zoomBy(0.8);
        return;
    }
  }

  private saveState(): void {
    if (this.stateTimer !== undefined) return;
    this.stateTimer = setTimeout(() => {
      this.stateTimer = undefined;
      const state: ViewState = {
        runId: this.runId,
        ...(this.selected === undefined ? {} : { selectedNodeId: this.selected }),
        collapsed: [...this.collapsed],
        zoom: { ...this.canvas.view },
        orientation: this.orientation,
        ...(this.compare.against === undefined ? {} : { compareWith: this.compare.against }),
      };
      this.host.setState(state);
    }, 300);
  }
}

function div(className: string): HTMLElement {
  const element = document.createElement('div');
  element.className = className;
  return element;
}

function note(text: string): HTMLElement {
  const element = document.createElement('p');
  element.className = 'rt-empty';
  element.style.padding = '16px';
  element.textContent = text;
  return element;
}
