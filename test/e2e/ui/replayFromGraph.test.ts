import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { z } from 'zod';
import { RunFamily } from '../../../protocol/replay';
import { FlatTree, Node, Run } from '../../../protocol/runs';
import { spawnCli } from '../../fixtures/cli/cliProcess';
import { readJson } from '../../fixtures/sidecarApp';
import { type SidecarProcess, startSidecarProcess } from '../../fixtures/sidecarProcess';
import { GraphDriver } from '../../fixtures/ui/graphDriver';
import { newUiPage, shot, type UiPage, uiUrl, waitForGraph } from '../../fixtures/ui/uiPage';
import { launchChromium } from '../../fixtures/vscode/chromium';

const repoRoot = path.resolve(__dirname, '../../..');

/**
 * Fork, take another option and compare, from the graph page (issue 8): the demo leaves a
 * triage-ts run started through the runner (so it has a command to re-spawn); a sidecar on the
 * demo's data folder with the repo as its workspace replays it. Needs the build.
 */
describe('replay, fork and compare from the run graph page (/ui)', function () {
  this.timeout(240_000);
  let dataDir: string;
  let runId: string;
  let routeId: string;
  let sidecar: SidecarProcess | undefined;
  let browser: Browser | undefined;
  let ui: UiPage | undefined;

  const api = async <S extends z.ZodType>(pathname: string, schema: S): Promise<z.infer<S>> => {
    if (!sidecar) throw new Error('no sidecar');
    return readJson(await fetch(`${sidecar.url}${pathname}`, { headers: { authorization: `Bearer ${sidecar.token}` } }), schema);
  };

  /** Finds the node by name with the search box, as a person does, until it is selected and inspected. */
  const selectByName = async (page: Page, name: string, id: string): Promise<void> => {
    const graph = new GraphDriver(page);
    await graph.search(name);
    const { matches } = await waitForGraph(page, `g.matches.includes(${JSON.stringify(id)})`);
    for (let step = 0; step < matches.length; step++) {
      await graph.searchBox.press('Enter');
      const { selectedId } = await waitForGraph(page, `g.selectedId === ${JSON.stringify(matches[step])}`);
      if (selectedId === id) break;
    }
    await waitForGraph(page, `g.selectedId === ${JSON.stringify(id)} && g.inspectorNodeId === ${JSON.stringify(id)}`);
  };

  /** The page navigates to the run the click started; it ends ok and replays `runId`. */
  const followReplay = async (page: Page): Promise<Run> => {
    await page.waitForURL((url) => url.searchParams.get('run') !== null && url.searchParams.get('run') !== runId, { timeout: 30_000 });
    const newId = new URL(page.url()).searchParams.get('run') as string;
    await waitForGraph(page, `g.runId === ${JSON.stringify(newId)} && g.runStatus === 'ok' && g.nodeCount > 0`, 120_000);
    // The page saw the SDK end the run; the runner records the process's exit just after.
    let run = await api(`/api/runs/${newId}`, Run);
    for (const deadline = Date.now() + 60_000; run.status === 'running' && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      run = await api(`/api/runs/${newId}`, Run);
    }
    assert.equal(run.status, 'ok');
    assert.equal(run.replayOf, runId);
    return run;
  };

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runtrail-ui-replay-'));
    const demo = await spawnCli(['demo', '--workspace', repoRoot, '--data-dir', dataDir, '--port', '0'], {}).result;
    assert.equal(demo.code, 0, `the demo failed:\n${demo.stdout}\n${demo.stderr}`);
    const id = /^triage-ts {2}(run_\S+) {2}✓ ok$/m.exec(demo.stdout)?.[1];
    assert.ok(id, `the demo printed no triage-ts run:\n${demo.stdout}`);
    runId = id;
    sidecar = await startSidecarProcess({ RUNTRAIL_DATA_DIR: dataDir, RUNTRAIL_WORKSPACE: repoRoot });
    browser = await launchChromium();
    const { nodes } = await api(`/api/runs/${runId}/tree?format=flat`, FlatTree);
    const route = nodes.find((n) => n.kind === 'decision' && n.name === 'route');
    assert.ok(route, 'the demo run has the decision `route`');
    routeId = route.id;
  });

  beforeEach(async () => {
    if (!browser) throw new Error('no browser');
    ui = await newUiPage(browser);
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && ui) {
      await shot(ui.page, `failed-replay-${this.currentTest.title.slice(0, 20).replace(/\W+/g, '-')}`).catch(() => {});
      console.log(`page errors: ${JSON.stringify(ui.errors)}; sidecar output:\n${sidecar?.output().slice(-3000)}`);
    }
    await ui?.close();
    ui = undefined;
  });

  after(async () => {
    await browser?.close();
    await sidecar?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('"Fork here" on a node starts a fork of the run and opens it', async () => {
    if (!sidecar || !ui) throw new Error('not set up');
    await ui.page.goto(uiUrl(sidecar, runId));
    await waitForGraph(ui.page, 'g.nodeCount > 0 && g.visibleCount > 0');
    await selectByName(ui.page, 'route', routeId);
    await new GraphDriver(ui.page).button('Fork here').click();
    const fork = await followReplay(ui.page);
    assert.equal(fork.forkedFromNode, routeId);
    assert.deepEqual(ui.errors, [], 'the page logged no errors');
  });

  it('"Take needs-repro" on `route` replays the run with that option, and compare shows where it departs', async () => {
    if (!sidecar || !ui) throw new Error('not set up');
    const page = ui.page;
    await page.goto(uiUrl(sidecar, runId));
    await waitForGraph(page, 'g.nodeCount > 0 && g.visibleCount > 0');
    await selectByName(page, 'route', routeId);
    const graph = new GraphDriver(page);
    await graph.button('Take needs-repro').click();
    const replay = await followReplay(page);
    const { nodes } = await api(`/api/runs/${replay.id}/tree?format=flat`, FlatTree);
    const route = nodes.find((n) => n.kind === 'decision' && n.name === 'route');
    assert.ok(route, 'the replay has the decision `route`');
    const full = await api(`/api/nodes/${route.id}`, Node);
    assert.equal(full.attributes?.chosen, 'needs-repro', 'the replay took the option clicked');

    // Compare: the run it replays is proposed, and the diff opens on the first divergence. The
    // page first takes in the replay's last events (its end), so nothing reloads under the diff.
    await waitForGraph(page, `g.runStatus === 'ok' && g.nodeCount === ${nodes.length}`);
    await graph.button('Compare with').click();
    // Read in the same frame the condition holds.
    const diff = (await (
      await page.waitForFunction(
        () => {
          const found = (globalThis as unknown as { __runtrailGraph?: { diff?: { firstDivergence: string | null } } }).__runtrailGraph
            ?.diff;
          return found !== undefined && found.firstDivergence !== null ? found : undefined;
        },
        undefined,
        { timeout: 30_000, polling: 'raf' },
      )
    ).jsonValue()) as { against: string; counts: Record<string, number>; firstDivergence: string; firstDivergenceNodeId: string };
    assert.equal(diff.against, runId);
    assert.equal(diff.firstDivergence, '/route#0');
    assert.equal(diff.firstDivergenceNodeId, route.id);
    assert.ok((diff.counts.changed ?? 0) >= 1, `something changed: ${JSON.stringify(diff.counts)}`);
    const summary = (await page.locator('[data-testid="diff-summary"]').textContent()) ?? '';
    assert.match(
      summary,
      new RegExp(`^vs ${runId}: ${diff.counts.added} added · ${diff.counts.changed} changed · ${diff.counts.removed} removed`),
    );
    assert.match(summary, /first divergence \/route#0/);
    // The divergence is selected and the inspector shows its output change.
    await waitForGraph(page, `g.selectedId === ${JSON.stringify(route.id)} && g.inspectorNodeId === ${JSON.stringify(route.id)}`);
    const change = graph.inspector.locator('[data-testid="change"]');
    assert.match((await change.textContent()) ?? '', /changed[\s\S]*a:[\s\S]*fix-now[\s\S]*b:[\s\S]*needs-repro/);
    await shot(page, 'diff-mode');
    assert.deepEqual(ui.errors, [], 'the page logged no errors');
    assert.deepEqual(ui.cspViolations, [], 'no CSP violations');
  });

  it('forks a run whose command runtrail.json does not declare only after the person confirms it', async () => {
    if (!sidecar || !ui) throw new Error('not set up');
    const { url, token } = sidecar;
    const send = (method: string, pathname: string, body: unknown) =>
      fetch(`${url}${pathname}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    // As a script started from a terminal records itself: its own argv, no declared workflow.
    const command = [process.execPath, '-e', "console.log('replayed')"];
    const created = await send('POST', '/api/runs', { workflow: 'terminal-script', command, cwd: repoRoot });
    const script = await readJson(created, Run);
    const nodeId = `${script.id}-step`;
    assert.equal(
      (await send('POST', `/api/runs/${script.id}/nodes`, { nodes: [{ id: nodeId, key: '/step#0', name: 'step', status: 'ok' }] })).status,
      200,
    );
    assert.equal((await send('PATCH', `/api/runs/${script.id}`, { status: 'ok' })).status, 200);
    const page = ui.page;
    const dialogs: string[] = [];
    let answer = false;
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void (answer ? dialog.accept() : dialog.dismiss());
    });
    await page.goto(uiUrl(sidecar, script.id));
    await waitForGraph(page, 'g.nodeCount > 0 && g.visibleCount > 0');
    await selectByName(page, 'step', nodeId);
    const graph = new GraphDriver(page);

    // Declined: nothing runs, the page stays on the run and says why.
    await graph.button('Fork here').click();
    await page
      .getByText(/running its command was declined/)
      .first()
      .waitFor({ timeout: 30_000 });
    assert.equal(dialogs.length, 1);
    assert.match(dialogs[0] as string, /was not started from a workflow of runtrail\.json/);
    assert.ok((dialogs[0] as string).includes("console.log('replayed')"), `the dialog shows the command: ${dialogs[0]}`);
    assert.equal(new URL(page.url()).searchParams.get('run'), script.id);
    const family = await api(`/api/runs/${script.id}/family`, RunFamily);
    assert.equal(family.runs.length, 1, 'no replay was started');

    // Confirmed: the fork starts and opens.
    answer = true;
    await graph.button('Fork here').click();
    await page.waitForURL((u) => u.searchParams.get('run') !== script.id, { timeout: 30_000 });
    const forkId = new URL(page.url()).searchParams.get('run') as string;
    const fork = await api(`/api/runs/${forkId}`, Run);
    assert.equal(fork.replayOf, script.id);
    assert.equal(fork.forkedFromNode, nodeId);
    assert.equal(dialogs.length, 2);
  });
});
