import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Test } from 'mocha';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../../fixtures/vscode/chromium';
import { CodeServer } from '../../fixtures/vscode/codeServer';
import { buildHostSuite, type HostRun, installRuntrail, prepareWorkspace, runHostSuite } from '../../fixtures/vscode/harness';

/**
 * The API-level suite (test/vscode/) inside a real VS Code extension host: code-server 4.100.3
 * (VS Code 1.100) with Runtrail installed, opened by headless Chromium on a workspace with a
 * runtrail.json. The suite runs once, in `before`; each of its tests then becomes one test here
 * that passes or fails with the in-host outcome, so the counts are the in-host counts.
 */
describe('VS Code extension host (code-server)', function () {
  this.timeout(240_000);
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  let workspace: string | undefined;
  let scratch: string | undefined;
  let run: HostRun;

  before(async function () {
    const runner = buildHostSuite();
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'runtrail-vscode-results-'));
    const resultsFile = path.join(scratch, 'results.json');
    const grep = process.env.RUNTRAIL_VSCODE_GREP;
    server = await CodeServer.start({ env: { RUNTRAIL_VSCODE_RESULTS: resultsFile, ...(grep ? { RUNTRAIL_VSCODE_GREP: grep } : {}) } });
    recordDemoRuns(server);
    const installed = installRuntrail(server);
    workspace = prepareWorkspace();
    browser = await launchChromium();
    run = await runHostSuite({ server, browser, workspace, extensionFolder: installed.folder, runner, resultsFile, timeoutMs: 180_000 });
    const suite = this.test?.parent;
    if (!suite) throw new Error('no suite to add the in-host tests to');
    for (const result of run.results.results) {
      const test = new Test(result.fullTitle, () => {
        if (result.state === 'failed') {
          // The in-host stack: its message lines, then its frames (which mocha filters as its own).
          const lines = (result.error ?? 'failed').split('\n');
          const frames = lines.filter((line) => /^\s+at /.test(line));
          const error = new Error(`in the extension host: ${lines.filter((line) => !/^\s+at /.test(line)).join('\n')}`);
          error.stack = [error.message, ...frames].join('\n');
          throw error;
        }
      });
      if (result.state === 'pending') test.pending = true;
      suite.addTest(test);
    }
  });

  after(async () => {
    await browser?.close();
    await server?.dispose();
    for (const dir of [workspace, scratch]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs the in-host suite to the end and reports its outcome as the exit code', () => {
    const failed = run.results.results.filter((r) => r.state === 'failed').length;
    assert.ok(run.results.results.length > 0, 'the in-host suite reported no tests');
    assert.equal(run.exitCode, failed > 0 ? 1 : 0, `exit code ${run.exitCode} with ${failed} failed; page console:\n${run.console}`);
  });
});

/**
 * `npm run demo` as a new user runs it before opening VS Code: its runs land in the default data
 * folder of the user code-server runs as (its HOME and XDG folders), which the extension's sidecar
 * then opens (test/vscode/demoRuns).
 */
function recordDemoRuns(server: CodeServer): void {
  const repoRoot = path.resolve(__dirname, '../../..');
  const user = { HOME: path.join(server.root, 'home'), XDG_DATA_HOME: path.join(server.root, 'data') };
  execFileSync(process.execPath, [path.join(repoRoot, 'dist/cli.js'), 'demo', '--workspace', repoRoot, '--port', '0'], {
    env: { PATH: process.env.PATH, ...user },
    stdio: 'pipe',
    timeout: 120_000,
  });
}
