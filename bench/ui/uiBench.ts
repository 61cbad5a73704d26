/**
 * The graph UI in headless Chromium (issue 7 "Performance"; not a test: it asserts nothing):
 * - first paint of a 5,000-node run and of a 50,000-node run (collapsed): navigation start to the
 *   UI's `performance.mark('runtrail:first-paint')` and to the frame after it, on the page the
 *   sidecar serves (`/ui/?run=…#token=…`), a fresh browser context per load;
 * - frame times while a live run receives 200 nodes/s (rAF deltas p50/p95/max, long tasks) and
 *   how long after the last post the page holds every node;
 * - the ceilings in the same run, so the figures say where the time goes: an empty page (no
 *   script), parsing and executing the bundle on a page without a run, fetching the flat tree
 *   over HTTP from node and fetching + JSON.parse in the page.
 * Built sidecar (dist/sidecar.js) on the embedded store at log level warn, Debian's Chromium.
 * Writes bench/results/ui.json (--quick: ui-quick.tmp.json, ignored by git).
 *
 *   npm run bench:ui          # builds the sidecar and the webview bundle, then runs (~3 min)
 *   npx tsx bench/ui/uiBench.ts --quick
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import { bigTreeRecords, createRun, postNodes, seedBigRun } from '../../test/fixtures/ui/seedRuns';
import { uiUrl } from '../../test/fixtures/ui/uiPage';
import { launchChromium } from '../../test/fixtures/vscode/chromium';
import { type BenchSidecar, startBenchSidecar } from '../ingest/benchSidecar';
import { CpuMeter } from '../ingest/cpuMeter';
import { summarise } from '../live/latency';
import {
  type LongTask,
  type NavigationTiming,
  type PaintTiming,
  probeScript,
  readPaintTiming,
  startFrameSampling,
  stopFrameSampling,
} from './pageProbe';

const repoRoot = path.resolve(__dirname, '../..');
const bundlePath = path.join(repoRoot, 'dist/webview.js');

interface UiOptions {
  quick: boolean;
  sizes: number[];
  repeats: number;
  liveRate: number;
  liveSeconds: number;
  liveInitial: number;
  out: string;
}

function parseOptions(argv: string[]): UiOptions {
  const quick = argv.includes('--quick');
  const value = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
  return {
    quick,
    sizes: (value('--sizes') ?? (quick ? '1000,5000' : '5000,50000')).split(',').map(Number),
    repeats: Number(value('--repeats') ?? (quick ? 1 : 3)),
    liveRate: Number(value('--rate') ?? 200),
    liveSeconds: Number(value('--seconds') ?? (quick ? 3 : 10)),
    liveInitial: 1_000,
    out: path.resolve(value('--out') ?? path.join(repoRoot, 'bench/results', quick ? 'ui-quick.tmp.json' : 'ui.json')),
  };
}

const median = (values: number[]) => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
const round1 = (x: number) => Math.round(x * 10) / 10;
const longTaskSummary = (tasks: readonly LongTask[]) => ({
  count: tasks.length,
  totalMs: round1(tasks.reduce((sum, t) => sum + t.duration, 0)),
  maxMs: round1(Math.max(0, ...tasks.map((t) => t.duration))),
});

/** Node → sidecar: the flat tree over HTTP, as the page will ask for it (1 warm-up, 5 timed). */
async function treeOverHttp(sidecar: BenchSidecar, runId: string) {
  const pathname = `/api/runs/${encodeURIComponent(runId)}/tree?format=flat`;
  await sidecar.api.expect(200, 'GET', pathname);
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    const res = await sidecar.api.expect(200, 'GET', pathname);
    times.push(performance.now() - started);
    bytes = res.bytes;
  }
  return { medianMs: round1(median(times)), bytes, timesMs: times.map(round1) };
}

/**
 * An empty page at the sidecar's origin (answered by Playwright, not the sidecar), for the
 * browser-side ceilings. `body` goes in as is.
 */
