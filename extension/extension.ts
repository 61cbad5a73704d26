import * as vscode from 'vscode';

/**
 * Entry point of the VS Code extension. For now it only owns the "Runtrail" output channel; the
 * sidecar lifecycle, views and commands arrive with the extension issue (DESIGN.md "Extension").
 * Every disposable goes onto context.subscriptions so nothing outlives deactivation.
 */
export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel('Runtrail', { log: true });
  context.subscriptions.push(
    output,
    vscode.commands.registerCommand('runtrail.sidecar.showLogs', () => output.show(true)),
  );
  output.info(`Runtrail ${context.extension.packageJSON.version} activated`);
}

export function deactivate(): void {}
