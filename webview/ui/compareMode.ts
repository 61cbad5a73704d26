import type { NodeChange, NodeDiff } from '../../protocol/replay';
import type { NodeSummary } from '../../protocol/runs';
import type { Host } from '../host';
import { defaultAgainst, diffSummary, diffView } from '../model/diffMode';
import type { Orientation } from '../model/layout';
import type { Decision, RunGraph } from '../model/runGraph';
import { compareTitle, counterpart, pairRuns, type Side, type SideBySide } from '../model/sideBySide';
import { Throttle } from '../model/throttle';
import { ComparePane } from './comparePane';
import { describe } from './inspector';
import { button, textField } from './toolkit';

/**
 * The graph's side-by-side compare (issue 8; webview/README.md "Side-by-side compare"): run `a`
 * in a left pane (`ComparePane`), the run on screen, `b`, on the right as the app draws it. This
 * class owns everything that exists only while comparing — the compare bar, a's pane, the last
 * diff, the paced recomputation, the paired selection, Esc — and talks to the page through
 * `CompareApp` (b's side); the page asks it for b's tints (`bScene`) and a node's diff entry
 * (`changeOf`).
 */
export interface CompareApp {
  readonly host: Host;
  /** b: the run on screen. */
  readonly runId: string;
  /** Where the panes live: a's pane goes first in `panes`; `bPane` is b's graph element. */
  readonly panes: HTMLElement;
  readonly bPane: HTMLElement;
  /** A read-only run (opened from a bundle) never compares. */
  readOnly(): boolean;
  graph(): RunGraph;
  selected(): string | undefined;
  visibleCount(): number;
  orientation(): Orientation;
  /** The single graph's selection (select and inspect); only used when not comparing. */
  select(id: string, reveal: boolean): void;
  clearSelection(): void;
  /** b's selection without touching the inspector (the paired selection decides what it shows). */
  selectOnly(id: string | undefined, reveal: boolean): void;
  /** Shows a node in the inspector, announces it and redraws. */
  inspect(node: NodeSummary, decision: Decision | undefined, announcement: string): void;
  redraw(): void;
  saveState(): void;
  showBanner(text: string): void;
  /** Compare mode was left (Esc / Exit compare); `wasOnA`: the inspector showed a node of a. */
  exited(wasOnA: boolean): void;
}

type Counts = { readonly added: number; readonly removed: number; readonly changed: number; readonly same: number };

/** `__runtrailGraph.diff`: the run compared against, the counts, where the runs first part. */
export interface DiffHook {
  readonly against: string;
  readonly counts: Counts;
  readonly firstDivergence: string | null;
  readonly firstDivergenceNodeId: string | null;
  readonly removed: readonly string[];
}

/**
 * `__runtrailGraph.compare`: a (left) and b (this run, right), each pane's counts and selection,
 * the counts and first divergence of the last computation, and how many computations there were.
 */
export interface CompareHook {
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
  readonly counts: Counts | undefined;
  readonly firstDivergence: string | null | undefined;
  readonly firstDivergenceNodeIds: { readonly a: string | null; readonly b: string | null } | undefined;
  readonly computations: number;
  readonly aZoom: { readonly x: number; readonly y: number; readonly k: number };
  readonly aCollapsed: readonly string[];
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

export class CompareMode {
  /** The compare row under the toolbar (hidden until Compare with…). */
  readonly bar = document.createElement('div');
  /** b's pane label, shown only while comparing (the stylesheet hides it otherwise). */
  readonly bLabel = document.createElement('div');
  private state: CompareState | undefined;

