import * as vscode from 'vscode';
import type { UndeclaredCommandDetails } from '../../protocol/replay';
import { shortId } from '../views/format';

/**
 * The modal a replay of an undeclared command waits on (replayConsent.ts): the command as a shell
 * would show it and its folder, and one button to run it. Escape or closing declines.
 */
export async function askToRunCommand(runId: string, details: UndeclaredCommandDetails): Promise<boolean> {
  const run = 'Run It';
  const answer = await vscode.window.showWarningMessage(
    `Run ${shortId(runId)} was not started from a workflow of runtrail.json. Replaying it runs this command on this machine:`,
    { modal: true, detail: `${details.command.map(quoted).join(' ')}\n\nin ${details.cwd}` },
    run,
  );
  return answer === run;
}

/** An argument as a shell would need it, so the user reads the command as it would run. */
function quoted(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}
