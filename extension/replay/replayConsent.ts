import { type ReplayRequest, UndeclaredCommandDetails } from '../../protocol/replay';
import type { Run } from '../../protocol/runs';
import { type RuntrailApi, SidecarRequestError } from '../services';

/** Asks the user whether to run a command runtrail.json does not declare (commandConsentPrompt.ts asks with a modal). */
export type AskToRunCommand = (runId: string, details: UndeclaredCommandDetails) => Promise<boolean>;

/**
 * Starts a replay; when the sidecar refuses because the run's command is not a workflow of
 * runtrail.json (a script started from a terminal, or a run another machine recorded in team
 * mode), `ask` shows the user exactly what would run and where, and the replay is sent again only
 * if they agree. Resolves to undefined when they do not. Pure of vscode, so the graph session can use it.
 */
export async function replayWithConsent(
  api: Pick<RuntrailApi, 'replayRun'>,
  runId: string,
  request: ReplayRequest,
  ask: AskToRunCommand,
): Promise<Run | undefined> {
  try {
    return await api.replayRun(runId, request);
  } catch (error) {
    const details =
      error instanceof SidecarRequestError && error.status === 403 ? UndeclaredCommandDetails.safeParse(error.details) : undefined;
    if (!details?.success || !(await ask(runId, details.data))) {
      if (details?.success) return undefined;
      throw error;
    }
    return api.replayRun(runId, { ...request, allowUndeclaredCommand: true });
  }
}
