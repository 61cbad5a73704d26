import * as path from 'node:path';
import * as vscode from 'vscode';
import type { NodeSummary, Run } from '../../protocol/runs';
import { shortId } from '../views/format';
import { changedSince, headCommit, isCommitId, sameCommit, showAtCommit } from './git';
import { basename, bestSuffixMatch, directCandidates } from './sourcePaths';

/**
 * Jump to source: opens the file a node recorded at its line and column. The recorded path is
 * used as is when it exists here (relative ones against each workspace folder); otherwise it was
 * recorded on another machine or in a container, and the workspace file sharing the longest
 * trailing path with it is opened (sourcePaths.ts). When the run's commit is not HEAD and the file
 * changed since, the file as it was at that commit is offered beside the current one.
 */
export const gitScheme = 'runtrail-git';

const ignoreCase = process.platform === 'win32' || process.platform === 'darwin';

export class SourceNavigator implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[];

  constructor(private readonly output: vscode.LogOutputChannel) {
    this.disposables = [vscode.workspace.registerTextDocumentContentProvider(gitScheme, new GitRevisionProvider())];
  }

  dispose(): void {
    for (const disposable of this.disposables) disposable.dispose();
  }

  /**
   * Opens the node's source. Says what went wrong in a message (no source recorded, file not in
   * this workspace) and returns undefined instead of throwing.
   */
  async reveal(node: NodeSummary, run: Run | undefined): Promise<vscode.TextEditor | undefined> {
    const source = node.source;
    const runName = run ? `run ${shortId(run.id)} of ${run.workflow}` : `run ${shortId(node.runId)}`;
    if (!source) {
      void vscode.window.showInformationMessage(`Node "${node.name ?? node.id}" recorded no source location.`);
      return undefined;
    }
    const uri = await this.locate(source.file);
    if (!uri) {
      this.output.info(`Jump to source: ${source.file} (${runName}) matches no file in this workspace`);
      void vscode.window.showWarningMessage(
        `Cannot open ${source.file} from ${runName}: no such file in this workspace (it may have been recorded elsewhere, renamed or deleted).`,
      );
      return undefined;
    }
    const document = await vscode.workspace.openTextDocument(uri);
    const selection = lineSelection(document, source.line, source.column);
    const editor = await vscode.window.showTextDocument(document, { selection, preview: true });
    editor.revealRange(selection, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    if (source.line > document.lineCount) {
      void vscode.window.showWarningMessage(
        `${path.basename(uri.fsPath)} has ${document.lineCount} lines; ${runName} recorded line ${source.line}: the file changed since.`,
      );
    }
    const commit = run?.git.commit;
    if (commit && uri.scheme === 'file') void this.offerRecordedVersion(uri.fsPath, commit, source.line, runName);
    return editor;
  }

  /** The workspace file the recorded path means, asking the user when several match equally well. */
  async locate(recorded: string): Promise<vscode.Uri | undefined> {
    const folders = (vscode.workspace.workspaceFolders ?? []).map((folder) => folder.uri.fsPath);
    for (const candidate of directCandidates(recorded, folders)) {
      const uri = vscode.Uri.file(candidate);
      if (await exists(uri)) return uri;
    }
    const name = basename(recorded);
    if (!name || folders.length === 0) return undefined;
    // Glob metacharacters in a file name would make the pattern mean something else: match any one character there.
    const pattern = `**/${name.replace(/[[\]{}*?!]/g, '?')}`;
    const found = await vscode.workspace.findFiles(pattern, '**/node_modules/**', 500);
    const match = bestSuffixMatch(
      recorded,
      found.map((uri) => uri.fsPath),
      ignoreCase,
    );
    if (!match) return undefined;
    if (match.best.length === 1) return vscode.Uri.file(match.best[0] as string);
    const picked = await vscode.window.showQuickPick(
      match.best.map((file) => ({ label: vscode.workspace.asRelativePath(file), file })),
      { title: `Several files could be ${recorded}`, placeHolder: 'Pick the file to open' },
    );
    return picked ? vscode.Uri.file(picked.file) : undefined;
  }

  private async offerRecordedVersion(file: string, commit: string, line: number, runName: string): Promise<void> {
    if (!isCommitId(commit)) return;
    const head = await headCommit(path.dirname(file));
    if (!head || sameCommit(head, commit)) return;
    const changed = await changedSince(file, commit);
    if (changed !== true) {
      if (changed === undefined) this.output.info(`Jump to source: commit ${commit} of ${runName} is not in the repository of ${file}`);
      return;
    }
    const short = commit.slice(0, 7);
    const open = `Open as at ${short}`;
    const compare = 'Compare';
    const choice = await vscode.window.showInformationMessage(
      `${path.basename(file)} changed since ${runName} (commit ${short}).`,
      open,
      compare,
    );
    const recordedUri = gitRevisionUri(file, commit);
    if (choice === open) {
      const document = await vscode.workspace.openTextDocument(recordedUri);
      await vscode.window.showTextDocument(document, {
        viewColumn: vscode.ViewColumn.Beside,
        preview: true,
        selection: lineSelection(document, line, undefined),
      });
    } else if (choice === compare) {
      await vscode.commands.executeCommand('vscode.diff', recordedUri, vscode.Uri.file(file), `${path.basename(file)} (${short} ↔ now)`);
    }
  }
}

/** `runtrail-git:/<commit>/<name>?commit=…&file=…`: the name keeps the language, the query says what to show. */
export function gitRevisionUri(file: string, commit: string): vscode.Uri {
  return vscode.Uri.from({
    scheme: gitScheme,
    path: `/${commit.slice(0, 7)}/${path.basename(file)}`,
    query: new URLSearchParams({ commit, file }).toString(),
  });
}

class GitRevisionProvider implements vscode.TextDocumentContentProvider {
  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const query = new URLSearchParams(uri.query);
    const commit = query.get('commit') ?? '';
    const file = query.get('file') ?? '';
    if (!isCommitId(commit) || !path.isAbsolute(file)) return 'Not a Runtrail git revision: expected ?commit=<id>&file=<absolute path>.';
    return (await showAtCommit(file, commit)) ?? `${path.basename(file)} did not exist at commit ${commit}.`;
  }
}

/**
 * The recorded position (1-based line and column; column 0 or missing = start of line): the caret
 * at the column, the rest of the line selected, so the call that emitted the node stands out.
 */
function lineSelection(document: vscode.TextDocument, line: number, column: number | null | undefined): vscode.Selection {
  const lineIndex = Math.min(Math.max(0, line - 1), Math.max(0, document.lineCount - 1));
  const text = document.lineAt(lineIndex);
  const start = Math.min(Math.max(0, (column ?? 1) - 1), text.range.end.character);
  return new vscode.Selection(lineIndex, text.range.end.character, lineIndex, start);
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    const stat = await vscode.workspace.fs.stat(uri);
    return (stat.type & vscode.FileType.File) !== 0;
  } catch {
    return false;
  }
}
