/// <reference types="vscode" />
import * as assert from 'node:assert/strict';
import { eventually, type TreeEntry, testApi, treeChildren } from './host';

/**
 * A new user's path: `npm run demo` first (the outer spec runs it on the data folder this
 * window's sidecar uses by default), then VS Code — the demo's runs are in the Runs view.
 */
describe("VS Code extension with the demo's runs", () => {
  for (const workflow of ['triage-ts', 'triage-py']) {
    it(`lists the ${workflow} run the demo recorded, expandable into its steps`, async () => {
      const { runsProvider } = await testApi();
      const group = await eventually(
        async () => (await treeChildren(runsProvider)).find((entry) => entry.label.includes(workflow)),
        `the ${workflow} group in the Runs view`,
      );
      const runs = await treeChildren(runsProvider, group.element);
      const run = runs.find((entry) => entry.item.contextValue === 'run') as TreeEntry;
      assert.ok(run, `no finished run under ${workflow}: ${runs.map((r) => r.label).join(', ')}`);
      const roots = (await treeChildren(runsProvider, run.element)).map((entry) => entry.label);
      for (const step of ['read issue', 'plan', 'fetch labels', 'investigate', 'route', 'write report']) {
        assert.ok(
          roots.some((label) => label.startsWith(step)),
          `no "${step}" node in ${workflow}: ${roots.join(', ')}`,
        );
      }
    });
  }
});
