import * as vscode from 'vscode';
import type { Run } from '../../protocol/runs';
import { graphPageUrl } from '../../protocol/webviewMessages';
import { formatStartTime, runDescription, shortId } from '../views/format';
import type { LoadMoreElement } from '../views/runsView';
import { runIdOf } from './commandArgs';
import type { FeatureServices } from './featureServices';
import { reportError } from './reportError';
import { readyApi } from './sidecarReady';

/**
 * Commands on runs and on the Runs view. Each takes what it acts on as its first argument (a run
 * element from the view, `{runId}`, or a run id); from the palette it uses the view's selection,
 * else asks with a quick pick of recent runs.
 */
export function registerRunCommands(services: FeatureServices): vscode.Disposable[] {
  const { sidecar, output, runsView } = services;

  const withRun = (action: string, fn: (runId: string) => Promise<unknown>) => async (arg?: unknown) => {
    const runId = runIdOf(arg) ?? services.runsView.selectedRunId() ?? (await pickRun(services));
    if (!runId) return undefined;
    try {
      return await fn(runId);
    } catch (error) {
      reportError(output, `${action} ${shortId(runId)}`, error);
      return undefined;
    }
  };

  return [
    vscode.commands.registerCommand(
      'runtrail.graph.open',
      withRun('Could not open run', async (runId) => services.graphPanels.open(runId).panel),
    ),
    vscode.commands.registerCommand(
      'runtrail.run.copyId',
      withRun('Could not copy the id of run', async (runId) => {
        await vscode.env.clipboard.writeText(runId);
        vscode.window.setStatusBarMessage(`Copied run id ${runId}`, 3000);
        return runId;
      }),
    ),
    vscode.commands.registerCommand(
      'runtrail.run.delete',
      withRun('Could not delete run', async (runId) => {
        const run = runsView.run(runId) ?? (await sidecar.api().getRun(runId));
        const confirm = 'Delete';
        const answer = await vscode.window.showWarningMessage(
          `Delete run ${shortId(run.id)} of ${run.workflow} (${run.status}, started ${formatStartTime(run.startedAt, Date.now())})?`,
          { modal: true, detail: `Its ${run.nodeCount} nodes are deleted with it. This cannot be undone.` },
          confirm,
        );
        if (answer !== confirm) return false;
        await vscode.window.withProgress({ location: { viewId: 'runtrail.runs' }, title: 'Deleting run' }, () =>
          sidecar.api().deleteRun(run.id),
        );
        runsView.forgetRun(run.id);
        return true;
      }),
    ),
    vscode.commands.registerCommand(
      'runtrail.run.openInBrowser',
      withRun('Could not open run', async (runId) => {
        // The sidecar's /ui page; the token rides in the fragment, which browsers never send to a server.
        const api = sidecar.api();
        const url = vscode.Uri.parse(graphPageUrl(api.url, runId, api.token));
        return vscode.env.openExternal(await vscode.env.asExternalUri(url));
      }),
    ),
    vscode.commands.registerCommand(
      'runtrail.run.cancel',
      withRun('Could not cancel run', async (runId) => {
        const answer = await sidecar.api().cancelRun(runId);
        vscode.window.setStatusBarMessage(`Cancelling run ${shortId(runId)}…`, 3000);
        return answer;
      }),
    ),
    vscode.commands.registerCommand('runtrail.runs.refresh', async () => {
      runsView.reload();
      services.workflowsView.refresh();
      await services.codeLens.reload();
    }),
    vscode.commands.registerCommand('runtrail.runs.loadMore', async (element?: LoadMoreElement) => {
      try {
        await runsView.loadMore(element ?? { type: 'loadMore', groupKey: null });
      } catch (error) {
        reportError(output, 'Could not load more runs', error);
      }
    }),
    vscode.commands.registerCommand('runtrail.runs.groupByWorkflow', () => runsView.setGroupBy('workflow')),
    vscode.commands.registerCommand('runtrail.runs.groupByBranch', () => runsView.setGroupBy('branch')),
  ];
}

/** A quick pick of the newest runs, for palette use with nothing selected. */
export async function pickRun(services: FeatureServices): Promise<string | undefined> {
  let runs: Run[];
  try {
    runs = (await (await readyApi(services.sidecar)).listRuns({ limit: 50 })).runs;
  } catch (error) {
    reportError(services.output, 'Could not list runs', error);
    return undefined;
  }
  if (runs.length === 0) {
    void vscode.window.showInformationMessage(
      'There are no runs yet: run a workflow from the Workflows view, or record one from your code.',
    );
    return undefined;
  }
  const now = Date.now();
  const picked = await vscode.window.showQuickPick(
    runs.map((run) => ({
      label: `${run.workflow} ${formatStartTime(run.startedAt, now)}`,
      description: runDescription(run, run.nodeCount, now),
      detail: run.id,
      runId: run.id,
    })),
    { title: 'Runtrail: pick a run', matchOnDescription: true, matchOnDetail: true },
  );
  return picked?.runId;
}