async function emptyPage(browser: Browser, sidecar: BenchSidecar, body: string) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  await page.route(`${sidecar.url}/bench-empty`, (route) =>
    route.fulfill({
      status: 200,
      contentType: 'text/html; charset=utf-8',
      body: `<!doctype html><html><head><meta charset="utf-8"></head><body>${body}</body></html>`,
    }),
  );
  await page.goto(`${sidecar.url}/bench-empty`, { waitUntil: 'load' });
  return { context, page };
}

/** Chromium's floor: navigation to load of a page with nothing in it. */
async function emptyPageLoad(browser: Browser, sidecar: BenchSidecar): Promise<number> {
  const { context, page } = await emptyPage(browser, sidecar, '');
  const ms = await page.evaluate(
    () => ((performance.getEntriesByType as (type: string) => unknown[])('navigation')[0] as NavigationTiming).loadEventEnd,
  );
  await context.close();
  return ms;
}

/**
 * Parse + execute of dist/webview.js inlined in a page without a run id and without the UI's
 * root element (so it draws nothing; what it does without them is the bundle's start-up work).
 */
async function bundleEvaluation(browser: Browser, sidecar: BenchSidecar): Promise<number> {
  const bundle = fs.readFileSync(bundlePath, 'utf8').replaceAll('</script', '<\\/script');
  const { context, page } = await emptyPage(
    browser,
    sidecar,
    `<script>performance.mark('bench:before')</script><script>${bundle}</script><script>performance.mark('bench:after')</script>`,
  );
  const ms = await page.evaluate(() => performance.measure('bench:bundle', 'bench:before', 'bench:after').duration);
  await context.close();
  return ms;
}

/** In the page: fetch the flat tree with the token (to the whole text) and JSON.parse it. */
async function treeInPage(browser: Browser, sidecar: BenchSidecar, runId: string) {
  const { context, page } = await emptyPage(browser, sidecar, '');
  const read = () =>
    page.evaluate(
      async ({ url, token }) => {
        const started = performance.now();
        const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
        const text = await res.text();
        const fetched = performance.now();
        const parsed = JSON.parse(text) as { nodes: unknown[] };
        return { fetchMs: fetched - started, parseMs: performance.now() - fetched, nodes: parsed.nodes.length };
      },
      { url: `${sidecar.url}/api/runs/${encodeURIComponent(runId)}/tree?format=flat`, token: sidecar.token },
    );
  await read();
  const reads = [];
  for (let i = 0; i < 3; i++) reads.push(await read());
  await context.close();
  return {
    fetchMs: round1(median(reads.map((r) => r.fetchMs))),
    parseMs: round1(median(reads.map((r) => r.parseMs))),
    nodes: reads[0]?.nodes,
  };
}

/** One load of the run's page in a fresh context (fresh sessionStorage and caches). */
async function firstPaint(browser: Browser, sidecar: BenchSidecar, runId: string): Promise<PaintTiming & { pageErrors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  await context.addInitScript({ content: probeScript });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  try {
    await page.goto(uiUrl(sidecar, runId), { waitUntil: 'commit' });
    return { ...(await readPaintTiming(page, 60_000)), pageErrors };
  } finally {
    await context.close();
  }
}

