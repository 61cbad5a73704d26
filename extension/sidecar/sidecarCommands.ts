import * as vscode from 'vscode';
import { secretKeys } from '../settings';
import type { SidecarManager } from './sidecarManager';

/**
 * The sidecar's commands (category "Runtrail"): start, stop, restart, show logs, the status bar's
 * quick menu, and the two secrets — the external sidecar's token and the Neo4j password — which
 * go to SecretStorage, never into settings files.
 */
export function registerSidecarCommands(
  context: vscode.ExtensionContext,
  sidecar: SidecarManager,
  output: vscode.LogOutputChannel,
): vscode.Disposable[] {
  const setToken = async () => {
    const token = await vscode.window.showInputBox({
      title: 'Runtrail: Set Sidecar Token',
      prompt: "Bearer token of the external sidecar (runtrail.sidecar.url), kept in VS Code's secret storage. Leave empty to remove it.",
      password: true,
      ignoreFocusOut: true,
      validateInput: (value) =>
        value === '' || /^[\x21-\x7e]{16,512}$/.test(value.trim())
          ? undefined
          : 'A sidecar token is 16 to 512 printable characters without spaces.',
    });
    if (token === undefined) return;
    if (token.trim() === '') {
      await context.secrets.delete(secretKeys.sidecarToken);
      output.info('the stored sidecar token was removed');
    } else {
      await context.secrets.store(secretKeys.sidecarToken, token.trim());
      output.info('a new sidecar token was stored');
    }
  };

  const setNeo4jPassword = async () => {
    const password = await vscode.window.showInputBox({
      title: 'Runtrail: Set Neo4j Password',
      prompt: "Password of runtrail.neo4j.user, kept in VS Code's secret storage. Leave empty to remove it.",
      password: true,
      ignoreFocusOut: true,
    });
    if (password === undefined) return;
    if (password === '') {
      await context.secrets.delete(secretKeys.neo4jPassword);
      output.info('the stored Neo4j password was removed');
    } else {
      await context.secrets.store(secretKeys.neo4jPassword, password);
      output.info('a new Neo4j password was stored');
    }
  };

  const switchMode = async () => {
    const config = vscode.workspace.getConfiguration('runtrail');
    const target =
      config.inspect('sidecar.mode')?.workspaceValue !== undefined
        ? vscode.ConfigurationTarget.Workspace
        : vscode.ConfigurationTarget.Global;
    if (sidecar.settings.sidecar.mode === 'external') {
      await config.update('sidecar.mode', 'auto', target);
      return;
    }
    const url = await vscode.window.showInputBox({
      title: 'Runtrail: Use an External Sidecar',
      prompt: 'URL of a running sidecar (docker compose, a team server)',
      value: sidecar.settings.sidecar.url ?? 'http://127.0.0.1:7317',
      ignoreFocusOut: true,
      validateInput: (value) =>
        /^https?:\/\/[^\s/]+/.test(value.trim()) ? undefined : 'Expected an http(s) URL, e.g. http://127.0.0.1:7317',
    });
    if (url === undefined) return;
    await config.update('sidecar.url', url.trim(), target);
    await config.update('sidecar.mode', 'external', target);
  };

  const openInBrowser = () => {
    const endpoint = sidecar.endpoint;
    if (endpoint === undefined) {
      void vscode.window.showWarningMessage('The Runtrail sidecar is not running: run "Runtrail: Start Sidecar".');
      return;
    }
    void vscode.env.openExternal(vscode.Uri.parse(`${endpoint.url}/api/health`));
  };

  const menu = async () => {
    const state = sidecar.state;
    const external = sidecar.settings.sidecar.mode === 'external';
    type Item = vscode.QuickPickItem & { run: () => unknown };
    const items: Item[] = [];
    if (state.kind === 'stopped' || state.kind === 'failed') {
      items.push({ label: '$(play) Start Sidecar', run: () => sidecar.start({ progress: 'notification' }) });
    }
    if (state.kind !== 'stopped') {
      items.push({ label: '$(debug-restart) Restart Sidecar', run: () => sidecar.restart({ progress: 'notification' }) });
    }
    if (state.kind === 'running' || state.kind === 'starting') {
      items.push({ label: '$(debug-stop) Stop Sidecar', run: () => sidecar.stop() });
    }
    items.push({ label: '$(output) Show Logs', run: () => output.show(true) });
    if (state.kind === 'running')
      items.push({ label: '$(globe) Open in Browser', description: `${state.url}/api/health`, run: openInBrowser });
    items.push(
      external
        ? { label: '$(arrow-swap) Switch to Auto', description: 'let VS Code run the sidecar', run: switchMode }
        : { label: '$(arrow-swap) Switch to External Sidecar…', description: 'connect to a sidecar at a URL', run: switchMode },
    );
    if (external) items.push({ label: '$(key) Set Sidecar Token…', run: setToken });
    items.push({ label: '$(key) Set Neo4j Password…', run: setNeo4jPassword });
    items.push({ label: '$(gear) Open Settings', run: () => vscode.commands.executeCommand('workbench.action.openSettings', 'runtrail.') });
    const picked = await vscode.window.showQuickPick(items, { title: 'Runtrail Sidecar', placeHolder: statusLine(sidecar) });
    await picked?.run();
  };

  return [
    vscode.commands.registerCommand('runtrail.sidecar.start', () => sidecar.start({ progress: 'notification' })),
    vscode.commands.registerCommand('runtrail.sidecar.stop', () => sidecar.stop()),
    vscode.commands.registerCommand('runtrail.sidecar.restart', () => sidecar.restart({ progress: 'notification' })),
    vscode.commands.registerCommand('runtrail.sidecar.showLogs', () => output.show(true)),
    vscode.commands.registerCommand('runtrail.sidecar.menu', menu),
    vscode.commands.registerCommand('runtrail.sidecar.setToken', setToken),
    vscode.commands.registerCommand('runtrail.sidecar.setNeo4jPassword', setNeo4jPassword),
  ];
}

function statusLine(sidecar: SidecarManager): string {
  const state = sidecar.state;
  switch (state.kind) {
    case 'running':
      return `Running at ${state.url} (store ${state.store}, relay ${state.relay})`;
    case 'starting':
      return 'Starting…';
    case 'failed':
      return `Failed: ${state.reason}`;
    case 'stopped':
      return 'Stopped';
  }
}
