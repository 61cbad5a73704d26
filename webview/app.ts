import type { ReplayRequest } from '../protocol/replay';
import type { Node, Run } from '../protocol/runs';
import type { Host, HostEvent, ViewState } from './host';
import { renderedEvent } from './hosts/vscodeHost';
import { expandTo, initialCollapsed } from './model/collapse';
import { DeltaQueue } from './model/deltaQueue';
import { type DiffView, defaultAgainst, diffSummary, diffView } from './model/diffMode';
import { type Layout, layoutGraph, type Orientation } from './model/layout';
import { RunGraph } from './model/runGraph';
import { searchNodes, stepMatch } from './model/search';
import { GraphCanvas } from './render/graphCanvas';
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
  /** The run the last Fork here / Take … started (the page then opens it). */
  readonly replayStarted: string | undefined;
  /** Page coordinates of a node's centre (to click it), or undefined when it is not drawn. */
  screenPosition(id: string): { x: number; y: number } | undefined;
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
  private diff: DiffView | undefined;
  private replayStarted: string | undefined;
  private readonly diffBar = document.createElement('div');

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
    this.fetchDecisions([...this.graph.all()].filter((node) => node.kind === 'decision').map((node) => node.id));
    matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => this.canvas.refreshPalette());
    // VS Code switches themes by changing the body class.
    new MutationObserver(() => this.canvas.refreshPalette()).observe(document.body, { attributes: true, attributeFilter: ['class'] });
  }

  dispose(): void {
    this.unsubscribe?.();
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
        const diff = app.diff;
        if (diff === undefined) return undefined;
        return {
          against: diff.against,
          counts: { ...diff.counts },
          firstDivergence: diff.firstDivergence?.key ?? null,
          firstDivergenceNodeId: diff.firstDivergence?.nodeId ?? null,
          removed: diff.removed.map((entry) => entry.key),
        };
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
      button('Compare with…', { title: 'Compare with another run (diff mode)', onClick: () => this.showCompare() }),
    );
    this.banner.className = 'rt-banner';
    this.banner.hidden = true;
    const main = div('rt-main');
    this.graphHost = div('rt-graph');
    this.graphHost.dataset.testid = 'graph';
    this.announcer.className = 'rt-sr';
    this.announcer.setAttribute('aria-live', 'polite');
    this.graphHost.append(this.announcer);
    this.inspector = new Inspector(this.host, (id, node) => this.learnDecision(id, node), {
      replay: (request, what) => this.replay(request, what),
      changeOf: (id) => this.diff?.byNode.get(id),
    });
    const splitter = div('rt-splitter');
    this.dragSplitter(splitter, main);
    main.append(this.graphHost, splitter, this.inspector.element);
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
      changes: this.diff?.changes,
      firstDivergence: this.diff?.firstDivergence?.nodeId ?? undefined,
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

  /** Fork here / Take …: start the replay, then open the new run as it starts. */
  private async replay(request: ReplayRequest, what: string): Promise<void> {
    this.showBanner(`Starting ${what}…`);
    try {
      const run = await this.host.replay(this.runId, request);
      this.replayStarted = run.id;
      this.showBanner(`Started ${what}: run ${run.id}.`);
      this.host.openRun(run.id);
    } catch (cause) {
      this.showBanner(`Could not start ${what}: ${describe(cause)}`);
    }
  }

  /** The compare row: which run to compare with (the replayed run by default), or leave diff mode. */
  private showCompare(): void {
    this.diffBar.hidden = false;
    if (this.diffBar.childElementCount > 0) return;
    const field = textField('Run id to compare with', () => {});
    field.dataset.testid = 'compare-with';
    field.value = defaultAgainst(this.graph.run);
    const summary = document.createElement('span');
    summary.className = 'rt-status';
    summary.dataset.testid = 'diff-summary';
    summary.setAttribute('aria-live', 'polite');
    const removed = document.createElement('ul');
    removed.className = 'rt-diff-removed';
    removed.dataset.testid = 'diff-removed';
    const run = () => void this.compare(field.value.trim(), summary, removed);
    field.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') run();
    });
    this.diffBar.append(
      document.createTextNode('Compare with '),
      field,
      button('Compare', { title: 'Compare: colour this run by how it differs from that one', onClick: run }),
      button('Exit compare', { title: 'Exit compare (leave diff mode)', onClick: () => this.exitCompare() }),
      summary,
      removed,
    );
    if (field.value !== '') run();
  }

  private async compare(against: string, summary: HTMLElement, removed: HTMLElement): Promise<void> {
    if (against === '') {
      summary.textContent = 'Enter the id of a run to compare with.';
      return;
    }
    summary.textContent = `Comparing with ${against}…`;
    try {
      this.diff = diffView(await this.host.diff(against, this.runId));
    } catch (cause) {
      summary.textContent = `Could not compare with ${against}: ${describe(cause)}`;
      return;
    }
    summary.textContent = diffSummary(this.diff);
    removed.replaceChildren(
      ...this.diff.removed.map((entry) => {
        const item = document.createElement('li');
        item.textContent = `removed: ${entry.a?.kind ?? ''} ${entry.a?.name ?? ''} (${entry.key})`;
        return item;
      }),
    );
    const first = this.diff.firstDivergence?.nodeId;
    if (first !== null && first !== undefined && this.graph.get(first) !== undefined) this.select(first, true);
    else this.redraw();
  }

  private exitCompare(): void {
    this.diff = undefined;
    this.diffBar.hidden = true;
    this.diffBar.replaceChildren();
    if (this.selected !== undefined) this.select(this.selected, false);
    else this.redraw();
  }

  // ---- selection, collapse, search, keys -------------------------------------------------------

  private select(id: string, reveal = true): void {
    const node = this.graph.get(id);
    if (node === undefined) return;
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
        this.clearSelection();
        return;
      case 'f':
        this.canvas.fit();
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
