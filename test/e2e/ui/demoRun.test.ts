import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import { FlatTree, Run } from '../../../protocol/runs';
import { spawnCli } from '../../fixtures/cli/cliProcess';
import { readJson } from '../../fixtures/sidecarApp';
import { type SidecarProcess, startSidecarProcess } from '../../fixtures/sidecarProcess';
import { GraphDriver } from '../../fixtures/ui/graphDriver';
import { newUiPage, shot, type UiPage, uiUrl, waitForGraph } from '../../fixtures/ui/uiPage';
import { launchChromium } from '../../fixtures/vscode/chromium';

const repoRoot = path.resolve(__dirname, '../../..');

/**
 * The graph page on what `npm run demo` leaves behind: the demo (node dist/cli.js demo) runs the
 * example workflows on the embedded store of a fresh data folder and stops; a sidecar started
 * later on that folder serves /ui, and the page shows the triage-ts run as the demo recorded it.
 * Needs the build (dist/cli.js, dist/sidecar.js, dist/webview.js).
 */
describe('the run graph page (/ui) showing the demo runs', function () {
  this.timeout(180_000);
  let dataDir: string;
  let runId: string;
  let sidecar: SidecarProcess | undefined;
  let browser: Browser | undefined;
  let ui: UiPage | undefined;

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runtrail-ui-demo-'));
    const demo = await spawnCli(['demo', '--workspace', repoRoot, '--data-dir', dataDir, '--port', '0'], {}).result;
    assert.equal(demo.code, 0, `the demo failed:\n${demo.stdout}\n${demo.stderr}`);
    const id = /^triage-ts {2}(run_\S+) {2}✓ ok$/m.exec(demo.stdout)?.[1];
    assert.ok(id, `the demo printed no triage-ts run:\n${demo.stdout}`);
    runId = id;
    sidecar = await startSidecarProcess({ RUNTRAIL_DATA_DIR: dataDir });
    browser = await launchChromium();
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && ui) {
      await shot(ui.page, 'failed-demo-run').catch(() => {});
      const inspector = await new GraphDriver(ui.page).inspector.textContent().catch((error: Error) => error.message);
      console.log(`inspector:\n${inspector}\npage errors: ${JSON.stringify(ui.errors)}`);
    }
  });

  after(async () => {
    await ui?.close();
    await browser?.close();
    await sidecar?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("draws exactly the run's nodes and shows the decision `route` with its three options", async () => {
    if (!sidecar || !browser) throw new Error('no sidecar or browser');
    const headers = { authorization: `Bearer ${sidecar.token}` };
    const run = await readJson(await fetch(`${sidecar.url}/api/runs/${runId}`, { headers }), Run);
    assert.equal(run.status, 'ok');
    const { nodes } = await readJson(await fetch(`${sidecar.url}/api/runs/${runId}/tree?format=flat`, { headers }), FlatTree);
    assert.equal(nodes.length, run.nodeCount, 'the flat tree holds every node the run counts');
    const route = nodes.find((n) => n.kind === 'decision' && n.name === 'route');
    assert.ok(route, 'the demo run has the decision `route`');

    ui = await newUiPage(browser);
    await ui.page.goto(uiUrl(sidecar, runId));
    // nodeCount is the nodes held, visibleCount the tree boxes drawn: a decision's option leaves
    // are drawn besides them and counted by neither.
    const state = await waitForGraph(ui.page, `g.nodeCount === ${run.nodeCount} && g.visibleCount > 0`);
    assert.equal(state.runId, runId);
    assert.equal(state.nodeCount, run.nodeCount, 'the graph holds exactly the run’s nodes');
    assert.equal(state.visibleCount, run.nodeCount, 'a run this small opens fully expanded: every node drawn');

    // The demo's runs have 10 top-level nodes, too wide to fit at a zoom where text is readable:
    // the page opens on the first one and `route` is off to the right. A person finds it by name.
    const graph = new GraphDriver(ui.page);
    await graph.search('route');
    const { matches } = await waitForGraph(ui.page, `g.matches.includes(${JSON.stringify(route.id)})`);
    for (let step = 0; step < matches.length; step++) {
      await graph.searchBox.press('Enter');
      const { selectedId } = await waitForGraph(ui.page, `g.selectedId === ${JSON.stringify(matches[step])}`);
      if (selectedId === route.id) break;
    }
    await waitForGraph(ui.page, `g.selectedId === ${JSON.stringify(route.id)} && g.inspectorNodeId === ${JSON.stringify(route.id)}`);
    // Selecting it brought it into view: a click on it keeps it selected.
    await graph.clickNode(route.id);
    await waitForGraph(ui.page, `g.selectedId === ${JSON.stringify(route.id)}`);
    const options = graph.inspector.locator('ul.rt-options > li');
    await options.first().waitFor();
    assert.deepEqual(
      (await options.locator('strong').allTextContents()).map((label) => label.trim()),
      ['✓ fix-now', 'needs-repro', 'document'],
      'the three options in order, the chosen one marked',
    );
    assert.deepEqual(await options.evaluateAll((items) => items.map((item) => item.getAttribute('class'))), [
      'chosen',
      'not-taken',
      'not-taken',
    ]);
    await shot(ui.page, 'demo-run');
    assert.deepEqual(ui.errors, [], 'the page logged no errors');
    assert.deepEqual(ui.cspViolations, [], 'no CSP violations');
  });
});
