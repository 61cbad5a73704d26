import * as vscode from 'vscode';
import type { Run } from '../../protocol/runs';
import { describeError, isNotFound } from '../commands/userErrors';
import { diffDocumentPath, diffDocumentText, diffScheme, parseDiffDocumentPath, unavailableDiffText } from '../replay/diffDocument';
import type { SidecarConnection } from '../services';

/**
 * Read-only run comparisons under the `runtrail-diff:` scheme (`runtrail.runs.compare`). An open
 * comparison is re-read when one of its runs changes (a replay finishing) or events were missed.
 */
export class DiffDocumentProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changeEmitter.event;
  private readonly disposables: vscode.Disposable[];

  constructor(private readonly sidecar: SidecarConnection) {
    this.disposables = [
      this.changeEmitter,
      vscode.workspace.registerTextDocumentContentProvider(diffScheme, this),
      sidecar.events.onRun((event) => {
        for (const uri of this.openDiffDocuments()) {
          const runs = parseDiffDocumentPath(uri.path);
          if (runs && (runs.a === event.id || runs.b === event.id)) this.changeEmitter.fire(uri);
        }
      }),
      sidecar.events.onReset(() => {
        for (const uri of this.openDiffDocuments()) this.changeEmitter.fire(uri);
      }),
    ];
  }

  static uriFor(a: string, b: string): vscode.Uri {
    return vscode.Uri.from({ scheme: diffScheme, path: diffDocumentPath(a, b) });
  }

  dispose(): void {
    for (const disposable of this.disposables) disposable.dispose();
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const runs = parseDiffDocumentPath(uri.path);
    if (!runs) return unavailableDiffText(uri.path, 'Not a run comparison: expected runtrail-diff:/diff/<runId>/<otherRunId>.md');
    const what = `run ${runs.a} → ${runs.b}`;
    try {
      const api = this.sidecar.api();
      // The runs only add context (workflow, status, replay link): the diff stands without them.
      const run = (id: string) => api.getRun(id).catch((): Run | undefined => undefined);
      const [diff, a, b] = await Promise.all([api.diffRuns(runs.a, runs.b), run(runs.a), run(runs.b)]);
      return diffDocumentText(diff, { a, b });
    } catch (error) {
      const reason = isNotFound(error) ? `${describeError(error)}: one of the runs was not found.` : describeError(error);
      return unavailableDiffText(what, reason);
    }
  }

  private openDiffDocuments(): vscode.Uri[] {
    return vscode.workspace.textDocuments.filter((doc) => doc.uri.scheme === diffScheme && !doc.isClosed).map((doc) => doc.uri);
  }
}
