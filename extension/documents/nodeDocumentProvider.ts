import * as vscode from 'vscode';
import { describeError, isNotFound } from '../commands/userErrors';
import type { SidecarConnection } from '../services';
import { nodeDocumentLocation, nodeDocumentText, nodeScheme, parseNodeDocumentLocation, unavailableDocumentText } from './nodeDocument';

/**
 * Read-only JSON documents for nodes under the `runtrail:` scheme. A content provider's documents
 * cannot be edited, which is what a recorded node is. An open document is re-read when a live
 * delta for its node arrives (at most once per 100 ms per document) and when events were missed.
 */
export class NodeDocumentProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changeEmitter.event;
  private readonly pending = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly disposables: vscode.Disposable[];

  constructor(private readonly sidecar: SidecarConnection) {
    this.disposables = [
      this.changeEmitter,
      vscode.workspace.registerTextDocumentContentProvider(nodeScheme, this),
      sidecar.events.onNode((delta) => {
        for (const uri of this.openNodeDocuments())
          if (parseNodeDocumentLocation(uri.path, uri.query)?.nodeId === delta.id) this.changed(uri);
      }),
      sidecar.events.onReset(() => {
        for (const uri of this.openNodeDocuments()) this.changed(uri);
      }),
      sidecar.onDidChangeState((state) => {
        if (state.kind === 'running') for (const uri of this.openNodeDocuments()) this.changed(uri);
      }),
    ];
  }

  static uriFor(nodeId: string, runId: string | undefined): vscode.Uri {
    const { path, query } = nodeDocumentLocation(nodeId, runId);
    return vscode.Uri.from({ scheme: nodeScheme, path, query });
  }

  dispose(): void {
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
    for (const disposable of this.disposables) disposable.dispose();
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const location = parseNodeDocumentLocation(uri.path, uri.query);
    if (!location) return unavailableDocumentText(uri.path, 'Not a node document: expected runtrail:/node/<nodeId>.json');
    try {
      return nodeDocumentText(await this.sidecar.api().node(location.nodeId));
    } catch (error) {
      const reason = isNotFound(error)
        ? `Node ${location.nodeId} was not found: it or its run may have been deleted.`
        : describeError(error);
      return unavailableDocumentText(location.nodeId, reason);
    }
  }

  private changed(uri: vscode.Uri): void {
    const key = uri.toString();
    if (this.pending.has(key)) return;
    this.pending.set(
      key,
      setTimeout(() => {
        this.pending.delete(key);
        this.changeEmitter.fire(uri);
      }, 100),
    );
  }

  private openNodeDocuments(): vscode.Uri[] {
    return vscode.workspace.textDocuments.filter((doc) => doc.uri.scheme === nodeScheme && !doc.isClosed).map((doc) => doc.uri);
  }
}
