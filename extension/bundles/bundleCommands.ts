import * as path from 'node:path';
import * as vscode from 'vscode';
import { BundleParseError, bundleFileName, parseBundle } from '../../protocol/bundle';
import { runIdOf } from '../commands/commandArgs';
import type { FeatureServices } from '../commands/featureServices';
import { reportError } from '../commands/reportError';
import { pickRun } from '../commands/runCommands';
import { readyApi } from '../commands/sidecarReady';
import { SidecarRequestError } from '../services';
import { shortId } from '../views/format';
import { BundleRunSource } from './bundleRunSource';
import { exportRunToFile, importBundleFile } from './bundleTransfer';

const bundleFilters = { 'Runtrail run bundles': ['jsonl', 'ndjson'], 'All files': ['*'] };

/** The graph panel key of a bundle file: one panel per file. */
export const bundlePanelKey = (file: vscode.Uri) => `bundle:${file.toString()}`;

/**
 * Run bundles (protocol/bundle.ts) in VS Code:
 * - "Export Run…" (`runtrail.run.export`): the run from the Runs view, the selection or a quick
 *   pick → a save dialog → the file, streamed from the sidecar. Args `(run, targetUri?)`.
 * - "Open Run Bundle…" (`runtrail.bundle.open`): a file → the run graph panel, read-only, read
 *   from the file; nothing is imported and the sidecar is not involved. Arg `(fileUri?)`.
 * - "Import Run Bundle…" (`runtrail.bundle.import`): a file → `POST /api/import` → the imported
 *   run's graph. Arg `(fileUri?, {as?})`; a conflicting run id offers to import a copy.
 */
export function registerBundleCommands(services: FeatureServices): vscode.Disposable[] {
  const { sidecar, output, graphPanels } = services;

  const defaultFolder = () => vscode.workspace.workspaceFolders?.[0]?.uri;

  async function exportRun(arg?: unknown, target?: unknown): Promise<vscode.Uri | undefined> {
    const [selected] = services.runsView.selection;
    const runId =
      runIdOf(arg) ??
      (selected && (selected.type === 'run' || selected.type === 'node') ? selected.runId : undefined) ??
      (await pickRun(services));
    if (!runId) return undefined;
    try {
      let file = target instanceof vscode.Uri ? target : undefined;
      if (!file) {
        const folder = defaultFolder();
        file = await vscode.window.showSaveDialog({
          title: `Runtrail: export run ${shortId(runId)}`,
          saveLabel: 'Export',
          filters: bundleFilters,
          ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, bundleFileName(runId)) } : {}),
        });
      }
      if (!file) return undefined;
      const target_ = file;
      const api = await readyApi(sidecar);
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Exporting run ${shortId(runId)}…` }, () =>
        exportRunToFile(api, runId, target_.fsPath),
      );
      output.info(`Exported run ${runId} to ${target_.fsPath}`);
      vscode.window.setStatusBarMessage(`Exported run ${shortId(runId)} to ${path.basename(target_.fsPath)}`, 5000);
      return target_;
    } catch (error) {
      reportError(output, `Could not export run ${shortId(runId)}`, error);
      return undefined;
    }
  }

  async function askForBundle(title: string, openLabel: string): Promise<vscode.Uri | undefined> {
    const folder = defaultFolder();
    const [file] =
      (await vscode.window.showOpenDialog({
        title,
        openLabel,
        canSelectMany: false,
        filters: bundleFilters,
        ...(folder ? { defaultUri: folder } : {}),
      })) ?? [];
    return file;
  }

  async function openBundle(arg?: unknown): Promise<vscode.WebviewPanel | undefined> {
    const file = arg instanceof vscode.Uri ? arg : await askForBundle('Runtrail: open a run bundle (read-only)', 'Open');
    if (!file) return undefined;
    const name = path.basename(file.fsPath);
    try {
      const text = new TextDecoder('utf-8').decode(await vscode.workspace.fs.readFile(file));
      const source = new BundleRunSource(parseBundle(text), name);
      output.info(`Opened run ${source.runId} from ${file.fsPath} (read-only, not imported)`);
      return graphPanels.openBundle(bundlePanelKey(file), source).panel;
    } catch (error) {
      const why = error instanceof BundleParseError ? `it is not a valid run bundle: ${error.message}` : (error as Error).message;
      reportError(output, `Could not open ${name}`, new Error(why));
      return undefined;
    }
  }

  async function importBundle(arg?: unknown, options?: { as?: string }): Promise<{ runId: string; created: boolean } | undefined> {
    const file = arg instanceof vscode.Uri ? arg : await askForBundle('Runtrail: import a run bundle', 'Import');
    if (!file) return undefined;
    const name = path.basename(file.fsPath);
    try {
      const api = await readyApi(sidecar);
      const load = (as?: string) =>
        vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Importing ${name}…` }, () =>
          importBundleFile(api, file.fsPath, as),
        );
      let result: Awaited<ReturnType<typeof importBundleFile>>;
      try {
        result = await load(options?.as);
      } catch (error) {
        if (!(error instanceof SidecarRequestError && error.status === 409) || options?.as !== undefined) throw error;
        const copy = 'Import as a Copy';
        const answer = await vscode.window.showWarningMessage(`Could not import ${name}: ${error.message}`, copy);
        if (answer !== copy) return undefined;
        result = await load(`${(error.details as { runId?: string } | undefined)?.runId ?? 'run'}-copy-${Date.now().toString(36)}`);
      }
      vscode.window.setStatusBarMessage(
        result.created
          ? `Imported run ${shortId(result.runId)} (${result.nodes} nodes)`
          : `Run ${shortId(result.runId)} was already imported`,
        5000,
      );
      graphPanels.open(result.runId);
      return { runId: result.runId, created: result.created };
    } catch (error) {
      reportError(output, `Could not import ${name}`, error);
      return undefined;
    }
  }

  return [
    vscode.commands.registerCommand('runtrail.run.export', exportRun),
    vscode.commands.registerCommand('runtrail.bundle.open', openBundle),
    vscode.commands.registerCommand('runtrail.bundle.import', importBundle),
  ];
}
