import type { ReplayRequest } from '../protocol/replay';
import type { Node, Run } from '../protocol/runs';
import type { Host, HostEvent, ViewState } from './host';
import { renderedEvent } from './hosts/vscodeHost';
import { expandTo, initialCollapsed } from './model/collapse';
import { DeltaQueue } from './model/deltaQueue';
import { defaultAgainst, diffSummary, diffView } from './model/diffMode';
import { type Layout, layoutGraph, type Orientation } from './model/layout';
import { RunGraph } from './model/runGraph';
import { searchNodes, stepMatch } from './model/search';
import { compareTitle, counterpart, pairRuns, type Side, type SideBySide } from './model/sideBySide';
import { Throttle } from './model/throttle';
import { GraphCanvas } from './render/graphCanvas';
import { ComparePane } from './ui/comparePane';
import { describe, Inspector } from './ui/inspector';
import { TimelineBar } from './ui/timelineBar';
import { button, textField } from './ui/toolkit';

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
  readonly diff:
    | {
        readonly against: string;
        readonly counts: { readonly added: number; readonly removed: number; readonly changed: number; readonly same: number };
        readonly firstDivergence: string | null;
        readonly firstDivergenceNodeId: string | null;
        readonly removed: readonly string[];
      }
    | undefined;
  /**
   * Side-by-side compare: a (left) and b (this run, right), each pane's counts and selection,
   * the counts and first divergence of the last computation, and how many computations there were.
   */
  readonly compare:
    | {
        readonly a: string;
        readonly b: string;
        readonly aNodeCount: number;
        readonly aVisibleCount: number;
        readonly bNodeCount: number;
        readonly bVisibleCount: number;
        readonly aSelectedId: string | undefined;
        readonly bSelectedId: string | undefined;
        /** The side the selection was made on (the inspector shows that node). */
        readonly selectedSide: Side | undefined;
        readonly counts: { readonly added: number; readonly removed: number; readonly changed: number; readonly same: number } | undefined;
        readonly firstDivergence: string | null | undefined;
        readonly firstDivergenceNodeIds: { readonly a: string | null; readonly b: string | null } | undefined;
        readonly computations: number;
        readonly aZoom: { readonly x: number; readonly y: number; readonly k: number };
        readonly aCollapsed: readonly string[];
      }
    | undefined;
  /** The snapshot said the run is read-only (opened from a bundle): no Fork here / Take / Compare with. */
  readonly readOnly: boolean;
  /** The run the last Fork here / Take … started (the page then opens it). */
  readonly replayStarted: string | undefined;
  /** Page coordinates of a node's centre (to click it), or undefined when it is not drawn. */
  screenPosition(id: string): { x: number; y: number } | undefined;
  /** The same in the compare pane of run a. */
  screenPositionA(id: string): { x: number; y: number } | undefined;
}

/** What side-by-side mode holds: the pane of run a, the last diff, the paced recomputation. */
interface CompareState {
  readonly against: string;
  readonly pane: ComparePane;
  readonly throttle: Throttle;
  view: SideBySide | undefined;
  computations: number;
  /** Where the selection was made; the other side holds its counterpart. */
  side: Side | undefined;
}

const decisionFetchLimit = 200;

