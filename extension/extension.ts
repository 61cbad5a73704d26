import * as vscode from 'vscode';
import { type FeaturesApi, registerFeatures } from './features';
import type { SidecarConnection } from './services';
import { registerSidecarCommands } from './sidecar/sidecarCommands';
import { SidecarManager } from './sidecar/sidecarManager';
import { SidecarStatusBar } from './statusBar';

/**
 * What `activate()` returns (`vscode.extensions.getExtension('runtrail.runtrail').exports`): the
 * connection and the views' providers for tests and other extensions, and the pid of the sidecar
 * this window spawned so a test can check that deactivation leaves no process behind.
 */
export interface RuntrailExtensionApi extends FeaturesApi {
  readonly sidecar: SidecarConnection;
  sidecarPid(): number | undefined;
}

let sidecar: SidecarManager | undefined;

/**
 * Wiring only (CONVENTIONS.md "small entry points"): output channel → sidecar manager (settings,
 * process, live events) → status bar and sidecar commands → the features. Every disposable goes
 * onto context.subscriptions; the sidecar starts in the background so activation never waits.
 */
export function activate(context: vscode.ExtensionContext): RuntrailExtensionApi {
  const output = vscode.window.createOutputChannel('Runtrail', { log: true });
  context.subscriptions.push(output);
  output.info(`Runtrail ${context.extension.packageJSON.version} activated`);

  const manager = new SidecarManager(context, output);
  sidecar = manager;
  context.subscriptions.push(manager, new SidecarStatusBar(manager), ...registerSidecarCommands(context, manager, output));
  const features = registerFeatures(context, manager, output);

  void manager.start();
  return { ...features, sidecar: manager, sidecarPid: () => manager.spawnedPid };
}

/** Resolves once the sidecar this window spawned has exited (SIGTERM, then SIGKILL): no orphan. */
export function deactivate(): Promise<void> | undefined {
  const stopping = sidecar?.shutdown();
  sidecar = undefined;
  return stopping;
}
