import * as vscode from 'vscode';
import type { SidecarManager } from './sidecar/sidecarManager';
import { describeStatus } from './sidecar/statusText';

/**
 * The status bar item: the sidecar's state and store ("$(pulse) Runtrail: embedded"), a spinner
 * while it starts, a warning when it failed; the tooltip has URL, store and relay; a click opens
 * the sidecar menu (runtrail.sidecar.menu).
 */
export class SidecarStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly sidecar: SidecarManager) {
    this.item = vscode.window.createStatusBarItem('runtrail.sidecar', vscode.StatusBarAlignment.Left, 0);
    this.item.name = 'Runtrail Sidecar';
    this.item.command = 'runtrail.sidecar.menu';
    this.subscription = sidecar.onDidChangeState(() => this.render());
    this.render();
    this.item.show();
  }

  private render(): void {
    const status = describeStatus(this.sidecar.state, this.sidecar.endpoint);
    this.item.text = status.text;
    const tooltip = new vscode.MarkdownString(status.tooltip.join('\n\n'));
    tooltip.isTrusted = false;
    this.item.tooltip = tooltip;
    this.item.backgroundColor =
      status.severity === 'error'
        ? new vscode.ThemeColor('statusBarItem.errorBackground')
        : status.severity === 'warning'
          ? new vscode.ThemeColor('statusBarItem.warningBackground')
          : undefined;
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
