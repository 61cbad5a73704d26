/// <reference types="vscode" />
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { processAlive, runningSidecar, runtrailExtension, sidecarChildren } from './host';

describe('VS Code extension deactivation', () => {
  it('deactivate() stops the sidecar and leaves no process behind', async () => {
    const { pid } = await runningSidecar();
    const extension = runtrailExtension();
    // The module VS Code loaded (same require cache): what VS Code calls when the window closes.
    const main = require(path.join(extension.extensionPath, extension.packageJSON.main)) as { deactivate?: () => unknown };
    assert.equal(typeof main.deactivate, 'function', 'the extension exports no deactivate()');
    await main.deactivate?.();
    assert.ok(!processAlive(pid), `sidecar ${pid} still runs after deactivate() resolved`);
    assert.deepEqual(
      sidecarChildren().map((c) => c.pid),
      [],
    );
  });
});
