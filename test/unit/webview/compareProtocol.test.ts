import * as assert from 'node:assert/strict';
import { type ComparedReport, GraphSession } from '../../../extension/graph/graphSession';
import { RuntrailClient } from '../../../extension/sidecar/runtrailClient';
import type { ToWebview } from '../../../protocol/webviewMessages';
import type { Host, HostEvent } from '../../../webview/host';
import { createVsCodeHost, type VsCodeApi } from '../../../webview/hosts/vscodeHost';
import { startTestSidecar, type TestSidecar } from '../../fixtures/sidecarApp';

/**
 * The side-by-side compare over the graph protocol (issue 8): createVsCodeHost as the webview runs
 * it, GraphSession as the panel runs it, a real in-process sidecar. `graph/watch` (the page asks
 * for the compared run's events), `graph/compare` (the command asks the page to compare),
 * `graph/compared` (the page reports), and `readOnly` on the snapshot.
 */
interface Wired {
  host: Host;
  session: GraphSession;
  posted: ToWebview[];
  watched: Array<string | null>;
  reports: ComparedReport[];
  /** Lets the page start (its `graph/ready` reaches the session only when called). */
  start(): void;
}

function wire(sidecar: TestSidecar, runId: string, options: { readOnly?: boolean; deferReady?: boolean } = {}): Wired {
  const target = new EventTarget();
  const client = new RuntrailClient(sidecar.url, sidecar.token);
  const posted: ToWebview[] = [];
  const watched: Array<string | null> = [];
  const reports: ComparedReport[] = [];
  const session = new GraphSession({
    runId,
    api: () => client,
    revealSource: async () => false,
    post: (message) => {
      posted.push(message);
      target.dispatchEvent(Object.assign(new Event('message'), { data: structuredClone(message) }));
    },
    visible: () => true,
    watch: (id) => watched.push(id),
    compared: (report) => reports.push(report),
    readOnly: () => options.readOnly === true,
  });
  const held: unknown[] = [];
  let started = options.deferReady !== true;
  let state: unknown;
  const api: VsCodeApi = {
    postMessage: (message) => {
      if (started) void session.receive(structuredClone(message));
      else held.push(structuredClone(message));
    },
    getState: () => state,
    setState: (value) => {
      state = value;
    },
  };
  const host = createVsCodeHost({ api, target, runId });
  return {
    host,
    session,
    posted,
    watched,
    reports,
    start: () => {
      started = true;
      for (const message of held.splice(0)) void session.receive(message);
    },
  };
}

describe('webview side-by-side compare over the graph protocol', () => {
  let sidecar: TestSidecar;
  let a: string;
  let b: string;

  before(async () => {
    sidecar = await startTestSidecar();
    const ids: string[] = [];
    for (const chosen of ['x', 'y']) {
      const run = (await (await sidecar.send('POST', '/api/runs', { workflow: 'compare-protocol' })).json()) as { id: string };
      ids.push(run.id);
      const nodes = [{ id: `${run.id}-route`, key: '/route#0', kind: 'decision', name: 'route', status: 'ok', seq: 0, output: chosen }];
      assert.equal((await sidecar.send('POST', `/api/runs/${run.id}/nodes`, { nodes })).status, 200);
    }
    [a, b] = ids as [string, string];
  });

  after(() => sidecar?.close());

  it('marks the snapshot read-only when the panel says so, and not otherwise', async () => {
    const readOnly = wire(sidecar, b, { readOnly: true });
    assert.equal((await readOnly.host.loadRun(b)).readOnly, true);
    const normal = wire(sidecar, b);
    assert.equal((await normal.host.loadRun(b)).readOnly, undefined);
  });

  it('forwards the compared run’s events while the page watches it, and stops when it unsubscribes', async () => {
    const { host, session, watched } = wire(sidecar, b);
    await host.loadRun(b);
    const seen: HostEvent[] = [];
    const unsubscribe = host.subscribe(a, (event) => seen.push(event));
    await host.listRuns(); // notifications are handled in order: the watch arrived before this reply
    assert.deepEqual(watched.slice(-1), [a]);
    session.event({ type: 'node', delta: { runId: a, id: `${a}-new`, status: 'ok' } }, a);
    assert.deepEqual(
      seen.map((event) => (event.type === 'node' ? event.delta.id : event.type)),
      [`${a}-new`],
    );
    unsubscribe();
    await host.listRuns();
    assert.deepEqual(watched.slice(-1), [null]);
  });

  it('delivers a compare request to a page that was not ready yet, after its snapshot', async () => {
    const wired = wire(sidecar, b, { deferReady: true });
    wired.session.compare(a);
    const asked: string[] = [];
    wired.host.onCompareRequest((withRunId) => asked.push(withRunId));
    wired.start();
    await wired.host.loadRun(b);
    await wired.host.listRuns();
    assert.deepEqual(asked, [a]);
    // Ready now: the next one goes at once.
    wired.session.compare(b);
    await wired.host.listRuns();
    assert.deepEqual(asked, [a, b]);
  });

  it('passes the page’s report of each computation on, and ignores a malformed one', async () => {
    const { host, session, reports } = wire(sidecar, b);
    await host.loadRun(b);
    const report = { a, b, firstDivergenceKey: '/route#0', counts: { added: 0, removed: 0, changed: 1, same: 0 } };
    host.compared(report);
    await session.receive({ type: 'notify', method: 'graph/compared', params: { ...report, counts: { added: -1 } } });
    await host.listRuns();
    assert.deepEqual(reports, [report]);
  });
});
