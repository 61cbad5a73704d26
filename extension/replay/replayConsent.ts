import * as vscode from 'vscode';
import { type ReplayRequest, UndeclaredCommandDetails } from '../../protocol/replay';
import type { Run } from '../../protocol/runs';
import { type RuntrailApi, SidecarRequestError } from '../services';
import { shortId } from '../views/format';

/**
 * Starts a replay; when the sidecar refuses because the run's command is not a workflow of
 * runtrail.json (a script started from a terminal, or a run another machine recorded in team
 * mode), shows the user exactly what would run and where, and replays only if they agree.
 * Resolves to undefined when they do not.
 */
export async function replayWithConsent(api: RuntrailApi, runId: string, request: ReplayRequest): Promise<Run | undefined> {
  try {
    return await api.replayRun(runId, request);
  } catch (error) {
    const details =
      error instanceof SidecarRequestError && error.status === 403 ? UndeclaredCommandDetails.safeParse(error.details) : undefined;
    if (!details?.success) throw error;
    const run = 'Run It';
    const answer = await vscode.window.showWarningMessage(
      `Run ${shortId(runId)} was not started from a workflow of runtrail.json. Replaying it runs this command on this machine:`,
      { modal: true, detail: `${details.data.command.map(quoted).join(' ')}\n\nin ${details.data.cwd}` },
      run,
    );
    if (answer !== run) return undefined;
    return api.replayRun(runId, { ...request, allowUndeclaredCommand: true });
  }
}

/** An argument as a shell would need it, so the user reads the command as it would run. */
function quoted(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}
