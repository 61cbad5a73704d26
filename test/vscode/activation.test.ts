/// <reference types="vscode" />
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { eventually, runtrailExtension } from './host';

/** The commands issue 6 names (category "Runtrail", ids `runtrail.<area>.<verb>`). */
const expectedCommands = [
  'runtrail.workflow.run',
  'runtrail.graph.open',
  'runtrail.node.inspect',
  'runtrail.node.revealSource',
  'runtrail.node.copyId',
  'runtrail.run.copyId',
  'runtrail.run.delete',
  'runtrail.runs.refresh',
  'runtrail.run.openInBrowser',
  'runtrail.sidecar.start',
  'runtrail.sidecar.stop',
  'runtrail.sidecar.restart',
  'runtrail.sidecar.showLogs',
];

describe('VS Code extension activation', () => {
  it('activates by itself in a workspace with a runtrail.json', async () => {
    const extension = runtrailExtension();
    // workspaceContains:runtrail.json: nobody calls activate() here.
    await eventually(() => (extension.isActive ? true : undefined), 'the extension is active');
  });

  it('registers runtrail.sidecar.showLogs, which opens the Runtrail output channel', async () => {
    const commands = await vscode.commands.getCommands(true);
    assert.ok(commands.includes('runtrail.sidecar.showLogs'), 'runtrail.sidecar.showLogs is not registered');
    await vscode.commands.executeCommand('runtrail.sidecar.showLogs');
  });

  it('registers every command its package.json contributes', async () => {
    const contributed = (runtrailExtension().packageJSON.contributes?.commands ?? []) as Array<{ command: string }>;
    assert.ok(contributed.length > 0, 'package.json contributes no commands');
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.map((c) => c.command).filter((id) => !registered.has(id));
    assert.deepEqual(missing, [], `contributed but not registered: ${missing.join(', ')}`);
  });

  it('contributes the commands of the issue under the Runtrail category', () => {
    const contributed = (runtrailExtension().packageJSON.contributes?.commands ?? []) as Array<{ command: string; category?: string }>;
    const missing = expectedCommands.filter((id) => !contributed.some((c) => c.command === id));
    assert.deepEqual(missing, [], `not in package.json contributes.commands: ${missing.join(', ')}`);
    const uncategorised = contributed.filter((c) => c.category !== 'Runtrail').map((c) => c.command);
    assert.deepEqual(uncategorised, []);
  });

  it('contributes the Runtrail activity bar container with the Runs and Workflows views', () => {
    const contributes = runtrailExtension().packageJSON.contributes ?? {};
    const containers = (contributes.viewsContainers?.activitybar ?? []) as Array<{ id: string; title: string }>;
    assert.ok(
      containers.some((c) => c.id === 'runtrail' && c.title === 'Runtrail'),
      JSON.stringify(containers),
    );
    const views = (contributes.views?.runtrail ?? []) as Array<{ id: string }>;
    assert.deepEqual(views.map((v) => v.id).sort(), ['runtrail.runs', 'runtrail.workflows']);
  });
});
