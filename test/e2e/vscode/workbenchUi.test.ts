import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, Frame, Locator, Page } from 'playwright-core';
import { launchChromium } from '../../fixtures/vscode/chromium';
import { CodeServer } from '../../fixtures/vscode/codeServer';
import { collectConsole, installRuntrail, prepareWorkspace } from '../../fixtures/vscode/harness';

const screenshots = path.resolve(__dirname, '../../../test-results/vscode');

/** What the graph UI's test hook (webview/README.md "Test hook") offers inside the webview. */
interface GraphHookPage {
  screenPosition(id: string): { x: number; y: number } | undefined;
}

/**
 * What a new user does, in the real workbench (code-server in headless Chromium) with Runtrail
 * installed: opens the Runtrail activity bar, starts the workspace's workflow from the command
 * palette, watches the run arrive in the Runs view, expands it, opens a node's JSON, jumps to the
 * line that recorded a node, opens the run's graph from the Runs view and jumps to a node's line
 * from the graph's inspector, and finally shuts VS Code down. Each step leaves a screenshot in
 * test-results/vscode/. The steps build on each other, in order.
 */
describe('VS Code workbench UI (code-server, headless Chromium)', function () {
  this.timeout(120_000);
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  let workspace: string | undefined;
  let page: Page;
  let consoleText: () => string = () => '';
  /** Set once a step failed: the later steps start from its end state, so they are skipped. */
  /** Title of the step that failed; later steps do not run. */
  let broken: string | undefined;

  const shot = (name: string) => page.screenshot({ path: path.join(screenshots, `${name}.png`) });
  /** The row of the Runs view tree whose text matches. */
  const runsRow = (text: string | RegExp): Locator => runsView().locator('.monaco-list-row', { hasText: text }).first();
  const runsView = (): Locator => page.locator('.pane', { has: page.locator('.pane-header', { hasText: /^\s*Runs/i }) });

  /**
   * The graph panel's page: in code-server a webview is an iframe (`iframe.webview`) whose
   * document holds the page itself in a second iframe (`#active-frame`).
   */
  const graphFrame = async (): Promise<Frame> => {
    const graph = page.frameLocator('iframe.webview').last().frameLocator('iframe#active-frame').locator('[data-testid="graph"]');
    await graph.waitFor({ timeout: 60_000 });
    const frame = await (await graph.elementHandle())?.ownerFrame();
    if (!frame) throw new Error('the graph element has no frame');
    return frame;
  };
  /** Waits, on every animation frame of the webview, until `window.__runtrailGraph` (as `g`) satisfies `predicate`. */
  const waitForHook = async (frame: Frame, predicate: string): Promise<{ runId: string; selectedId?: string }> => {
    const expression = `() => { const g = window.__runtrailGraph; return g !== undefined && Boolean(${predicate}); }`;
    try {
      await frame.waitForFunction(expression, undefined, { timeout: 30_000, polling: 'raf' });
    } catch (error) {
      const last = await frame.evaluate(() => {
        const g = (globalThis as unknown as { __runtrailGraph?: Record<string, unknown> }).__runtrailGraph;
        const keys = ['runId', 'runStatus', 'nodeCount', 'visibleCount', 'selectedId', 'inspectorNodeId'];
        return JSON.stringify(g === undefined ? null : Object.fromEntries(keys.map((key) => [key, g[key]])));
      });
      throw new Error(`the graph never satisfied ${predicate}; last state: ${last} (${(error as Error).message.split('\n')[0]})`);
    }
    return frame.evaluate(() => {
      const g = (globalThis as unknown as { __runtrailGraph: { runId: string; selectedId?: string } }).__runtrailGraph;
      return { runId: g.runId, selectedId: g.selectedId };
    });
  };

  before(async () => {
    fs.mkdirSync(screenshots, { recursive: true });
    server = await CodeServer.start();
    installRuntrail(server);
    workspace = prepareWorkspace();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.setDefaultTimeout(20_000);
    consoleText = collectConsole(page);
    await page.goto(server.workbenchUrl(workspace));
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  });

  beforeEach(() => {
    // The steps are one scenario: after a failed step the later ones cannot run, and they fail
    // naming it rather than being skipped silently.
    if (broken !== undefined) throw new Error(`not run: the earlier step "${broken}" failed`);
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') {
      broken = this.currentTest.title;
      await shot(`failed-${(this.currentTest.title.match(/\w+/g) ?? []).join('-').slice(0, 60)}`).catch(() => {});
      console.log(`page console:\n${consoleText()}`);
    }
  });

  after(async () => {
    await browser?.close();
    await server?.dispose();
    if (workspace) fs.rmSync(workspace, { recursive: true, force: true });
  });

  it('opens the Runtrail activity bar container: the Runs view says there are no runs yet', async () => {
    await page.locator('.activitybar .action-item a[aria-label^="Runtrail"]').click();
    // The empty state appears once the sidecar runs and answered the first page of runs.
    await runsView().getByText('No runs yet').waitFor({ timeout: 60_000 });
    await shot('01-runs-view');
  });

  it('runs the workspace workflow from the command palette and shows the run in the Runs view', async () => {
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.fill('>Runtrail: Run Workflow');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Runtrail: Run Workflow' }).first().click();
    // Which workflow, then the `name` input (Enter keeps its default, "world").
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'greet' }).first().click();
    await page.locator('.quick-input-widget input').waitFor();
    await shot('02-workflow-input');
    await page.keyboard.press('Enter');
    await runsRow('greet').waitFor({ timeout: 30_000 });
    await shot('03-run-listed');
  });

  it('expands the finished run into its node tree', async () => {
    // Expand only once the run has finished: live updates re-render rows under the pointer.
    const run = runsView().locator('.monaco-list-row[aria-level="2"]', { hasText: /ok\b/ }).first();
    await run.waitFor({ timeout: 30_000 });
    // Through the twisties: a click on a node's label inspects it instead.
    const expand = async (row: Locator) => {
      await row.waitFor();
      if ((await row.getAttribute('aria-expanded')) === 'false') await row.locator('.monaco-tl-twistie').click();
      await row.and(page.locator('[aria-expanded="true"]')).waitFor();
    };
    await expand(run);
    await expand(runsView().locator('.monaco-list-row[aria-level="3"]', { hasText: 'greet' }).first());
    await runsView().locator('.monaco-list-row[aria-level="4"]', { hasText: 'compose greeting' }).waitFor();
    await runsView().locator('.monaco-list-row[aria-level="4"]', { hasText: 'shout' }).waitFor();
    await shot('04-run-expanded');
  });

  it("opens a node's JSON document from the tree", async () => {
    await runsRow('compose greeting').click();
    const editor = page.locator('.editor-instance .view-lines');
    await editor.filter({ hasText: '"compose greeting"' }).waitFor({ timeout: 20_000 });
    await editor.filter({ hasText: 'Hello, world!' }).waitFor();
    await shot('05-node-document');
  });

  it('jumps from a node to the line of agent.mjs that recorded it', async () => {
    const lines = fs.readFileSync(path.join(workspace as string, 'agent.mjs'), 'utf8').split('\n');
    const named = lines.findIndex((line) => line.includes("name: 'shout'"));
    const expected = lines.findIndex((line, index) => index > named && line.includes('here()')) + 1;
    await runsRow('shout').click({ button: 'right' });
    // Enter on the hovered item: Playwright's click on a workbench context menu item left the
    // menu open here (tried on code-server 4.100.3), a keyboard choice works as for a user.
    await page.locator('.monaco-menu .action-label', { hasText: 'Reveal Source' }).hover();
    await page.keyboard.press('Enter');
    await page.locator('.tab.active', { hasText: 'agent.mjs' }).waitFor();
    await page.locator('.statusbar-item', { hasText: new RegExp(`Ln ${expected}, Col`) }).waitFor();
    await shot('06-source-revealed');
  });

  it("opens the run's graph from the Runs view, selects a node and reveals its source from the inspector", async () => {
    const lines = fs.readFileSync(path.join(workspace as string, 'agent.mjs'), 'utf8').split('\n');
    const named = lines.findIndex((line) => line.includes("name: 'compose greeting'"));
    const expected = lines.findIndex((line, index) => index > named && line.includes('here()')) + 1;
    // The run item's inline action (shown on hover), as a user finds it.
    const run = runsView().locator('.monaco-list-row[aria-level="2"]', { hasText: /ok\b/ }).first();
    await run.hover();
    await run.locator('.action-label[aria-label^="Open Run Graph"]').click();
    await page.locator('.tab.active', { hasText: /greet|Run / }).waitFor();

    const graph = await graphFrame();
    // The three nodes agent.mjs records and the log node the runner adds for the line it printed.
    const state = await waitForHook(graph, "g.runStatus === 'ok' && g.nodeCount === 4 && g.visibleCount === 4");
    await shot('07-graph-panel');

    // A click on the node's box: the hook reports its centre in the inner frame's coordinates,
    // which the canvas locator turns into a click at the right spot of the workbench page.
    const id = `${state.runId}-compose`;
    const canvas = graph.getByRole('application', { name: /run graph/i });
    const position = await graph.evaluate((nodeId) => {
      const g = (globalThis as unknown as { __runtrailGraph: GraphHookPage }).__runtrailGraph;
      const point = g.screenPosition(nodeId);
      const doc = (
        globalThis as unknown as { document: { querySelector(s: string): { getBoundingClientRect(): { left: number; top: number } } } }
      ).document;
      const rect = doc.querySelector('[role="application"]').getBoundingClientRect();
      return point === undefined ? null : { x: point.x - rect.left, y: point.y - rect.top };
    }, id);
    assert.ok(position !== null, `the graph reports no position for ${id}`);
    await canvas.click({ position });
    await waitForHook(graph, `g.selectedId === ${JSON.stringify(id)} && g.inspectorNodeId === ${JSON.stringify(id)}`);
    const inspector = graph.getByRole('complementary', { name: /inspector/i });
    await inspector.getByText('compose greeting').first().waitFor();
    await inspector.locator('vscode-button[title^="Open agent.mjs"]').click();
    await page.locator('.tab.active', { hasText: 'agent.mjs' }).waitFor();
    await page.locator('.statusbar-item', { hasText: new RegExp(`Ln ${expected}, Col`) }).waitFor();
    await shot('08-graph-reveal-source');
  });

  it("forks the run at a node with one click on the node's inline action: the fork is listed and its graph opens", async () => {
    const runs = runsView().locator('.monaco-list-row[aria-level="2"]');
    const before = await runs.count();
    const node = runsView().locator('.monaco-list-row[aria-level="4"]', { hasText: 'shout' }).first();
    await node.hover();
    await node.locator('.action-label[aria-label^="Fork Run Here"]').click();
    // The fork opens as it starts: a second graph panel, and a new run row in the Runs view.
    await page
      .locator('.tab', { hasText: /greet|Run / })
      .nth(1)
      .waitFor({ timeout: 30_000 });
    await runs.nth(before).waitFor({ timeout: 30_000 });
    const graph = await graphFrame();
    const state = await waitForHook(graph, "g.runStatus === 'ok' && g.nodeCount === 4");
    assert.notEqual(state.runId, '', 'the fork has a run id');
    await shot('09-forked-from-runs-view');
  });

  it('leaves no sidecar process behind when VS Code shuts down', async () => {
    if (!server) throw new Error('no code-server');
    const vscodeServer = server;
    const before = vscodeServer.sidecarPids();
    assert.equal(before.length, 1, `one sidecar expected while the window is open, found ${before.length}`);
    await page.close();
    // code-server alone gets SIGTERM; its extension host must take the sidecar down with it.
    await vscodeServer.terminate();
    const deadline = Date.now() + 15_000;
    while (vscodeServer.sidecarPids().length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(vscodeServer.sidecarPids(), [], 'sidecar processes outlived VS Code');
  });
});
