import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';
import { hostFacts } from './host';

/**
 * The test runner VS Code loads into the extension host (`extensionTestsPath`), as
 * @vscode/test-electron and the code-server harness (test/e2e/vscode/) both do: it runs the API
 * suites below with mocha and resolves, or rejects when any failed. Each test's outcome is also
 * written as JSON to $RUNTRAIL_VSCODE_RESULTS, so the outer mocha run reports one test per
 * in-host test instead of a single pass/fail.
 */

/** In this order: the last suite deactivates the extension. */
const suites = [
  'activation.test.js',
  'sidecar.test.js',
  'runsView.test.js',
  'demoRuns.test.js',
  'nodeDocuments.test.js',
  'revealSource.test.js',
  'graphPanel.test.js',
  'compareSideBySide.test.js',
  'replay.test.js',
  'replayWorkflows.test.js',
  'otelRuns.test.js',
  'bundles.test.js',
  'deactivate.test.js',
];

export interface HostTestResult {
  readonly fullTitle: string;
  readonly state: 'passed' | 'failed' | 'pending';
  readonly durationMs?: number;
  readonly error?: string;
}

export interface HostResults {
  readonly results: HostTestResult[];
  /** Values tests chose to hand to the outer run (e.g. the sidecar's pid). */
  readonly facts: Record<string, unknown>;
}

class ResultsReporter extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options: Mocha.MochaOptions) {
    super(runner, options);
    const results: HostTestResult[] = [];
    const { EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING, EVENT_RUN_END } = Mocha.Runner.constants;
    runner.on(EVENT_TEST_PASS, (test) => results.push({ fullTitle: test.fullTitle(), state: 'passed', durationMs: test.duration }));
    runner.on(EVENT_TEST_PENDING, (test) => results.push({ fullTitle: test.fullTitle(), state: 'pending' }));
    // Hook failures arrive here too, titled `"before all" hook for "…"`.
    runner.on(EVENT_TEST_FAIL, (test, error: Error) =>
      results.push({ fullTitle: test.fullTitle(), state: 'failed', durationMs: test.duration, error: error.stack ?? String(error) }),
    );
    runner.once(EVENT_RUN_END, () => {
      const file = process.env.RUNTRAIL_VSCODE_RESULTS;
      if (file) fs.writeFileSync(file, JSON.stringify({ results, facts: hostFacts } satisfies HostResults, null, 2));
    });
  }
}

export function run(): Promise<void> {
  // RUNTRAIL_VSCODE_GREP (given to code-server's environment) runs a subset while working on one suite.
  const grep = process.env.RUNTRAIL_VSCODE_GREP;
  const mocha = new Mocha({ ui: 'bdd', timeout: 30_000, color: false, reporter: ResultsReporter, ...(grep ? { grep } : {}) });
  for (const file of suites) mocha.addFile(path.join(__dirname, file));
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} extension host test(s) failed`)) : resolve()));
  });
}
