import * as assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { type SidecarProcess, startSidecarProcess } from '../../fixtures/sidecarProcess';
import { type PairedRun, pairRecords, routeKey, seedBigPairedRun, seedPairedRun } from '../../fixtures/ui/comparePair';
import { GraphDriver } from '../../fixtures/ui/graphDriver';
import { createRun, finishRun, postNodes } from '../../fixtures/ui/seedRuns';
import { graphState, newUiPage, shot, type UiPage, uiUrl, waitForGraph } from '../../fixtures/ui/uiPage';
import { launchChromium } from '../../fixtures/vscode/chromium';

/**
 * The graph page's side-by-side compare (issue 8), in headless Chromium against the built sidecar
 * and bundle (`npm run build` first): run a on the left, run b (the page's run) on the right,
 * matched by key; selection paired across the panes; the inspector's line diff; live
 * recomputation while a run grows; Esc back to the single graph. State is read from the UI's
 * hook (`__runtrailGraph.compare`), interaction goes through buttons, fields, clicks and keys.
 */
describe('side-by-side compare in the run graph page (/ui)', function () {
  this.timeout(120_000);
  let sidecar: SidecarProcess;
  let browser: Browser;
  let a: PairedRun;
  let b: PairedRun;
  let ui: UiPage;
  let graph: GraphDriver;

  before(async () => {
    sidecar = await startSidecarProcess();
    browser = await launchChromium();
    a = await seedPairedRun(sidecar, 'cmp-a', 'a');
    b = await seedPairedRun(sidecar, 'cmp-b', 'b');
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
    if (this.currentTest?.state === 'failed') {
      await shot(ui.page, `failed-compare-${this.currentTest.title.replace(/\W+/g, '-').slice(0, 50)}`).catch(() => {});
      console.log(`page errors: ${JSON.stringify(ui.errors)}`);
    }
    await ui.close();
  });

  const q = (value: unknown) => JSON.stringify(value);

  /** Opens b's page and compares it with a through the toolbar, as a person does. */
  async function compare(page: Page, bRun: string, aRun: string, bNodes: number): Promise<void> {
    await page.goto(uiUrl(sidecar, bRun));
    await waitForGraph(page, `g.nodeCount === ${bNodes} && g.visibleCount === ${bNodes}`);
    await graph.button('Compare with').click();
    const field = page.locator('[data-testid="compare-with"] input').first();
    await field.fill(aRun);
    await field.press('Enter');
  }

  /** Clicks a node of run a's pane where the UI says it is drawn, until a's side selects it. */
  async function clickInA(page: Page, id: string): Promise<void> {
    for (let attempt = 1; attempt <= 3; attempt++) {
      const point = await page.evaluate(
        (nodeId) =>
          (
            globalThis as unknown as { __runtrailGraph?: { screenPositionA(id: string): { x: number; y: number } | undefined } }
          ).__runtrailGraph?.screenPositionA(nodeId) ?? null,
        id,
      );
      if (point === null) throw new Error(`a's pane reports no position for ${id}: ${JSON.stringify(await graphState(page))}`);
      await page.mouse.click(point.x, point.y);
      const ok = await waitForGraph(page, `g.compare?.aSelectedId === ${q(id)}`, 2_000).then(
        () => true,
        () => false,
      );
      if (ok) return;
    }
    throw new Error(`clicking ${id} in a's pane did not select it: ${JSON.stringify(await graphState(page))}`);
  }

  it('shows a (left) and b (right) with their node counts, the first divergence on both sides, and a line diff', async () => {
    const page = ui.page;
    await compare(page, b.runId, a.runId, 7);
    const state = await waitForGraph(
      page,
      'g.compare !== undefined && g.compare.computations >= 1 && g.compare.aVisibleCount === 7 && g.compare.bVisibleCount === 7',
    );
    const cmp = state.compare as {
      a: string;
      b: string;
      aNodeCount: number;
      bNodeCount: number;
      counts: Record<string, number>;
      firstDivergence: string;
      firstDivergenceNodeIds: { a: string; b: string };
    };
    assert.equal(cmp.a, a.runId);
    assert.equal(cmp.b, b.runId);
    assert.equal(cmp.aNodeCount, 7);
    assert.equal(cmp.bNodeCount, 7);
    assert.deepEqual(cmp.counts, { added: 1, removed: 1, changed: 1, same: 5 }, JSON.stringify(state));
    assert.equal(cmp.firstDivergence, routeKey);
    assert.deepEqual(cmp.firstDivergenceNodeIds, { a: a.id('route'), b: b.id('route') });
    // Both panes drew their run (the canvas containers say how many boxes they drew).
    assert.equal(await page.locator('[data-testid="graph-a"]').getAttribute('data-visible-count'), '7');
    assert.equal(await page.locator('[data-testid="graph"]').getAttribute('data-visible-count'), '7');

    // The first divergence is selected on both sides, and the inspector shows its a:/b: line diff.
    await waitForGraph(
      page,
      `g.compare.aSelectedId === ${q(a.id('route'))} && g.compare.bSelectedId === ${q(b.id('route'))} && g.inspectorNodeId === ${q(b.id('route'))}`,
    );
    const lineDiff = graph.inspector.locator('[data-testid="line-diff"]');
    const removed = await lineDiff.locator('[data-side="a"] [data-op="removed"]').allTextContents();
    const added = await lineDiff.locator('[data-side="b"] [data-op="added"]').allTextContents();
    assert.deepEqual(
      removed.map((line) => line.replace(/\s+/g, ' ').trim()),
      ['− "chosen": "fix-now",'],
    );
    assert.deepEqual(
      added.map((line) => line.replace(/\s+/g, ' ').trim()),
      ['+ "chosen": "needs-repro",'],
    );
    assert.ok((await lineDiff.locator('[data-op="same"]').count()) >= 4, 'the unchanged lines are shown too, unmarked');
    // Both panes scrolled to it: its box is inside each canvas.
    for (const [testid, fn, id] of [
      ['graph-a', 'screenPositionA', a.id('route')],
      ['graph', 'screenPosition', b.id('route')],
    ] as const) {
      const box = await page.locator(`[data-testid="${testid}"]`).boundingBox();
      const point = await page.evaluate(
        ([name, nodeId]) =>
          (globalThis as unknown as { __runtrailGraph: Record<string, (id: string) => { x: number; y: number }> }).__runtrailGraph[
            name as string
          ]?.(nodeId as string),
        [fn, id],
      );
      assert.ok(
        box && point && point.x > box.x && point.x < box.x + box.width && point.y > box.y && point.y < box.y + box.height,
        `${id} in view`,
      );
    }
    const header = (await page.locator('[data-testid="compare-header"]').textContent()) ?? '';
    assert.equal(header, `${a.runId} (ok) ⟷ ${b.runId} (ok)`);
    assert.match(
      (await page.locator('[data-testid="diff-summary"]').textContent()) ?? '',
      new RegExp(`^vs ${a.runId}: 1 added · 1 changed · 1 removed · 5 same — first divergence ${routeKey.replace(/[/#]/g, '\\$&')}`),
    );
    await shot(page, 'compare-side-by-side');
    assert.deepEqual(ui.errors, [], 'the page logged no errors');
    assert.deepEqual(ui.cspViolations, [], 'no CSP violations');
  });

  it('selecting a node in one pane selects its counterpart (same key) in the other', async () => {
    const page = ui.page;
    await compare(page, b.runId, a.runId, 7);
    await waitForGraph(page, `g.compare?.computations >= 1 && g.compare.bSelectedId === ${q(b.id('route'))}`);
    await clickInA(page, a.id('search'));
    let state = await waitForGraph(page, `g.compare.bSelectedId === ${q(b.id('search'))} && g.inspectorNodeId === ${q(a.id('search'))}`);
    assert.equal((state.compare as { selectedSide: string }).selectedSide, 'a');
    await graph.clickNode(b.id('draft'));
    state = await waitForGraph(page, `g.compare.aSelectedId === ${q(a.id('draft'))} && g.inspectorNodeId === ${q(b.id('draft'))}`);
    assert.equal((state.compare as { selectedSide: string }).selectedSide, 'b');
    // A key only b has: nothing to pair on a's side. (F fits both panes: the narrow panes show part of each run.)
    await graph.press('f');
    await graph.clickNode(b.id('repro'));
    await waitForGraph(page, `g.compare.bSelectedId === ${q(b.id('repro'))} && g.compare.aSelectedId === undefined`);
    // A key only a has (removed), from a's side.
    await graph.press('f');
    await clickInA(page, a.id('fix'));
    await waitForGraph(page, `g.compare.bSelectedId === undefined && g.inspectorNodeId === ${q(a.id('fix'))}`);
    const change = (await graph.inspector.locator('[data-testid="change"]').textContent()) ?? '';
    assert.match(change, /removed/);
    assert.deepEqual(ui.errors, [], 'the page logged no errors');
  });

  it('live: a run that grows while compared updates the counts without a reload, then Esc leaves compare', async () => {
    const page = ui.page;
    const live = 'cmp-live';
    const records = pairRecords(live, 'b', 'running');
    await createRun(sidecar, live, 'triage-compare');
    await postNodes(sidecar, live, records.slice(0, 2));
    await compare(page, live, a.runId, 2);
    // Root running (status differs: changed), search same, the other five of a not there yet.
    await waitForGraph(page, 'g.compare?.computations >= 1 && g.compare.counts?.removed === 5 && g.compare.aVisibleCount === 7');
    await page.evaluate(() => {
      (globalThis as unknown as { __compareMarker: number }).__compareMarker = 1;
    });
    await graph.press('f');
    await clickInA(page, a.id('search'));
    const before = await waitForGraph(page, `g.compare.bSelectedId === ${q(`${live}-search`)}`);
    const zoomBefore = (before.compare as { aZoom: unknown }).aZoom;

    await postNodes(sidecar, live, records.slice(2, 5));
    await waitForGraph(page, 'g.nodeCount === 5 && g.compare.counts.removed === 2 && g.compare.counts.changed === 2');
    await postNodes(sidecar, live, [...records.slice(5), { ...(records[0] as object), status: 'ok' } as (typeof records)[number]]);
    await finishRun(sidecar, live, 'ok');
    const after = await waitForGraph(
      page,
      `g.nodeCount === 7 && g.runStatus === 'ok' && g.compare.counts.added === 1 && g.compare.counts.removed === 1 && g.compare.counts.changed === 1 && g.compare.counts.same === 5`,
    );
    const cmp = after.compare as {
      aSelectedId: string;
      bSelectedId: string;
      aZoom: unknown;
      computations: number;
      firstDivergence: string;
    };
    assert.equal(cmp.firstDivergence, routeKey, `the final recomputation sees the finished run: ${JSON.stringify(after)}`);
    assert.equal(cmp.aSelectedId, a.id('search'), 'the selection survived');
    assert.equal(cmp.bSelectedId, `${live}-search`);
    assert.deepEqual(cmp.aZoom, zoomBefore, "a's zoom survived");
    assert.deepEqual(after.zoom, before.zoom, "b's zoom survived its growth");
    assert.ok(cmp.computations >= 2, `recomputed (${cmp.computations} computations)`);
    assert.equal(await page.evaluate(() => (globalThis as unknown as { __compareMarker?: number }).__compareMarker), 1, 'no reload');
    const header = (await page.locator('[data-testid="compare-header"]').textContent()) ?? '';
    assert.equal(header, `${a.runId} (ok) ⟷ ${live} (ok)`);

    // Esc: back to the single graph of b, its selection kept.
    await graph.canvas.focus();
    await page.keyboard.press('Escape');
    const single = await waitForGraph(page, 'g.compare === undefined && g.diff === undefined');
    assert.equal(single.selectedId, `${live}-search`);
    assert.equal(await page.locator('[data-testid="graph-a"]').count(), 0, "a's pane is gone");
    await waitForGraph(page, 'g.visibleCount === 7');
    assert.deepEqual(ui.errors, [], 'the page logged no errors');
  });

  it('compares two runs of 5,000 nodes a side: both drawn whole, 10 changed keys found, selection paired', async () => {
    const page = ui.page;
    await seedBigPairedRun(sidecar, 'cmp-big-a', 'a', 5_000);
    await seedBigPairedRun(sidecar, 'cmp-big-b', 'b', 5_000);
    await compare(page, 'cmp-big-b', 'cmp-big-a', 5_000);
    const state = await waitForGraph(
      page,
      'g.compare?.computations >= 1 && g.compare.aVisibleCount === 5000 && g.compare.bVisibleCount === 5000',
      60_000,
    );
    const cmp = state.compare as { counts: Record<string, number>; firstDivergence: string; aSelectedId: string; bSelectedId: string };
    assert.deepEqual(cmp.counts, { added: 0, removed: 0, changed: 10, same: 4_990 });
    assert.equal(cmp.firstDivergence, '/n0#0');
    await waitForGraph(page, 'g.compare.aSelectedId === "cmp-big-a-n0" && g.compare.bSelectedId === "cmp-big-b-n0"');
    // The keyboard moves b's selection to n0's first child; a's counterpart follows.
    await graph.press('ArrowDown');
    await waitForGraph(page, 'g.compare.bSelectedId === "cmp-big-b-n1" && g.compare.aSelectedId === "cmp-big-a-n1"');
    assert.deepEqual(ui.errors, [], 'the page logged no errors');
  });

  it('"Exit compare" leaves it too, and `?compare=` opens a page side by side', async () => {
    const page = ui.page;
    await page.goto(`${uiUrl(sidecar, b.runId).replace('#', `&compare=${a.runId}#`)}`);
    await waitForGraph(page, 'g.compare?.computations >= 1 && g.compare.aVisibleCount === 7');
    await graph.button('Exit compare').click();
    await waitForGraph(page, 'g.compare === undefined && g.visibleCount === 7');
    assert.deepEqual(ui.errors, [], 'the page logged no errors');
  });
});