async function livePass(browser: Browser, sidecar: BenchSidecar, options: UiOptions) {
  const runId = 'ui-bench-live';
  const total = options.liveInitial + options.liveRate * options.liveSeconds;
  const records = bigTreeRecords(`${runId}-n`, total, 11);
  await createRun(sidecar, runId, 'live');
  await postNodes(sidecar, runId, records.slice(0, options.liveInitial));
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  await context.addInitScript({ content: probeScript });
  const page = await context.newPage();
  try {
    await page.goto(uiUrl(sidecar, runId), { waitUntil: 'commit' });
    await readPaintTiming(page, 60_000);
    // Before load: frames with nothing arriving, the page's idle baseline.
    await startFrameSampling(page);
    await new Promise((r) => setTimeout(r, 1_000));
    const idle = await stopFrameSampling(page);

    const cpu = new CpuMeter([{ name: 'sidecar', pid: sidecar.pid, mainThread: true }]);
    const endCpu = cpu.start();
    await startFrameSampling(page);
    // Open loop: every 50 ms the nodes that are due, in one request (an SDK flushes about every 50 ms).
    const tickMs = 50;
    const started = performance.now();
    let next = options.liveInitial;
    const posts: Promise<void>[] = [];
    while (next < total) {
      const due = Math.min(total, options.liveInitial + Math.floor(((performance.now() - started) / 1000) * options.liveRate));
      if (due > next) {
        posts.push(postNodes(sidecar, runId, records.slice(next, due)));
        next = due;
      }
      await new Promise((r) => setTimeout(r, tickMs));
    }
    await Promise.all(posts);
    const lastAck = performance.now();
    let caughtUpMs: number | null = null;
    try {
      await page.waitForFunction(
        (n) => (globalThis as unknown as { __runtrailGraph?: { nodeCount: number } }).__runtrailGraph?.nodeCount === n,
        total,
        {
          timeout: 30_000,
          polling: 'raf',
        },
      );
      caughtUpMs = round1(performance.now() - lastAck);
    } catch {
      // Recorded as null: the page never showed every node.
    }
    const sample = await stopFrameSampling(page);
    const shares = endCpu();
    const hook = await page.evaluate(() => {
      const g = (globalThis as unknown as { __runtrailGraph?: { nodeCount: number; visibleCount: number } }).__runtrailGraph;
      return g === undefined ? null : { nodeCount: g.nodeCount, visibleCount: g.visibleCount };
    });
    return {
      rate: options.liveRate,
      seconds: options.liveSeconds,
      initialNodes: options.liveInitial,
      totalNodes: total,
      achievedRate: round1(((total - options.liveInitial) / (lastAck - started)) * 1000),
      idleFrames: { ...summarise(idle.frames), longTasks: longTaskSummary(idle.longTasks) },
      frames: summarise(sample.frames),
      p95: round1(percentile(sample.frames, 0.95)),
      longTasks: longTaskSummary(sample.longTasks),
      caughtUpMsAfterLastAck: caughtUpMs,
      hook,
      cpu: shares,
    };
  } finally {
    await context.close();
  }
}

