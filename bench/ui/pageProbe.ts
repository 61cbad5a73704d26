import type { Page } from 'playwright-core';

/**
 * What the bench watches inside the page, installed with `addInitScript` before any of the page's
 * own scripts (through the DevTools protocol, so the page's CSP does not apply to it):
 * - the first animation frame after the UI marks `runtrail:first-paint` (the mark is set when the
 *   graph was drawn; the next frame is when it was surely on screen),
 * - long tasks (PerformanceObserver `longtask`, ≥ 50 ms of main-thread work),
 * - requestAnimationFrame deltas while `window.__uiBench.sampling` is on.
 * The probe's own rAF loop costs a few microseconds per frame.
 */
export const probeScript = `(() => {
  const bench = { frames: [], longTasks: [], sampling: false, firstFrameAfterMark: null };
  window.__uiBench = bench;
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) bench.longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  } catch {}
  const mark = performance.mark.bind(performance);
  performance.mark = (name, options) => {
    const entry = mark(name, options);
    if (name === 'runtrail:first-paint' && bench.firstFrameAfterMark === null) {
      requestAnimationFrame(() => { bench.firstFrameAfterMark = performance.now(); });
    }
    return entry;
  };
  let last = null;
  const tick = (t) => {
    if (bench.sampling) {
      if (last !== null) bench.frames.push(t - last);
      last = t;
    } else last = null;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();`;

/** The fields read from the DOM's PerformanceResourceTiming / PerformanceNavigationTiming (no DOM lib here). */
export interface ResourceTiming {
  name: string;
  startTime: number;
  responseEnd: number;
  encodedBodySize: number;
}
export interface NavigationTiming {
  domContentLoadedEventEnd: number;
  loadEventEnd: number;
}

export interface LongTask {
  start: number;
  duration: number;
}

export interface PaintTiming {
  /** ms from navigation start to the UI's `runtrail:first-paint` mark. */
  firstPaintMark: number;
  /** ms from navigation start to the next animation frame after the mark. */
  firstFrameAfterMark: number | null;
  /** Every `runtrail:*` mark the UI set, ms from navigation start: where the UI's own time went. */
  marks: Record<string, number>;
  /** Resource timings of the bundle and the tree request (start → responseEnd), ms from navigation start. */
  bundle: { start: number; end: number; bytes: number } | null;
  tree: { start: number; end: number; bytes: number } | null;
  domContentLoaded: number;
  /** Long tasks up to the first frame after the mark: the main thread's big blocks. */
  longTasks: LongTask[];
  /** What the UI's test hook reported at the time. */
  hook: Record<string, unknown> | null;
}

/** Waits for the UI's first-paint mark (and the frame after it), then reads the timings. */
export async function readPaintTiming(page: Page, timeoutMs: number): Promise<PaintTiming> {
  await page.waitForFunction(
    () => (globalThis as unknown as { __uiBench: { firstFrameAfterMark: number | null } }).__uiBench.firstFrameAfterMark !== null,
    undefined,
    { timeout: timeoutMs, polling: 50 },
  );
  return page.evaluate(() => {
    const bench = (globalThis as unknown as { __uiBench: { firstFrameAfterMark: number | null; longTasks: LongTask[] } }).__uiBench;
    const marks: Record<string, number> = {};
    for (const m of performance.getEntriesByType('mark')) if (m.name.startsWith('runtrail:')) marks[m.name] = m.startTime;
    const resources = performance.getEntriesByType('resource') as unknown as ResourceTiming[];
    // No named helper functions in here: tsx would wrap them in a __name() the page lacks.
    const bundleEntry = resources.find((e) => e.name.includes('/ui/webview.js'));
    const treeEntry = resources.find((e) => e.name.includes('/tree'));
    const nav = (performance.getEntriesByType as (type: string) => unknown[])('navigation')[0] as NavigationTiming | undefined;
    const firstFrame = bench.firstFrameAfterMark;
    const hookObject = (globalThis as unknown as { __runtrailGraph?: Record<string, unknown> }).__runtrailGraph;
    let hook: Record<string, unknown> | null = null;
    if (hookObject !== undefined) {
      hook = {};
      for (const key of ['nodeCount', 'visibleCount', 'selectedId']) hook[key] = hookObject[key];
    }
    return {
      firstPaintMark: marks['runtrail:first-paint'] ?? Number.NaN,
      firstFrameAfterMark: firstFrame,
      marks,
      bundle:
        bundleEntry === undefined
          ? null
          : { start: bundleEntry.startTime, end: bundleEntry.responseEnd, bytes: bundleEntry.encodedBodySize },
      tree: treeEntry === undefined ? null : { start: treeEntry.startTime, end: treeEntry.responseEnd, bytes: treeEntry.encodedBodySize },
      domContentLoaded: nav?.domContentLoadedEventEnd ?? Number.NaN,
      longTasks: bench.longTasks.filter((t) => firstFrame === null || t.start <= firstFrame),
      hook,
    };
  });
}

export async function startFrameSampling(page: Page): Promise<void> {
  await page.evaluate(() => {
    const bench = (globalThis as unknown as { __uiBench: { frames: number[]; longTasks: LongTask[]; sampling: boolean; from?: number } })
      .__uiBench;
    bench.frames = [];
    bench.from = performance.now();
    bench.sampling = true;
  });
}

/** Stops sampling; the rAF deltas and the long tasks since sampling started. */
export async function stopFrameSampling(page: Page): Promise<{ frames: number[]; longTasks: LongTask[]; ms: number }> {
  return page.evaluate(() => {
    const bench = (globalThis as unknown as { __uiBench: { frames: number[]; longTasks: LongTask[]; sampling: boolean; from: number } })
      .__uiBench;
    bench.sampling = false;
    return { frames: bench.frames, longTasks: bench.longTasks.filter((t) => t.start >= bench.from), ms: performance.now() - bench.from };
  });
}
