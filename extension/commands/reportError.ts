import * as vscode from 'vscode';
import { describeError, errorActions } from './userErrors';

/**
 * Shows a failure once, with what to do next, and logs it. `action` says what was being done
 * ("Could not delete run 1a2b"), the error says why.
 */
export function reportError(output: vscode.LogOutputChannel, action: string, error: unknown): void {
  const message = `${action}: ${describeError(error)}`;
  output.error(message);
  void vscode.window.showErrorMessage(message, ...errorActions(error)).then((choice) => {
    if (choice === 'Start Sidecar') void vscode.commands.executeCommand('runtrail.sidecar.start');
    else if (choice === 'Show Logs') void vscode.commands.executeCommand('runtrail.sidecar.showLogs');
  });
}