export class GraphApp {
  private graph!: RunGraph;
  private collapsed = new Set<string>();
  private layout: Layout | undefined;
  private hiddenCounts = new Map<string, number>();
  private selected: string | undefined;
  private matches: string[] = [];
  private matchIndex = -1;
  private query = '';
  private orientation: Orientation = 'top-down';
  private readonly queue = new DeltaQueue();
  private flushFrame = 0;
  private layoutDirty = false;
  private lastLayoutAt = 0;
  private layoutMs = 0;
  private layoutTimer: ReturnType<typeof setTimeout> | undefined;
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
  private readonly matchLabel = document.createElement('span');
  private readonly banner = document.createElement('div');
  private readonly announcer = document.createElement('div');
  private graphHost!: HTMLElement;
  private decisionsFetched = new Set<string>();
  /** Until the user pans, zooms or selects, the graph keeps fitting itself as it grows. */
  private autoFit = true;
  private compareState: CompareState | undefined;
  private replayStarted: string | undefined;
  private readOnly = false;
  private readonly diffBar = document.createElement('div');
  private readonly compareButton = document.createElement('span');
  private panes!: HTMLElement;
  private readonly bLabel = document.createElement('div');

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
    if (state?.compareWith !== undefined && !this.readOnly) this.showCompare(state.compareWith);
    this.host.onCompareRequest((withRunId) => {
      if (!this.readOnly) this.showCompare(withRunId);
    });
    this.fetchDecisions([...this.graph.all()].filter((node) => node.kind === 'decision').map((node) => node.id));
    const refresh = () => {
      this.canvas.refreshPalette();
      this.compareState?.pane.refreshPalette();
    };
    matchMedia('(prefers-color-scheme: dark)').addEventListener('change', refresh);
    // VS Code switches themes by changing the body class.
    new MutationObserver(refresh).observe(document.body, { attributes: true, attributeFilter: ['class'] });
  }

  dispose(): void {
    this.unsubscribe?.();
    this.exitCompare();
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
        return [...app.matches];
      },
      get currentMatch() {
        return app.matches[app.matchIndex];
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
        return app.layoutMs;
      },
      get firstPaintMs() {
        return app.firstPaintMs;
      },
      get diff() {
        const diff = app.compareState?.view;
        if (diff === undefined) return undefined;
        return {
          against: diff.a,
          counts: { ...diff.counts },
          firstDivergence: diff.firstDivergence?.key ?? null,
          firstDivergenceNodeId: diff.firstDivergence?.b ?? null,
          removed: diff.removed.map((entry) => entry.key),
        };
      },
      get compare() {
        const state = app.compareState;
        if (state === undefined) return undefined;
        const view = state.view;
        return {
          a: state.against,
          b: app.runId,
          aNodeCount: state.pane.graph?.size ?? 0,
          aVisibleCount: state.pane.visibleCount,
          bNodeCount: app.graph?.size ?? 0,
          bVisibleCount: app.visibleCount,
          aSelectedId: state.pane.selected,
          bSelectedId: app.selected,
          selectedSide: state.side,
          counts: view === undefined ? undefined : { ...view.counts },
          firstDivergence: view === undefined ? undefined : (view.firstDivergence?.key ?? null),
          firstDivergenceNodeIds:
            view === undefined ? undefined : { a: view.firstDivergence?.a ?? null, b: view.firstDivergence?.b ?? null },
          computations: state.computations,
          aZoom: state.pane.view,
          aCollapsed: [...state.pane.collapsed],
        };
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
        return app.compareState?.pane.screenPosition(id);
      },
    };
  })();

  // ---- building the page -----------------------------------------------------------------------

  private build(): void {
    const shell = div('rt-shell');
    const toolbar = div('rt-toolbar');
    this.title.className = 'rt-title';
    this.status.className = 'rt-status';
    this.matchLabel.className = 'rt-status';
    this.matchLabel.setAttribute('aria-live', 'polite');
    const search = textField('Search nodes', (value) => this.search(value));
    search.classList.add('rt-search');
    search.dataset.testid = 'search';
    search.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') {
        event.preventDefault();
        this.stepMatch(event.shiftKey ? -1 : 1);
      } else if (event.key === 'Escape') {
        search.value = '';
        this.search('');
        this.canvas.canvas.focus();
      }
    });
    toolbar.append(
      this.title,
      this.status,
      div('rt-spacer'),
      search,
      this.matchLabel,
      button('↑', { title: 'Previous match (Shift+Enter)', appearance: 'icon', onClick: () => this.stepMatch(-1) }),
      button('↓', { title: 'Next match (Enter)', appearance: 'icon', onClick: () => this.stepMatch(1) }),
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
      button('Compare with…', { title: 'Compare with another run, side by side', onClick: () => this.showCompare() }),
    );
    this.compareButton.hidden = this.readOnly;
    this.banner.className = 'rt-banner';
    this.banner.hidden = true;
    const main = div('rt-main');
    this.graphHost = div('rt-graph');
    this.graphHost.dataset.testid = 'graph';
    this.announcer.className = 'rt-sr';
    this.announcer.setAttribute('aria-live', 'polite');
    this.bLabel.className = 'rt-pane-label rt-b-label';
    this.graphHost.append(this.announcer, this.bLabel);
    this.inspector = new Inspector(this.host, (id, node) => this.learnDecision(id, node), {
      replay: (request, what) => this.replay(request, what),
      canReplay: () => !this.readOnly,
      changeOf: (id) => this.compareState?.view?.entries.b.get(id) ?? this.compareState?.view?.entries.a.get(id),
    });
    const splitter = div('rt-splitter');
    this.dragSplitter(splitter, main);
    this.panes = div('rt-panes');
    this.panes.append(this.graphHost);
    main.append(this.panes, splitter, this.inspector.element);
    this.timeline = new TimelineBar(this.graph, () => this.redraw());
    const top = document.createElement('div');
    this.diffBar.className = 'rt-diffbar';
    this.diffBar.hidden = true;
    top.append(toolbar, this.banner, this.diffBar);
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
    document.addEventListener('keydown', (event) => {
      if ((event.ctrlKey || event.metaKey) && event.key === 'f') {
        event.preventDefault();
        search.focus();
      } else if (event.key === 'Escape' && this.compareState !== undefined && !isTextEntry(event.target)) {
        event.preventDefault();
        this.exitCompare();
      } else if (event.key === 'F3') {
        event.preventDefault();
        this.stepMatch(event.shiftKey ? -1 : 1);
      }
    });
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
    const started = performance.now();
    this.layout = layoutGraph(this.graph, this.collapsed, this.orientation);
    this.hiddenCounts = this.graph.descendantCounts();
    this.layoutMs = performance.now() - started;
    this.lastLayoutAt = performance.now();
    this.layoutDirty = false;
    this.redraw();
    if (this.autoFit) this.canvas.fit(true);
  }

  private userZoom(factor: number): void {
    this.autoFit = false;
    this.canvas.zoomBy(factor);
  }

  private stopAutoFit(): void {
    this.autoFit = false;
  }

  /** Layout now if it is cheap, otherwise after a pause proportional to its cost. */
  private scheduleLayout(): void {
    this.layoutDirty = true;
    if (this.layoutTimer !== undefined) return;
    const wait = Math.max(0, this.lastLayoutAt + this.layoutMs * 4 - performance.now());
    if (wait <= 0) {
      this.relayout();
      return;
    }
    this.layoutTimer = setTimeout(() => {
      this.layoutTimer = undefined;
      if (this.layoutDirty) this.relayout();
    }, wait);
  }

  private redraw(): void {
    if (this.layout === undefined) return;
    this.canvas.setScene({
      graph: this.graph,
      layout: this.layout,
      collapsed: this.collapsed,
      hiddenCounts: this.hiddenCounts,
      selected: this.selected,
      matches: new Set(this.matches),
      currentMatch: this.matches[this.matchIndex],
      timeline: this.timeline.visible(),
      changes: this.compareState?.view?.changes.b,
      firstDivergence: this.compareState?.view?.firstDivergence?.b ?? undefined,
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
          this.compareState?.throttle.request();
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
    if (this.query !== '') this.recomputeMatches();
    if (result.newDecisions.length > 0) this.fetchDecisions(result.newDecisions);
    if (result.structural) this.scheduleLayout();
    else this.redraw();
    this.compareState?.throttle.request();
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
      void this.compareState?.pane.reload();
      this.compareState?.throttle.request();
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
    if (after !== undefined && JSON.stringify(before) !== JSON.stringify(after)) this.scheduleLayout();
  }

  private showBanner(text: string | undefined): void {
    this.banner.hidden = text === undefined;
    this.banner.textContent = text ?? '';
  }

  // ---- replay and compare (issue 8) -------------------------------------------------------------

  /** Fork here / Take …: start the replay (of the run whose node is inspected), then open the new run as it starts. */
  private async replay(request: ReplayRequest, what: string): Promise<void> {
    const runId = this.compareState?.side === 'a' ? this.compareState.against : this.runId;
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

  /**
   * The compare row: which run to compare with (the replayed run by default), then run a (left)
   * and this run b (right) side by side. `against` given (the command, a restored view) compares at once.
   */
  private showCompare(against?: string): void {
    if (this.readOnly) return;
    this.diffBar.hidden = false;
    if (this.diffBar.childElementCount === 0) {
      const field = textField('Run id to compare with', () => {});
      field.dataset.testid = 'compare-with';
      field.value = defaultAgainst(this.graph.run);
      const header = document.createElement('strong');
      header.className = 'rt-compare-title';
      header.dataset.testid = 'compare-header';
      const summary = document.createElement('span');
      summary.className = 'rt-status';
      summary.dataset.testid = 'diff-summary';
      summary.setAttribute('aria-live', 'polite');
      const run = () => void this.enterCompare(field.value.trim());
      field.addEventListener('keydown', (event) => {
        if (event.key === 'Enter') run();
      });
      this.diffBar.append(
        document.createTextNode('Compare with '),
        field,
        button('Compare', { title: 'Compare: show that run (a, left) beside this one (b, right)', onClick: run }),
        button('Exit compare', { title: 'Exit compare (Esc): back to the single graph', onClick: () => this.exitCompare() }),
        header,
        summary,
      );
    }
    const field = this.diffBar.querySelector<HTMLInputElement>('[data-testid=compare-with]');
    if (against !== undefined && field !== null) field.value = against;
    const value = against ?? field?.value.trim() ?? '';
    if (value !== '') void this.enterCompare(value);
  }

  private part<T extends HTMLElement>(testid: string): T | undefined {
    return this.diffBar.querySelector<T>(`[data-testid=${testid}]`) ?? undefined;
  }

  /** Opens run a in the left pane and computes the diff; entering again with another run replaces it. */
  private async enterCompare(against: string): Promise<void> {
    const summary = this.part('diff-summary');
    if (against === '') {
      if (summary) summary.textContent = 'Enter the id of a run to compare with.';
      return;
    }
    if (against === this.runId) {
      if (summary) summary.textContent = 'That is this run: enter the id of another run.';
      return;
    }
    if (this.compareState?.against === against) return;
    this.leaveCompare();
    if (summary) summary.textContent = `Comparing with ${against}…`;
    const pane = new ComparePane(this.host, against, this.orientation, {
      select: (id) => this.selectPaired('a', id, false),
      changed: () => state.throttle.request(),
      failed: (message) => this.showBanner(message),
    });
    const state: CompareState = {
      against,
      pane,
      throttle: new Throttle(() => this.recompute(state)),
      view: undefined,
      computations: 0,
      side: undefined,
    };
    this.compareState = state;
    this.panes.prepend(pane.element);
    this.panes.classList.add('rt-comparing');
    this.graphHost.classList.add('rt-pane-b');
    this.saveState();
    try {
      await pane.load();
    } catch (cause) {
      if (this.compareState !== state) return;
      this.leaveCompare();
      if (summary) summary.textContent = `Could not compare with ${against}: ${describe(cause)}`;
      return;
    }
    if (this.compareState !== state) return;
    this.renderCompareHeader();
    state.throttle.request();
  }

  /** One computation of the diff (paced by the state's Throttle): tints both panes, reports it. */
  private async recompute(state: CompareState): Promise<void> {
    let diff: Awaited<ReturnType<Host['diff']>>;
    try {
      diff = await this.host.diff(state.against, this.runId);
    } catch (cause) {
      const summary = this.part('diff-summary');
      if (this.compareState === state && summary) summary.textContent = `Could not compare with ${state.against}: ${describe(cause)}`;
      return;
    }
    if (this.compareState !== state) return;
    const first = state.view === undefined;
    const selectedBefore = state.side === 'a' ? state.pane.selected : this.selected;
    const entryBefore =
      selectedBefore === undefined || state.side === undefined ? undefined : state.view?.entries[state.side].get(selectedBefore);
    const view = pairRuns(diff);
    state.view = view;
    state.computations++;
    const summary = this.part('diff-summary');
    if (summary) summary.textContent = diffSummary(diffView(diff));
    this.renderCompareHeader();
    state.pane.setDiff(view.changes.a, view.firstDivergence?.a ?? undefined);
    this.host.compared({ a: view.a, b: view.b, firstDivergenceKey: view.firstDivergence?.key ?? null, counts: { ...view.counts } });
    const divergence = view.firstDivergence;
    if (first && divergence !== null) {
      // Both sides scroll to where the runs part; the side that has the node is inspected.
      if (divergence.b !== null && this.graph.get(divergence.b) !== undefined) this.selectPaired('b', divergence.b, true);
      else if (divergence.a !== null) this.selectPaired('a', divergence.a, true);
      return;
    }
    // A live recomputation: the selection, zoom and collapsed state stay; the inspector is redone
    // only when the selected node's entry changed (its a:/b: or its counterpart).
    const side = state.side;
    const entryAfter = selectedBefore === undefined || side === undefined ? undefined : view.entries[side].get(selectedBefore);
    if (selectedBefore !== undefined && side !== undefined && JSON.stringify(entryBefore) !== JSON.stringify(entryAfter)) {
      if (side === 'b') state.pane.select(counterpart(view, 'b', selectedBefore) ?? state.pane.selected, false);
      else this.selectOnly(counterpart(view, 'a', selectedBefore) ?? this.selected, false);
      this.inspectPaired(side, selectedBefore);
    } else this.redraw();
  }

  private renderCompareHeader(): void {
    const state = this.compareState;
    const header = this.part('compare-header');
    if (state === undefined || header === undefined) return;
    const a = state.pane.run;
    const b = this.graph.run;
    this.bLabel.textContent = `b · ${b.workflow} · ${b.id} · ${b.status} · ${this.graph.size} nodes`;
    header.textContent = compareTitle({ id: state.against, status: a?.status ?? '…' }, { id: this.runId, status: this.graph.run.status });
  }

  /**
   * Selects a node on one side and its counterpart (same key) on the other; the inspector shows
   * the node clicked with its a:/b: output diff. `reveal` scrolls both panes to their node.
   */
  private selectPaired(side: Side, id: string | undefined, reveal: boolean): void {
    const state = this.compareState;
    if (state === undefined) {
      if (id === undefined) this.clearSelection();
      else this.select(id, reveal);
      return;
    }
    if (id === undefined) {
      state.side = undefined;
      state.pane.select(undefined, false);
      this.clearSelection();
      return;
    }
    const other = state.view === undefined ? undefined : counterpart(state.view, side, id);
    state.side = side;
    if (side === 'a') {
      state.pane.select(id, reveal);
      this.selectOnly(other, reveal || other !== undefined);
    } else {
      this.selectOnly(id, reveal);
      state.pane.select(other, reveal || other !== undefined);
    }
    this.inspectPaired(side, id);
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

  private inspectPaired(side: Side, id: string): void {
    const node = side === 'a' ? this.compareState?.pane.get(id) : this.graph.get(id);
    if (node === undefined) return;
    this.announcer.textContent = `${side}: ${node.kind} ${node.name ?? node.id}, ${node.status}`;
    void this.inspector.show(node, side === 'b' ? this.graph.decisions.get(id) : this.compareState?.pane.graph?.decisions.get(id));
    this.redraw();
  }

  /** Esc / Exit compare: back to the single graph of this run, keeping its selection and zoom. */
  private exitCompare(): void {
    const wasOnA = this.compareState?.side === 'a';
    this.leaveCompare();
    this.diffBar.hidden = true;
    this.diffBar.replaceChildren();
    this.saveState();
    if (this.selected !== undefined) this.select(this.selected, false);
    else {
      if (wasOnA) this.inspector.showEmpty();
      this.redraw();
    }
  }

  private leaveCompare(): void {
    const state = this.compareState;
    if (state === undefined) return;
    this.compareState = undefined;
    state.throttle.stop();
    state.pane.dispose();
    this.panes.classList.remove('rt-comparing');
    this.graphHost.classList.remove('rt-pane-b');
    const header = this.part('compare-header');
    if (header) header.textContent = '';
  }

  // ---- selection, collapse, search, keys -------------------------------------------------------

  private select(id: string, reveal = true): void {
    const node = this.graph.get(id);
    if (node === undefined) return;
    if (this.compareState !== undefined) {
      this.selectPaired('b', id, reveal);
      return;
    }
    if (expandTo(this.graph, this.collapsed, id)) this.relayout();
    this.selected = id;
    if (reveal) {
      this.autoFit = false;
      this.canvas.reveal(id);
    }
    this.announcer.textContent = `${node.kind} ${node.name ?? node.id}, ${node.status}`;
    void this.inspector.show(node, this.graph.decisions.get(id));
    this.redraw();
    this.saveState();
  }

  private clearSelection(): void {
    if (this.compareState !== undefined) {
      this.compareState.side = undefined;
      this.compareState.pane.select(undefined, false);
    }
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
    this.compareState?.pane.setOrientation(this.orientation);
    this.saveState();
  }

  private search(query: string): void {
    this.query = query;
    this.matchIndex = -1;
    this.recomputeMatches();
    this.redraw();
  }

  private recomputeMatches(): void {
    const current = this.matches[this.matchIndex];
    this.matches = searchNodes(this.graph, this.query);
    this.matchIndex = current === undefined ? -1 : this.matches.indexOf(current);
    this.matchLabel.textContent =
      this.query.trim() === '' ? '' : this.matches.length === 0 ? 'No matches' : `${this.matchIndex + 1 || '–'} of ${this.matches.length}`;
  }

  private stepMatch(by: 1 | -1): void {
    this.matchIndex = stepMatch(this.matches.length, this.matchIndex, by);
    const id = this.matches[this.matchIndex];
    this.matchLabel.textContent =
      this.matches.length === 0 ? (this.query === '' ? '' : 'No matches') : `${this.matchIndex + 1} of ${this.matches.length}`;
    if (id !== undefined) this.select(id, true);
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
        if (this.compareState === undefined) this.clearSelection();
        return;
      case 'f':
        this.canvas.fit();
        this.compareState?.pane.fit();
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
        ...(this.compareState === undefined ? {} : { compareWith: this.compareState.against }),
      };
      this.host.setState(state);
    }, 300);
  }
}

/** Esc in the search or compare field belongs to the field. */
function isTextEntry(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return (
    target.isContentEditable || target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName.startsWith('VSCODE-TEXT')
  );
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