  constructor(private readonly app: CompareApp) {
    this.bar.className = 'rt-diffbar';
    this.bar.hidden = true;
    this.bLabel.className = 'rt-pane-label rt-b-label';
    document.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && this.state !== undefined && !isTextEntry(event.target)) {
        event.preventDefault();
        this.exit();
      }
    });
  }

  get active(): boolean {
    return this.state !== undefined;
  }

  /** The run compared with (a), while comparing. */
  get against(): string | undefined {
    return this.state?.against;
  }

  /** The run whose node the inspector shows: a when the selection was made on a's side, else b. */
  inspectedRun(): string {
    return this.state?.side === 'a' ? this.state.against : this.app.runId;
  }

  /** b's tints and first-divergence ring for the app's scene (none when not comparing). */
  bScene(): { changes: ReadonlyMap<string, NodeChange> | undefined; firstDivergence: string | undefined } {
    return { changes: this.state?.view?.changes.b, firstDivergence: this.state?.view?.firstDivergence?.b ?? undefined };
  }

  /** The node's diff entry (either side) for the inspector's a:/b: view. */
  changeOf(id: string): NodeDiff | undefined {
    return this.state?.view?.entries.b.get(id) ?? this.state?.view?.entries.a.get(id);
  }

  /** Something in b changed (nodes, status): recompute (paced). */
  changed(): void {
    this.state?.throttle.request();
  }

  /** b's view reloaded after missing changes: a's pane may have missed them too. */
  reloadA(): void {
    void this.state?.pane.reload();
    this.state?.throttle.request();
  }

  /** b's selection was cleared: a's side follows. */
  clearA(): void {
    if (this.state === undefined) return;
    this.state.side = undefined;
    this.state.pane.select(undefined, false);
  }

  setOrientation(orientation: Orientation): void {
    this.state?.pane.setOrientation(orientation);
  }

  fit(): void {
    this.state?.pane.fit();
  }

  refreshPalette(): void {
    this.state?.pane.refreshPalette();
  }

  screenPositionA(id: string): { x: number; y: number } | undefined {
    return this.state?.pane.screenPosition(id);
  }

  diffHook(): DiffHook | undefined {
    const diff = this.state?.view;
    if (diff === undefined) return undefined;
    return {
      against: diff.a,
      counts: { ...diff.counts },
      firstDivergence: diff.firstDivergence?.key ?? null,
      firstDivergenceNodeId: diff.firstDivergence?.b ?? null,
      removed: diff.removed.map((entry) => entry.key),
    };
  }

  compareHook(): CompareHook | undefined {
    const state = this.state;
    if (state === undefined) return undefined;
    const view = state.view;
    return {
      a: state.against,
      b: this.app.runId,
      aNodeCount: state.pane.graph?.size ?? 0,
      aVisibleCount: state.pane.visibleCount,
      bNodeCount: this.app.graph().size,
      bVisibleCount: this.app.visibleCount(),
      aSelectedId: state.pane.selected,
      bSelectedId: this.app.selected(),
      selectedSide: state.side,
      counts: view === undefined ? undefined : { ...view.counts },
      firstDivergence: view === undefined ? undefined : (view.firstDivergence?.key ?? null),
      firstDivergenceNodeIds: view === undefined ? undefined : { a: view.firstDivergence?.a ?? null, b: view.firstDivergence?.b ?? null },
      computations: state.computations,
      aZoom: state.pane.view,
      aCollapsed: [...state.pane.collapsed],
    };
  }

  /**
   * The compare row: which run to compare with (the replayed run by default), then run a (left)
   * and this run b (right) side by side. `against` given (the command, a restored view) compares at once.
   */
  show(against?: string): void {
    if (this.app.readOnly()) return;
    this.bar.hidden = false;
    if (this.bar.childElementCount === 0) {
      const field = textField('Run id to compare with', () => {});
      field.dataset.testid = 'compare-with';
      field.value = defaultAgainst(this.app.graph().run);
      const header = document.createElement('strong');
      header.className = 'rt-compare-title';
      header.dataset.testid = 'compare-header';
      const summary = document.createElement('span');
      summary.className = 'rt-status';
      summary.dataset.testid = 'diff-summary';
      summary.setAttribute('aria-live', 'polite');
      const run = () => void this.enter(field.value.trim());
      field.addEventListener('keydown', (event) => {
        if (event.key === 'Enter') run();
      });
      this.bar.append(
        document.createTextNode('Compare with '),
        field,
        button('Compare', { title: 'Compare: show that run (a, left) beside this one (b, right)', onClick: run }),
        button('Exit compare', { title: 'Exit compare (Esc): back to the single graph', onClick: () => this.exit() }),
        header,
        summary,
      );
    }
    const field = this.bar.querySelector<HTMLInputElement>('[data-testid=compare-with]');
    if (against !== undefined && field !== null) field.value = against;
    const value = against ?? field?.value.trim() ?? '';
    if (value !== '') void this.enter(value);
  }

  /** Esc / Exit compare: back to the single graph of b, keeping its selection and zoom. */
  exit(): void {
    const wasOnA = this.state?.side === 'a';
    this.leave();
    this.bar.hidden = true;
    this.bar.replaceChildren();
    this.app.exited(wasOnA);
  }

  /**
   * Selects a node on one side and its counterpart (same key) on the other; the inspector shows
   * the node clicked with its a:/b: output diff. `reveal` scrolls both panes to their node.
   */
  selectPaired(side: Side, id: string | undefined, reveal: boolean): void {
    const state = this.state;
    if (state === undefined) {
      if (id === undefined) this.app.clearSelection();
      else this.app.select(id, reveal);
      return;
    }
    if (id === undefined) {
      state.side = undefined;
      state.pane.select(undefined, false);
      this.app.clearSelection();
      return;
    }
    const other = state.view === undefined ? undefined : counterpart(state.view, side, id);
    state.side = side;
    if (side === 'a') {
      state.pane.select(id, reveal);
      this.app.selectOnly(other, reveal || other !== undefined);
    } else {
      this.app.selectOnly(id, reveal);
      state.pane.select(other, reveal || other !== undefined);
    }
    this.inspectPaired(side, id);
  }

  private part<T extends HTMLElement>(testid: string): T | undefined {
    return this.bar.querySelector<T>(`[data-testid=${testid}]`) ?? undefined;
  }

  /** Opens run a in the left pane and computes the diff; entering again with another run replaces it. */
  private async enter(against: string): Promise<void> {
    const summary = this.part('diff-summary');
    if (against === '') {
      if (summary) summary.textContent = 'Enter the id of a run to compare with.';
      return;
    }
    if (against === this.app.runId) {
      if (summary) summary.textContent = 'That is this run: enter the id of another run.';
      return;
    }
    if (this.state?.against === against) return;
    this.leave();
    if (summary) summary.textContent = `Comparing with ${against}…`;
    const pane = new ComparePane(this.app.host, against, this.app.orientation(), {
      select: (id) => this.selectPaired('a', id, false),
      changed: () => state.throttle.request(),
      failed: (message) => this.app.showBanner(message),
    });
    const state: CompareState = {
      against,
      pane,
      throttle: new Throttle(() => this.recompute(state)),
      view: undefined,
      computations: 0,
      side: undefined,
    };
    this.state = state;
    this.app.panes.prepend(pane.element);
    this.app.panes.classList.add('rt-comparing');
    this.app.bPane.classList.add('rt-pane-b');
    this.app.saveState();
    try {
      await pane.load();
    } catch (cause) {
      if (this.state !== state) return;
      this.leave();
      if (summary) summary.textContent = `Could not compare with ${against}: ${describe(cause)}`;
      return;
    }
    if (this.state !== state) return;
    this.renderHeader();
    state.throttle.request();
  }

  /** One computation of the diff (paced by the state's Throttle): tints both panes, reports it. */
  private async recompute(state: CompareState): Promise<void> {
    const { host } = this.app;
    let diff: Awaited<ReturnType<Host['diff']>>;
    try {
      diff = await host.diff(state.against, this.app.runId);
    } catch (cause) {
      const summary = this.part('diff-summary');
      if (this.state === state && summary) summary.textContent = `Could not compare with ${state.against}: ${describe(cause)}`;
      return;
    }
    if (this.state !== state) return;
    const first = state.view === undefined;
    const selectedBefore = state.side === 'a' ? state.pane.selected : this.app.selected();
    const entryBefore =
      selectedBefore === undefined || state.side === undefined ? undefined : state.view?.entries[state.side].get(selectedBefore);
    const view = pairRuns(diff);
    state.view = view;
    state.computations++;
    const summary = this.part('diff-summary');
    if (summary) summary.textContent = diffSummary(diffView(diff));
    this.renderHeader();
    state.pane.setDiff(view.changes.a, view.firstDivergence?.a ?? undefined);
    host.compared({ a: view.a, b: view.b, firstDivergenceKey: view.firstDivergence?.key ?? null, counts: { ...view.counts } });
    const divergence = view.firstDivergence;
    if (first && divergence !== null) {
      // Both sides scroll to where the runs part; the side that has the node is inspected.
      if (divergence.b !== null && this.app.graph().get(divergence.b) !== undefined) this.selectPaired('b', divergence.b, true);
      else if (divergence.a !== null) this.selectPaired('a', divergence.a, true);
      return;
    }
    // A live recomputation: the selection, zoom and collapsed state stay; the inspector is redone
    // only when the selected node's entry changed (its a:/b: or its counterpart).
    const side = state.side;
    const entryAfter = selectedBefore === undefined || side === undefined ? undefined : view.entries[side].get(selectedBefore);
    if (selectedBefore !== undefined && side !== undefined && JSON.stringify(entryBefore) !== JSON.stringify(entryAfter)) {
      if (side === 'b') state.pane.select(counterpart(view, 'b', selectedBefore) ?? state.pane.selected, false);
      else this.app.selectOnly(counterpart(view, 'a', selectedBefore) ?? this.app.selected(), false);
      this.inspectPaired(side, selectedBefore);
    } else this.app.redraw();
  }

  private renderHeader(): void {
    const state = this.state;
    const header = this.part('compare-header');
    if (state === undefined || header === undefined) return;
    const a = state.pane.run;
    const graph = this.app.graph();
    const b = graph.run;
    this.bLabel.textContent = `b · ${b.workflow} · ${b.id} · ${b.status} · ${graph.size} nodes`;
    header.textContent = compareTitle({ id: state.against, status: a?.status ?? '…' }, { id: this.app.runId, status: graph.run.status });
  }

  private inspectPaired(side: Side, id: string): void {
    const graph = this.app.graph();
    const node = side === 'a' ? this.state?.pane.get(id) : graph.get(id);
    if (node === undefined) return;
    const decision = side === 'b' ? graph.decisions.get(id) : this.state?.pane.graph?.decisions.get(id);
    this.app.inspect(node, decision, `${side}: ${node.kind} ${node.name ?? node.id}, ${node.status}`);
  }

  private leave(): void {
    const state = this.state;
    if (state === undefined) return;
    this.state = undefined;
    state.throttle.stop();
    state.pane.dispose();
    this.app.panes.classList.remove('rt-comparing');
    this.app.bPane.classList.remove('rt-pane-b');
    const header = this.part('compare-header');
    if (header) header.textContent = '';
  }
}

/** Esc in the search or compare field belongs to the field. */
function isTextEntry(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return (
    target.isContentEditable || target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName.startsWith('VSCODE-TEXT')
  );
}
