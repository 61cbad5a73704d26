import * as vscode from 'vscode';
import type { Run } from '../../protocol/runs';
import { describeError } from '../commands/userErrors';
import { isDecision } from '../replay/replayChoices';
import type { NodeDelta, SidecarConnection, SidecarState } from '../services';
import { ChangeBatch } from './changeBatch';
import { nodeDescription, nodeIcon, nodeLabel, nodeTooltip, runDescription, runLabel, runStatusIcon, runTooltip } from './format';
import { NodeTree } from './nodeTree';
import { type GroupBy, RunList } from './runList';

/**
 * The Runs view: runs grouped by workflow (or git branch), newest first, each expanding lazily
 * into its node tree; kept live from the sidecar's event stream.
 *
 * Elements are small stable objects (one per group, run, node): VS Code matches refreshes by
 * object identity, so the same object is handed out every time and the tree items are rebuilt
 * from the model in getTreeItem. Commands run from an item's menu receive these elements.
 */
export interface GroupElement {
  readonly type: 'group';
  readonly groupKey: string;
}
export interface RunElement {
  readonly type: 'run';
  readonly runId: string;
}
export interface NodeElement {
  readonly type: 'node';
  readonly runId: string;
  readonly nodeId: string;
}
export interface LoadMoreElement {
  readonly type: 'loadMore';
  /** null: more runs overall; a key: more runs of that group. */
  readonly groupKey: string | null;
}
export interface MessageElement {
  readonly type: 'message';
  readonly text: string;
  readonly parent: GroupElement | RunElement | undefined;
}
export type RunsElement = GroupElement | RunElement | NodeElement | LoadMoreElement | MessageElement;

const pageSize = 50;
/** Above this many groups they start collapsed, so opening the view does not page every group. */
const expandedGroupsLimit = 5;
export const groupByStateKey = 'runtrail.runs.groupBy';

