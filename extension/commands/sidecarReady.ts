import * as vscode from 'vscode';
import type { RuntrailApi, SidecarConnection } from '../services';

/**
 * The API once the sidecar runs. A command used right after the window opens (or during a
 * restart) waits for a starting sidecar, with progress in the status bar, instead of failing with
 * "try again in a moment"; any other state throws the connection's own SidecarUnavailableError,
 * whose message says what to do.
 */
export async function readyApi(sidecar: SidecarConnection, timeoutMs = 60_000): Promise<RuntrailApi> {
  if (sidecar.state.kind === 'starting') {
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'Runtrail: waiting for the sidecar to start' },
      () =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(finish, timeoutMs);
          const subscription = sidecar.onDidChangeState((state) => {
            if (state.kind !== 'starting') finish();
          });
          function finish() {
            clearTimeout(timer);
            subscription.dispose();
            resolve();
          }
        }),
    );
  }
  return sidecar.api();
}
