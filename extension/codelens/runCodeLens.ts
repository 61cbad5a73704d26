import * as vscode from 'vscode';
import { describeError } from '../commands/userErrors';
import type { NodeDelta, SidecarConnection } from '../services';
import { documentMatchesRecorded } from '../source/sourcePaths';
import { lensTitle, SourceIndex } from './sourceIndex';

/**
 * CodeLens "N runs · last ok 340 ms" above lines that emitted nodes in the recent runs. The lenses
 * come from a SourceIndex filled once with the last runs' trees (on start, when the sidecar comes
 * up, after missed events) and kept current by live node deltas: a lens request never reaches the
 * sidecar. Clicking one reveals the node in the Runs view. Off when `runtrail.codeLens.enabled`
 * is false.
 */
const recentRuns = 20;
const ignoreCase = process.platform === 'win32' || process.platform === 'darwin';

export class RunCodeLens implements vscode.CodeLensProvider, vscode.Disposable {
  readonly index = new SourceIndex(recentRuns);
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changeEmitter.event;
  private readonly disposables: vscode.Disposable[];
  private generation = 0;
  private loaded: Promise<void> | undefined;
  private changeTimer: ReturnType<typeof setTimeout> | undefined;
  private filesCache: { version: number; files: string[] } | undefined;
  /** Deltas seen while the trees load: replayed over the fresh index so none is lost. */
  private duringLoad: NodeDelta[] | undefined;

  constructor(
    private readonly sidecar: SidecarConnection,
    private readonly output: vscode.LogOutputChannel,
  ) {
    this.disposables = [
      this.changeEmitter,
      vscode.languages.registerCodeLensProvider({ scheme: 'file' }, this),
      sidecar.events.onNode((delta) => {
        this.duringLoad?.push(delta);
        if (this.index.applyDelta(delta, Date.now())) this.changed();
      }),
      sidecar.events.onRun((event) => {
        if ('deleted' in event) {
          this.index.removeRun(event.id);
          this.changed();
        } else if (event.status !== 'running' && this.index.hasRun(event.id)) void this.refreshRun(event.id);
      }),
      sidecar.events.onReset(() => this.reload()),
      sidecar.onDidChangeState((state) => {
        if (state.kind === 'running') this.reload();
      }),
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (!event.affectsConfiguration('runtrail.codeLens.enabled')) return;
        if (enabled() && !this.loaded) this.reload();
        this.changeEmitter.fire();
      }),
    ];
    if (sidecar.state.kind === 'running') this.reload();
  }

  dispose(): void {
    this.generation++;
    if (this.changeTimer !== undefined) clearTimeout(this.changeTimer);
    for (const disposable of this.disposables) disposable.dispose();
  }

  /** Rebuilds the index from the last runs' trees (cheap enough to do on refresh and reset). */
  reload(): Promise<void> {
    if (!enabled()) {
      this.loaded = undefined;
      return Promise.resolve();
    }
    const generation = ++this.generation;
    this.loaded = this.load(generation);
    return this.loaded;
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    if (!enabled()) return [];
    const folders = (vscode.workspace.workspaceFolders ?? []).map((folder) => folder.uri.fsPath);
    const files = this.recordedFiles().filter((file) => documentMatchesRecorded(document.uri.fsPath, file, folders, ignoreCase));
    if (files.length === 0) return [];
    return this.index
      .linesOf(files)
      .filter((summary) => summary.line <= document.lineCount)
      .map((summary) => {
        const range = document.lineAt(summary.line - 1).range;
        return new vscode.CodeLens(range, {
          title: lensTitle(summary),
          tooltip: 'Reveal the latest node from this line in the Runs view',
          command: 'runtrail.node.reveal',
          arguments: [{ runId: summary.last.runId, nodeId: summary.last.nodeId }],
        });
      });
  }

  private async load(generation: number): Promise<void> {
    this.duringLoad = [];
    try {
      const api = this.sidecar.api();
      const { runs } = await api.listRuns({ limit: recentRuns });
      const trees = await mapLimited(runs, 3, async (run) => {
        try {
          return await api.tree(run.id);
        } catch (error) {
          this.output.debug(`CodeLens: skipped run ${run.id}: ${describeError(error)}`);
          return undefined;
        }
      });
      if (generation !== this.generation) return;
      this.index.clear();
      for (const tree of trees) if (tree) this.index.addRun(tree.run, tree.nodes);
      for (const delta of this.duringLoad ?? []) this.index.applyDelta(delta, Date.now());
      this.changed();
    } catch (error) {
      if (generation === this.generation) this.output.warn(`CodeLens: could not load recent runs: ${describeError(error)}`);
    } finally {
      if (generation === this.generation) this.duringLoad = undefined;
    }
  }

  /**
   * A finished run's tree once more: live deltas leave out the times the sidecar filled in (a
   * record without startedAt/endedAt), the stored tree has them, so the lens can show durations.
   * One request per finished run, never per line.
   */
  private async refreshRun(runId: string): Promise<void> {
    const generation = this.generation;
    try {
      const tree = await this.sidecar.api().tree(runId);
      if (generation !== this.generation || !this.index.hasRun(runId)) return;
      this.index.addRun(tree.run, tree.nodes);
      this.changed();
    } catch (error) {
      this.output.debug(`CodeLens: could not refresh run ${runId}: ${describeError(error)}`);
    }
  }

  private recordedFiles(): string[] {
    if (this.filesCache?.version !== this.index.version) this.filesCache = { version: this.index.version, files: this.index.files() };
    return this.filesCache.files;
  }

  /** Live runs change the index many times a second: tell VS Code at most every 250 ms. */
  private changed(): void {
    if (this.changeTimer !== undefined) return;
    this.changeTimer = setTimeout(() => {
      this.changeTimer = undefined;
      this.changeEmitter.fire();
    }, 250);
  }
}

function enabled(): boolean {
  return vscode.workspace.getConfiguration('runtrail').get<boolean>('codeLens.enabled', true);
}

async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const at = next++;
      results[at] = await fn(items[at] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