export class RunsView implements vscode.TreeDataProvider<RunsElement>, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<RunsElement | RunsElement[] | undefined>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  readonly treeView: vscode.TreeView<RunsElement>;

  private list: RunList;
  private listLoad: Promise<void> | undefined;
  private listError: string | undefined;
  /** Bumped on every reload: answers to requests made before it are dropped. */
  private generation = 0;
  private readonly trees = new Map<string, NodeTree>();
  private readonly treeLoads = new Map<string, Promise<NodeTree>>();
  /** Deltas that arrived while a run's tree was loading, applied once it is there. */
  private readonly pendingDeltas = new Map<string, NodeDelta[]>();
  private readonly groupErrors = new Map<string, string>();

  private readonly groupElements = new Map<string, GroupElement>();
  private readonly runElements = new Map<string, RunElement>();
  private readonly nodeElements = new Map<string, NodeElement>();
  private readonly moreElements = new Map<string | null, LoadMoreElement>();

  /**
   * Children fetches waiting on the sidecar. VS Code registers an element's children when its
   * getChildren answers; a refresh of that element (or an ancestor) arriving meanwhile makes it
   * fetch again, and both answers register the same ids ("Element with id … is already
   * registered", microsoft/vscode#71698). So refreshes wait until no fetch is in flight.
   */
  private readonly loadsInFlight = new Set<Promise<unknown>>();
  private readonly batch = new ChangeBatch<RunsElement>(
    (changes) => this.changeEmitter.fire(changes === 'all' ? undefined : changes.length === 1 ? changes[0] : changes),
    100,
    undefined,
    () => this.loadsInFlight.size === 0,
  );
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly sidecar: SidecarConnection,
    private readonly output: vscode.LogOutputChannel,
    private readonly workspaceState: vscode.Memento,
  ) {
    this.list = new RunList(this.initialGroupBy());
    this.treeView = vscode.window.createTreeView('runtrail.runs', { treeDataProvider: this, showCollapseAll: true });
    const events = sidecar.events;
    this.disposables.push(
      this.treeView,
      this.changeEmitter,
      events.onRun((event) => this.onRun(event)),
      events.onNode((delta) => this.onNode(delta)),
      events.onReset(() => this.reload()),
      events.onPaused((reason) => {
        this.treeView.message = `Live updates paused: ${reason}`;
      }),
      events.onResumed(() => this.showState(this.sidecar.state)),
      sidecar.onDidChangeState((state) => {
        this.showState(state);
        this.reload();
      }),
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration('runtrail.runs.groupBy')) void this.setGroupBy(configuredGroupBy() ?? 'workflow');
      }),
      // Relative times ("3m ago") and running durations age: re-render run items while visible.
      every(30_000, () => {
        if (this.treeView.visible) for (const element of this.runElements.values()) this.batch.add(element);
      }),
    );
    this.showState(sidecar.state);
    void vscode.commands.executeCommand('setContext', 'runtrail.runs.groupBy', this.list.groupBy);
  }

  get groupBy(): GroupBy {
    return this.list.groupBy;
  }

  dispose(): void {
    this.batch.dispose();
    for (const disposable of this.disposables) disposable.dispose();
  }

  /** Forgets everything and asks the sidecar again (refresh, reset, sidecar restarted). */
  reload(): void {
    this.generation++;
    this.list = new RunList(this.list.groupBy);
    this.listLoad = undefined;
    this.listError = undefined;
    this.trees.clear();
    this.treeLoads.clear();
    this.pendingDeltas.clear();
    this.groupErrors.clear();
    this.nodeElements.clear();
    this.batch.addAll();
  }

  async setGroupBy(groupBy: GroupBy): Promise<void> {
    await this.workspaceState.update(groupByStateKey, groupBy);
    await vscode.commands.executeCommand('setContext', 'runtrail.runs.groupBy', groupBy);
    if (groupBy === this.list.groupBy) return;
    this.list = new RunList(groupBy);
    this.generation++;
    this.listLoad = undefined;
    this.listError = undefined;
    this.groupErrors.clear();
    this.batch.addAll();
  }

  run(runId: string): Run | undefined {
    return this.list.get(runId);
  }

  /** The loaded tree of a run, if it was expanded (or revealed) already. */
  loadedTree(runId: string): NodeTree | undefined {
    return this.trees.get(runId);
  }

  /** The elements selected in the view, for palette commands that act on "the current" run or node. */
  get selection(): readonly RunsElement[] {
    return this.treeView.selection;
  }
  /** The run of the selected run or node item, for commands invoked without one. */
  selectedRunId(): string | undefined {
    const [selected] = this.selection;
    return selected && (selected.type === 'run' || selected.type === 'node') ? selected.runId : undefined;
  }

  // ---- TreeDataProvider ------------------------------------------------------------------------

  async getChildren(element?: RunsElement): Promise<RunsElement[]> {
    if (this.sidecar.state.kind !== 'running') return [];
    if (!element) return this.rootChildren();
    switch (element.type) {
      case 'group':
        return this.groupChildren(element);
      case 'run':
        return this.runChildren(element);
      case 'node': {
        const tree = this.trees.get(element.runId);
        return tree ? tree.childrenOf(element.nodeId).map((node) => this.nodeElement(element.runId, node.id)) : [];
      }
      default:
        return [];
    }
  }

  getParent(element: RunsElement): RunsElement | undefined {
    switch (element.type) {
      case 'group':
        return undefined;
      case 'run': {
        const groupKey = this.list.groupOf(element.runId);
        return groupKey === undefined ? undefined : this.groupElement(groupKey);
      }
      case 'node': {
        const parentId = this.trees.get(element.runId)?.parentOf(element.nodeId) ?? null;
        return parentId === null ? this.runElement(element.runId) : this.nodeElement(element.runId, parentId);
      }
      case 'loadMore':
        return element.groupKey === null ? undefined : this.groupElement(element.groupKey);
      case 'message':
        return element.parent;
    }
  }

  getTreeItem(element: RunsElement): vscode.TreeItem {
    switch (element.type) {
      case 'group':
        return this.groupItem(element);
      case 'run':
        return this.runItem(element);
      case 'node':
        return this.nodeItem(element);
      case 'loadMore': {
        const item = new vscode.TreeItem(element.groupKey === null ? 'Load more runs…' : 'Load more…');
        item.id = `more:${element.groupKey ?? '*'}`;
        item.iconPath = new vscode.ThemeIcon('ellipsis');
        item.contextValue = 'loadMore';
        item.command = { command: 'runtrail.runs.loadMore', title: 'Load More', arguments: [element] };
        return item;
      }
      case 'message': {
        const item = new vscode.TreeItem(element.text);
        item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
        item.tooltip = element.text;
        item.command = { command: 'runtrail.runs.refresh', title: 'Refresh' };
        return item;
      }
    }
  }

  private async rootChildren(): Promise<RunsElement[]> {
    await this.ensureList();
    if (this.listError !== undefined) return [{ type: 'message', text: `Could not list runs: ${this.listError}`, parent: undefined }];
    const groups = this.list.groups().map((group) => this.groupElement(group.key));
    return this.list.nextCursor === null ? groups : [...groups, this.moreElement(null)];
  }

  private async groupChildren(element: GroupElement): Promise<RunsElement[]> {
    const key = element.groupKey;
    if (this.list.needsFirstGroupPage(key) && !this.groupErrors.has(key)) await this.loadGroupPage(key, undefined);
    const runs = this.list.runsIn(key).map((run) => this.runElement(run.id));
    const error = this.groupErrors.get(key);
    const tail: RunsElement[] = error ? [{ type: 'message', text: `Could not list runs: ${error}`, parent: element }] : [];
    if (this.list.moreOf(key)) tail.push(this.moreElement(key));
    return [...runs, ...tail];
  }

  private async runChildren(element: RunElement): Promise<RunsElement[]> {
    try {
      const tree = await this.ensureTree(element.runId);
      return tree.roots().map((node) => this.nodeElement(element.runId, node.id));
    } catch (error) {
      return [{ type: 'message', text: `Could not load the run's nodes: ${describeError(error)}`, parent: element }];
    }
  }

  private groupItem(element: GroupElement): vscode.TreeItem {
    const group = this.list.group(element.groupKey);
    const expanded = this.list.groups().length <= expandedGroupsLimit;
    const item = new vscode.TreeItem(
      group?.label ?? element.groupKey,
      expanded ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed,
    );
    item.id = `group:${this.list.groupBy}:${element.groupKey}`;
    item.iconPath = new vscode.ThemeIcon(this.list.groupBy === 'workflow' ? 'symbol-method' : 'git-branch');
    const runs = this.list.runsIn(element.groupKey);
    const more = this.list.moreOf(element.groupKey) ? '+' : '';
    item.description = `${runs.length}${more} ${runs.length === 1 && !more ? 'run' : 'runs'}`;
    item.contextValue = 'group';
    return item;
  }

  private runItem(element: RunElement): vscode.TreeItem {
    const run = this.list.get(element.runId);
    const now = Date.now();
    if (!run) return new vscode.TreeItem(element.runId);
    const count = this.trees.get(run.id)?.size ?? this.list.nodeCount(run.id);
    const collapsible =
      count > 0 || run.status === 'running' ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None;
    const item = new vscode.TreeItem(runLabel(run, this.list.groupBy, now), collapsible);
    item.id = `run:${run.id}`;
    item.description = runDescription(run, count, now);
    item.tooltip = runTooltip(run, count);
    const icon = runStatusIcon(run.status);
    item.iconPath = new vscode.ThemeIcon(icon.icon, icon.color ? new vscode.ThemeColor(icon.color) : undefined);
    item.contextValue = run.status === 'running' ? 'run.running' : 'run';
    return item;
  }

  private nodeItem(element: NodeElement): vscode.TreeItem {
    const tree = this.trees.get(element.runId);
    const node = tree?.get(element.nodeId);
    if (!tree || !node) return new vscode.TreeItem(element.nodeId);
    const collapsible = tree.hasChildren(node.id) ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None;
    const item = new vscode.TreeItem(nodeLabel(node), collapsible);
    item.id = `node:${element.runId}/${node.id}`;
    item.description = nodeDescription(node);
    item.tooltip = nodeTooltip(node);
    const icon = nodeIcon(node);
    item.iconPath = new vscode.ThemeIcon(icon.icon, icon.color ? new vscode.ThemeColor(icon.color) : undefined);
    // `node`, `node.withSource`, `node.decision`, `node.decision.withSource`: menus match them by regex.
    item.contextValue = `node${isDecision(node) ? '.decision' : ''}${node.source ? '.withSource' : ''}`;
    item.command = { command: 'runtrail.node.inspect', title: 'Inspect Node', arguments: [element] };
    return item;
  }

  // ---- loading ---------------------------------------------------------------------------------

  /** Runs a load that a getChildren answer waits for, holding refreshes meanwhile. */
  private inFlight<T>(load: () => Promise<T>): Promise<T> {
    const promise = load();
    this.loadsInFlight.add(promise);
    const done = () => this.loadsInFlight.delete(promise);
    promise.then(done, done);
    return promise;
  }

  /** Delivers queued refreshes once no children fetch is in flight (before a reveal). */
  private async flushWhenIdle(): Promise<void> {
    while (this.loadsInFlight.size > 0) await Promise.allSettled([...this.loadsInFlight]);
    this.batch.flush();
  }

  private ensureList(): Promise<void> {
    if (this.list.loaded) return Promise.resolve();
    if (!this.listLoad) {
      const generation = this.generation;
      const list = this.list;
      this.listLoad = this.inFlight(async () => {
        try {
          const page = await this.sidecar.api().listRuns({ limit: pageSize });
          if (generation === this.generation) list.addPage(page);
        } catch (error) {
          if (generation !== this.generation) return;
          this.listError = describeError(error);
          this.output.warn(`Runs view: could not list runs: ${this.listError}`);
        }
      });
      void this.listLoad.finally(() => {
        if (generation === this.generation && this.listError !== undefined) this.listLoad = undefined;
      });
    }
    return this.listLoad;
  }

  private async loadGroupPage(groupKey: string, cursor: string | undefined): Promise<void> {
    const group = this.list.group(groupKey);
    if (!group?.filter) return;
    const generation = this.generation;
    const list = this.list;
    try {
      const page = await this.inFlight(() =>
        this.sidecar.api().listRuns({ ...group.filter, limit: pageSize, ...(cursor ? { cursor } : {}) }),
      );
      if (generation !== this.generation) return;
      list.addGroupPage(groupKey, page);
      this.groupErrors.delete(groupKey);
    } catch (error) {
      if (generation !== this.generation) return;
      this.groupErrors.set(groupKey, describeError(error));
      this.output.warn(`Runs view: could not list runs of ${group.label}: ${describeError(error)}`);
    }
  }

  /** Fetches the next page behind a "Load more…" item. */
  async loadMore(element: LoadMoreElement): Promise<void> {
    const more = element.groupKey === null ? ({ kind: 'all' } as const) : this.list.moreOf(element.groupKey);
    if (!more) return;
    if (more.kind === 'group' && element.groupKey !== null) {
      await this.loadGroupPage(element.groupKey, more.cursor);
      this.batch.add(this.groupElement(element.groupKey));
      return;
    }
    const cursor = this.list.nextCursor;
    if (cursor === null) return;
    const generation = this.generation;
    const page = await this.sidecar.api().listRuns({ limit: pageSize, cursor });
    if (generation !== this.generation) return;
    this.list.addPage(page);
    this.batch.addAll();
  }

  /** The run's node tree, fetched once; live deltas that raced the fetch are applied after it. */
  ensureTree(runId: string): Promise<NodeTree> {
    const loaded = this.trees.get(runId);
    if (loaded) return Promise.resolve(loaded);
    let load = this.treeLoads.get(runId);
    if (!load) {
      const generation = this.generation;
      this.pendingDeltas.set(runId, []);
      load = this.inFlight(async () => {
        try {
          const flat = await this.sidecar.api().tree(runId);
          const tree = new NodeTree(runId, flat.nodes);
          for (const delta of this.pendingDeltas.get(runId) ?? []) tree.apply(delta);
          if (generation === this.generation) {
            this.trees.set(runId, tree);
            // The tree's run is fresher than the listed one (node count, status).
            const shownCount = this.list.nodeCount(runId);
            if (this.list.get(runId)) this.list.upsert(flat.run);
            if (tree.size !== shownCount) this.batch.add(this.runElement(runId));
          }
          return tree;
        } finally {
          this.pendingDeltas.delete(runId);
          this.treeLoads.delete(runId);
        }
      });
      this.treeLoads.set(runId, load);
    }
    return load;
  }

  // ---- live updates ----------------------------------------------------------------------------

  private onRun(event: Run | { readonly id: string; readonly deleted: true }): void {
    // Before the first page arrives too: the page and the event merge by run id.
    if (this.sidecar.state.kind !== 'running') return;
    if ('deleted' in event) {
      this.forgetRun(event.id);
      return;
    }
    const change = this.list.upsert(event);
    if (change.groupAdded || change.groupRemoved !== undefined) this.batch.addAll();
    else if (change.runAdded) this.batch.add(this.groupElement(change.groupKey));
    else this.batch.add(this.runElement(event.id));
    if (event.status !== 'running' && this.trees.has(event.id)) void this.refreshTree(event.id);
  }

  /**
   * Reloads a finished run's loaded tree: live deltas leave out the times the sidecar filled in
   * for records that had none, so durations appear only in the stored tree.
   */
  private async refreshTree(runId: string): Promise<void> {
    const generation = this.generation;
    try {
      const flat = await this.sidecar.api().tree(runId);
      if (generation !== this.generation || !this.trees.has(runId)) return;
      this.trees.set(runId, new NodeTree(runId, flat.nodes));
      this.batch.add(this.runElement(runId));
    } catch (error) {
      this.output.debug(`Runs view: could not reload run ${runId}: ${describeError(error)}`);
    }
  }

  private onNode(delta: NodeDelta): void {
    const pending = this.pendingDeltas.get(delta.runId);
    if (pending) {
      pending.push(delta);
      return;
    }
    const tree = this.trees.get(delta.runId);
    if (!tree) {
      if (this.list.noteNode(delta)) this.batch.add(this.runElement(delta.runId));
      return;
    }
    const sizeBefore = tree.size;
    const change = tree.apply(delta);
    for (const nodeId of change.changed) this.batch.add(this.nodeElement(delta.runId, nodeId));
    for (const parentId of change.childrenChanged) {
      this.batch.add(parentId === null ? this.runElement(delta.runId) : this.nodeElement(delta.runId, parentId));
    }
    if (tree.size !== sizeBefore) this.batch.add(this.runElement(delta.runId));
  }

  /** Takes a deleted run out of the view (its delete event may come later, or not while paused). */
  forgetRun(runId: string): void {
    const removed = this.list.remove(runId);
    this.forgetTree(runId);
    this.runElements.delete(runId);
    if (!removed) return;
    if (removed.groupRemoved) this.batch.addAll();
    else this.batch.add(this.groupElement(removed.groupKey));
  }

  private forgetTree(runId: string): void {
    this.trees.delete(runId);
    for (const key of [...this.nodeElements.keys()]) if (key.startsWith(`${runId}/`)) this.nodeElements.delete(key);
  }

  // ---- reveal ----------------------------------------------------------------------------------

  /**
   * Shows a run in the view (after starting a workflow): adds it to the model if the list does
   * not have it yet, then reveals and selects it.
   */
  async revealRun(run: Run | string, options: { focus?: boolean; expand?: boolean } = {}): Promise<void> {
    await this.ensureList();
    const known = typeof run === 'string' ? (this.list.get(run) ?? (await this.sidecar.api().getRun(run))) : run;
    const change = this.list.upsert(known);
    if (change.groupAdded || change.groupRemoved !== undefined) this.batch.addAll();
    else this.batch.add(this.groupElement(change.groupKey));
    // The refresh must reach VS Code before the reveal asks for the run's place in the tree.
    await this.flushWhenIdle();
    await this.treeView.reveal(this.runElement(known.id), { select: true, focus: options.focus ?? true, expand: options.expand ?? false });
  }

  /** Shows one node (a CodeLens click): loads its run and tree as needed, expands the path to it. */
  async revealNode(runId: string, nodeId: string, options: { focus?: boolean } = {}): Promise<boolean> {
    await this.ensureList();
    if (!this.list.get(runId)) {
      const run = await this.sidecar.api().getRun(runId);
      const change = this.list.upsert(run);
      if (change.groupAdded) this.batch.addAll();
      else this.batch.add(this.groupElement(change.groupKey));
    }
    const tree = await this.ensureTree(runId);
    if (!tree.get(nodeId)) return false;
    this.batch.add(this.runElement(runId));
    await this.flushWhenIdle();
    await this.treeView.reveal(this.nodeElement(runId, nodeId), { select: true, focus: options.focus ?? true, expand: false });
    return true;
  }

  // ---- state -----------------------------------------------------------------------------------

  private showState(state: SidecarState): void {
    void vscode.commands.executeCommand('setContext', 'runtrail.sidecarState', state.kind);
    this.treeView.message =
      state.kind === 'failed' ? `The sidecar failed: ${state.reason}` : state.kind === 'stopped' && state.reason ? state.reason : undefined;
  }

  private initialGroupBy(): GroupBy {
    const remembered = this.workspaceState.get<string>(groupByStateKey);
    if (remembered === 'workflow' || remembered === 'branch') return remembered;
    return configuredGroupBy() ?? 'workflow';
  }

  // ---- stable elements -------------------------------------------------------------------------

  groupElement(groupKey: string): GroupElement {
    let element = this.groupElements.get(groupKey);
    if (!element) {
      element = { type: 'group', groupKey };
      this.groupElements.set(groupKey, element);
    }
    return element;
  }

  runElement(runId: string): RunElement {
    let element = this.runElements.get(runId);
    if (!element) {
      element = { type: 'run', runId };
      this.runElements.set(runId, element);
    }
    return element;
  }

  nodeElement(runId: string, nodeId: string): NodeElement {
    const key = `${runId}/${nodeId}`;
    let element = this.nodeElements.get(key);
    if (!element) {
      element = { type: 'node', runId, nodeId };
      this.nodeElements.set(key, element);
    }
    return element;
  }

  private moreElement(groupKey: string | null): LoadMoreElement {
    let element = this.moreElements.get(groupKey);
    if (!element) {
      element = { type: 'loadMore', groupKey };
      this.moreElements.set(groupKey, element);
    }
    return element;
  }
}

function configuredGroupBy(): GroupBy | undefined {
  const value = vscode.workspace.getConfiguration('runtrail').get<string>('runs.groupBy');
  return value === 'workflow' || value === 'branch' ? value : undefined;
}

function every(ms: number, tick: () => void): vscode.Disposable {
  const timer = setInterval(tick, ms);
  return new vscode.Disposable(() => clearInterval(timer));
}