function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  for (const file of ['dist/sidecar.js', 'dist/webview.js']) {
    if (!fs.existsSync(path.join(repoRoot, file))) throw new Error(`${file} is missing: run npm run build first`);
  }
  const loadBefore = os.loadavg();
  const sidecar = await startBenchSidecar({}, 8);
  const browser = await launchChromium();
  const benchStarted = performance.now();
  const result: Record<string, unknown> = {
    bench: 'ui',
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
    chromium: browser.version(),
    commit: gitCommit(),
    options,
    loadAverageBefore: loadBefore.map(round1),
    bundleBytes: fs.statSync(bundlePath).size,
  };
  try {
    const uiStatus = (await fetch(`${sidecar.url}/ui/`)).status;
    result.uiRouteStatus = uiStatus;
    const ceilings: Record<string, unknown> = {};
    const emptyLoads: number[] = [];
    const bundleRuns: number[] = [];
    for (let i = 0; i < 3; i++) {
      emptyLoads.push(await emptyPageLoad(browser, sidecar));
      bundleRuns.push(await bundleEvaluation(browser, sidecar));
    }
    ceilings.emptyPageLoadMs = round1(median(emptyLoads));
    ceilings.bundleParseExecuteMs = round1(median(bundleRuns));
    console.log(
      `empty page load ${ceilings.emptyPageLoadMs} ms; bundle (${result.bundleBytes} bytes) parse+execute ${ceilings.bundleParseExecuteMs} ms`,
    );

    const sizes: Record<string, unknown>[] = [];
    for (const size of options.sizes) {
      const runId = `ui-bench-${size}`;
      const seedStarted = performance.now();
      await seedBigRun(sidecar, runId, size);
      const seedMs = round1(performance.now() - seedStarted);
      const http = await treeOverHttp(sidecar, runId);
      const inPage = await treeInPage(browser, sidecar, runId);
      console.log(
        `${size} nodes: seeded in ${seedMs} ms; tree over HTTP ${http.medianMs} ms (${http.bytes} bytes); in page fetch ${inPage.fetchMs} + parse ${inPage.parseMs} ms`,
      );
      const loads: Array<PaintTiming & { pageErrors: string[] }> = [];
      const errors: string[] = [];
      if (uiStatus === 200) {
        for (let i = 0; i < options.repeats; i++) {
          try {
            const load = await firstPaint(browser, sidecar, runId);
            loads.push(load);
            console.log(
              `  load ${i}: first-paint mark ${round1(load.firstPaintMark)} ms, next frame ${round1(load.firstFrameAfterMark ?? Number.NaN)} ms; ` +
                `bundle ${round1(load.bundle?.end ?? Number.NaN)} ms, tree ${round1(load.tree?.start ?? Number.NaN)}→${round1(load.tree?.end ?? Number.NaN)} ms; ` +
                `long tasks ${JSON.stringify(longTaskSummary(load.longTasks))}; hook ${JSON.stringify(load.hook)}`,
            );
          } catch (error) {
            errors.push((error as Error).message.split('\n')[0] ?? String(error));
            console.log(`  load ${i} failed: ${errors.at(-1)}`);
          }
        }
      }
      sizes.push({
        size,
        seedMs,
        treeOverHttp: http,
        treeInPage: inPage,
        firstPaintMarkMs: round1(median(loads.map((l) => l.firstPaintMark))),
        firstFrameMs: round1(median(loads.map((l) => l.firstFrameAfterMark ?? Number.NaN))),
        bundleLoadedMs: round1(median(loads.map((l) => l.bundle?.end ?? Number.NaN))),
        treeRequestMs: {
          start: round1(median(loads.map((l) => l.tree?.start ?? Number.NaN))),
          end: round1(median(loads.map((l) => l.tree?.end ?? Number.NaN))),
        },
        loads,
        errors,
      });
    }
    result.ceilings = ceilings;
    result.firstPaint = sizes;
    if (uiStatus === 200) {
      try {
        const live = await livePass(browser, sidecar, options);
        result.live = live;
        console.log(
          `live ${live.rate} nodes/s (${live.achievedRate} achieved): frames ${JSON.stringify(live.frames)} p95 ${live.p95}; long tasks ${JSON.stringify(live.longTasks)}; caught up ${live.caughtUpMsAfterLastAck} ms after the last ack; idle frames ${JSON.stringify(live.idleFrames)}`,
        );
      } catch (error) {
        result.live = { error: (error as Error).message.split('\n')[0] };
        console.log(`live pass failed: ${(error as Error).message}`);
      }
    } else {
      console.log(`GET /ui/ answered ${uiStatus}: the page is not served yet, only the ceilings were measured`);
    }
    const at = (size: number) => sizes.find((s) => s.size === size)?.firstFrameMs as number | undefined;
    result.targets = [
      {
        metric: 'first paint, 5,000 nodes (frame after the mark)',
        targetMs: 1_500,
        measuredMs: at(5_000) ?? null,
        met: (at(5_000) ?? Number.POSITIVE_INFINITY) <= 1_500,
      },
      {
        metric: 'first paint, 50,000 nodes collapsed (frame after the mark)',
        targetMs: 4_000,
        measuredMs: at(50_000) ?? null,
        met: (at(50_000) ?? Number.POSITIVE_INFINITY) <= 4_000,
      },
    ];
  } finally {
    await browser.close();
    await sidecar.stop();
  }
  result.durationSeconds = Math.round((performance.now() - benchStarted) / 1000);
  result.loadAverageAfter = os.loadavg().map(round1);
  fs.mkdirSync(path.dirname(options.out), { recursive: true });
  fs.writeFileSync(options.out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(
    `wrote ${path.relative(repoRoot, options.out)}; load average before ${JSON.stringify(result.loadAverageBefore)}, after ${JSON.stringify(result.loadAverageAfter)}`,
  );
}

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
