import * as assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { type SidecarProcess, startSidecarProcess } from '../../fixtures/sidecarProcess';
import { GraphDriver } from '../../fixtures/ui/graphDriver';
import { createRun, decisionOptions, postNodes, seedBigRun, seedTriageRun, type TriageRun } from '../../fixtures/ui/seedRuns';
import { graphState, newUiPage, shot, type UiPage, uiUrl, waitForGraph } from '../../fixtures/ui/uiPage';
import { launchChromium } from '../../fixtures/vscode/chromium';

/**
 * The graph page the sidecar serves at /ui, in headless Chromium against the built sidecar
 * (node dist/sidecar.js) and the built bundle (dist/webview.js): run `npm run build` first.
 * Each test opens its own browser context. The graph is a canvas, so counts and selection are
 * read from the UI's read-only hook `window.__runtrailGraph`; interaction goes through the
 * keyboard, the search box, buttons and clicks like a person's. Screenshots: test-results/ui/.
 */
describe('the run graph page (/ui) in headless Chromium', function () {
  this.timeout(120_000);
  let sidecar: SidecarProcess;
  let browser: Browser;
  let triage: TriageRun;
  let ui: UiPage;
  let graph: GraphDriver;

  before(async () => {
    sidecar = await startSidecarProcess();
    browser = await launchChromium();
    triage = await seedTriageRun(sidecar, 'ui-triage');
  });

  after(async () => {
    await browser?.close();
    await sidecar?.stop();
  });

  beforeEach(async () => {
    ui = await newUiPage(browser);
    graph = new GraphDriver(ui.page);
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed')
      await shot(ui.page, `failed-${this.currentTest.title.replace(/\W+/g, '-').slice(0, 60)}`).catch(() => {});
    await ui.close();
  });

  /** Opens the run's page and waits until every node of it is held. */
  async function open(runId: string, nodeCount: number) {
    await ui.page.goto(uiUrl(sidecar, runId));
    return waitForGraph(ui.page, `g.nodeCount === ${nodeCount}`);
  }

  const noPageErrors = () => assert.deepEqual(ui.errors, [], 'the page logged no errors');

  it('renders every node of a run with a decision and nested steps, from a page that needs no token to load', async () => {
    const page = await fetch(`${sidecar.url}/ui/?run=${triage.runId}`);
    assert.equal(page.status, 200, 'the page itself is public');
    const state = await open(triage.runId, triage.nodeCount);
    assert.equal(state.nodeCount, 9);
    assert.equal(state.visibleCount, 9, 'a small run opens fully expanded');
    assert.equal(
      await ui.page.evaluate(() => performance.getEntriesByName('runtrail:first-paint').length),
      1,
      'the UI marks its first paint',
    );
    await shot(ui.page, 'graph');
    noPageErrors();
  });

  it('selecting a node by click fills the inspector; hostile payloads show as text and run nothing', async () => {
    await open(triage.runId, triage.nodeCount);
    await graph.clickNode(triage.ids.hostile);
    await waitForGraph(ui.page, `g.selectedId === ${JSON.stringify(triage.ids.hostile)}`);
    const inspector = graph.inspector;
    // JSON shows the strings quoted and escaped: look for the parts without quotes.
    await inspector.getByText('<script>window.__runtrailXss', { exact: false }).first().waitFor();
    await inspector.getByText('</script><b>bold?</b>', { exact: false }).first().waitFor();
    // No DOM types in the tests' tsconfig: the page-side code reaches the document through globalThis.
    const ran = await ui.page.evaluate(() => {
      const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<{ textContent: string | null }> } })
        .document;
      return {
        xss: (globalThis as unknown as { __runtrailXss?: string }).__runtrailXss ?? null,
        images: doc.querySelectorAll('img[src="x"]').length,
        bold: Array.from(doc.querySelectorAll('b')).filter((b) => b.textContent === 'bold?').length,
      };
    });
    assert.deepEqual(ran, { xss: null, images: 0, bold: 0 }, 'no payload became markup or ran');
    await shot(ui.page, 'inspector-hostile');
    noPageErrors();
  });

  it('the inspector shows an error with its stack, and a decision with every option, the chosen one marked', async () => {
    await open(triage.runId, triage.nodeCount);
    await graph.clickNode(triage.ids.apply);
    await graph.inspector.getByText('patch does not apply', { exact: false }).first().waitFor();
    await graph.inspector.getByText('triage.ts:41:11', { exact: false }).first().waitFor();

    await graph.clickNode(triage.ids.decision);
    await waitForGraph(ui.page, `g.selectedId === ${JSON.stringify(triage.ids.decision)}`);
    for (const option of decisionOptions) {
      await graph.inspector.getByText(option.label, { exact: false }).first().waitFor();
      await graph.inspector.getByText(option.rationale, { exact: false }).first().waitFor();
    }
    await shot(ui.page, 'inspector-decision');
    noPageErrors();
  });

  it('search highlights the matches and next/previous step through them in tree order', async () => {
    await open(triage.runId, triage.nodeCount);
    await graph.search('tool');
    const found = await waitForGraph(ui.page, 'g.matches.length === 2');
    assert.deepEqual(found.matches, [triage.ids.search, triage.ids.retrieve], 'both tool nodes, in tree order');
    await graph.searchBox.press('Enter');
    await waitForGraph(ui.page, `g.selectedId === ${JSON.stringify(triage.ids.search)}`);
    await graph.searchBox.press('Enter');
    await waitForGraph(ui.page, `g.selectedId === ${JSON.stringify(triage.ids.retrieve)}`);
    await graph.searchBox.press('Shift+Enter');
    await waitForGraph(ui.page, `g.selectedId === ${JSON.stringify(triage.ids.search)}`);
    await shot(ui.page, 'search');
    await graph.search('no such node anywhere');
    await waitForGraph(ui.page, 'g.matches.length === 0');
    noPageErrors();
  });

  it('arrow keys move the selection between nodes, and Enter collapses and expands a subtree', async () => {
    await open(triage.runId, triage.nodeCount);
    await graph.clickNode(triage.ids.root);
    await waitForGraph(ui.page, `g.selectedId === ${JSON.stringify(triage.ids.root)}`);
    // Down from the root: its first child; Down again: the next sibling.
    await graph.press('ArrowDown');
    await waitForGraph(ui.page, `g.selectedId !== ${JSON.stringify(triage.ids.root)}`);
    const moved = await graphState(ui.page);
    assert.ok(moved?.selectedId !== null, 'a node is selected');

    await graph.clickNode(triage.ids.draft);
    await waitForGraph(ui.page, `g.selectedId === ${JSON.stringify(triage.ids.draft)}`);
    await graph.press('Enter');
    await waitForGraph(ui.page, `g.visibleCount === ${triage.nodeCount - triage.draftDescendants}`);
    await shot(ui.page, 'collapsed');
    await graph.press('Enter');
    await waitForGraph(ui.page, `g.visibleCount === ${triage.nodeCount}`);
    noPageErrors();
  });

  it('the timeline at t=0 shows only the root, and play replays the run to the end', async () => {
    await open(triage.runId, triage.nodeCount);
    const slider = graph.timelineSlider;
    await slider.focus();
    await slider.press('Home');
    await waitForGraph(ui.page, 'g.visibleCount === 1');
    await shot(ui.page, 'timeline-start');
    await graph.button('Replay the run').click();
    await waitForGraph(ui.page, `g.visibleCount === ${triage.nodeCount}`);
    noPageErrors();
  });

  it('a live run grows while nodes are posted, keeping the selection and the zoom', async () => {
    const runId = 'ui-live';
    const root = {
      id: `${runId}-root`,
      parentId: null,
      kind: 'step',
      name: 'live',
      status: 'running' as const,
      seq: 0,
      startedAt: Date.now(),
    };
    await createRun(sidecar, runId, 'live-ui');
    await postNodes(sidecar, runId, [
      root,
      {
        id: `${runId}-a`,
        parentId: root.id,
        kind: 'tool',
        name: 'first',
        status: 'ok',
        seq: 1,
        startedAt: Date.now(),
        endedAt: Date.now(),
      },
    ]);
    await open(runId, 2);
    await graph.clickNode(`${runId}-a`);
    await waitForGraph(ui.page, `g.selectedId === ${JSON.stringify(`${runId}-a`)}`);
    await graph.canvas.hover();
    await ui.page.mouse.wheel(0, -300);
    const before = await waitForGraph(ui.page, 'g.zoom !== undefined');

    const more = Array.from({ length: 20 }, (_, i) => ({
      id: `${runId}-n${i}`,
      parentId: i < 10 ? root.id : `${runId}-n${i - 10}`,
      kind: i % 2 === 0 ? 'llm' : 'tool',
      name: `live-${i}`,
      status: 'ok' as const,
      seq: 2 + i,
      startedAt: Date.now(),
      endedAt: Date.now() + 5,
    }));
    await postNodes(sidecar, runId, more.slice(0, 10));
    await waitForGraph(ui.page, 'g.nodeCount === 12');
    await postNodes(sidecar, runId, more.slice(10));
    const after = await waitForGraph(ui.page, 'g.nodeCount === 22');
    assert.equal(after.selectedId, `${runId}-a`, 'the selection survived the growth');
    assert.deepEqual(after.zoom, before.zoom, 'the zoom and pan survived the growth');
    await shot(ui.page, 'live-grown');
    noPageErrors();
  });

  it('runs under its CSP without violations while a person inspects, searches and replays', async () => {
    await open(triage.runId, triage.nodeCount);
    await graph.clickNode(triage.ids.decision);
    await graph.inspector.getByText(decisionOptions[1].rationale).first().waitFor();
    await graph.search('tool');
    await waitForGraph(ui.page, 'g.matches.length === 2');
    await graph.timelineSlider.focus();
    await graph.timelineSlider.press('Home');
    await waitForGraph(ui.page, 'g.visibleCount === 1');
    await graph.button('Show everything').click();
    await waitForGraph(ui.page, `g.visibleCount === ${triage.nodeCount}`);
    assert.deepEqual(ui.cspViolations, [], 'nothing the UI does is blocked by its own CSP');
    noPageErrors();
  });

  it('opens a run of more than 5,000 nodes with deep subtrees collapsed, and expands them on demand', async () => {
    await seedBigRun(sidecar, 'ui-big', 6_000);
    await open('ui-big', 6_000);
    const state = await waitForGraph(ui.page, 'g.collapsed.length > 0 && g.visibleCount > 0');
    assert.ok(state.visibleCount < 6_000, `some subtrees start collapsed (visible ${state.visibleCount})`);
    await graph.button('Expand every subtree').click();
    await waitForGraph(ui.page, 'g.visibleCount === 6000');
    await shot(ui.page, 'big-run');
    noPageErrors();
  });
});
