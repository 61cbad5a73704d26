import * as assert from 'node:assert/strict';
import { graphPanelHtml } from '../../../extension/graph/graphPanelHtml';
import { GraphSession } from '../../../extension/graph/graphSession';
import { RuntrailClient } from '../../../extension/sidecar/runtrailClient';
import type { Node, Run } from '../../../protocol/runs';
import { type GraphEvent, graphPageUrl, type ToWebview } from '../../../protocol/webviewMessages';
import type { Host, HostEvent } from '../../../webview/host';
import { createVsCodeHost, renderedEvent, type VsCodeApi } from '../../../webview/hosts/vscodeHost';
import { startTestSidecar, type TestSidecar } from '../../fixtures/sidecarApp';

/**
 * The graph panel's two ends of protocol/webviewMessages.ts joined by an in-memory channel that
 * copies every message (as postMessage does): GraphSession, as the panel runs it, against a real
 * in-process sidecar, and createVsCodeHost, as the webview bundle runs it. Only VS Code itself is
 * left out; test/vscode/graphPanel.test.ts covers the panel inside it.
 */
interface Wired {
  readonly host: Host;
  readonly session: GraphSession;
  readonly posted: ToWebview[];
  readonly received: unknown[];
  readonly target: EventTarget;
  readonly revealed: Node[];
  readonly rendered: { nodes: number; visible: number }[];
  state: unknown;
  visible: boolean;
}

function wire(sidecar: TestSidecar, runId: string): Wired {
  const target = new EventTarget();
  const client = new RuntrailClient(sidecar.url, sidecar.token);
  const wired: Wired = {
    posted: [],
    received: [],
    revealed: [],
    rendered: [],
    target,
    state: undefined,
    visible: true,
    host: undefined as unknown as Host,
    session: undefined as unknown as GraphSession,
  };
  const session = new GraphSession({
    runId,
    api: () => client,
    revealSource: async (node: Node, _run: Run | undefined) => {
      wired.revealed.push(node);
      return node.source !== null;
    },
    post: (message) => {
      wired.posted.push(message);
      target.dispatchEvent(Object.assign(new Event('message'), { data: structuredClone(message) }));
    },
    visible: () => wired.visible,
    rendered: (counts) => wired.rendered.push(counts),
  });
  const api: VsCodeApi = {
    postMessage: (message) => {
      wired.received.push(message);
      void session.receive(structuredClone(message));
    },
    getState: () => wired.state,
    setState: (state) => {
      wired.state = state;
    },
  };
  Object.assign(wired, { session, host: createVsCodeHost({ api, target, runId }) });
  return wired;
}

function nextEvent(host: Host, runId: string, match: (event: HostEvent) => boolean): Promise<HostEvent> {
  return new Promise((resolve) => {
    const stop = host.subscribe(runId, (event) => {
      if (!match(event)) return;
      stop();
      resolve(event);
    });
  });
}

describe('extension run graph panel', () => {
  let sidecar: TestSidecar;
  let runId: string;

  before(async () => {
    sidecar = await startTestSidecar();
    const run = (await (await sidecar.send('POST', '/api/runs', { workflow: 'graph-panel' })).json()) as { id: string };
    runId = run.id;
    const nodes = [
      { id: `${runId}-root`, kind: 'step', name: 'plan', status: 'ok', seq: 0, input: { q: '<script>x</script>' } },
      {
        id: `${runId}-pick`,
        parentId: `${runId}-root`,
        kind: 'decision',
        name: 'route',
        status: 'ok',
        seq: 1,
        attributes: { options: [{ label: 'a', score: 0.9 }], chosen: 'a' },
        source: { file: 'agent.mjs', line: 7 },
      },
      { id: `${runId}-leaf`, parentId: `${runId}-pick`, kind: 'tool', name: 'grep', status: 'running', seq: 2 },
    ];
    const answer = await sidecar.send('POST', `/api/runs/${runId}/nodes`, { nodes });
    assert.equal(answer.status, 200, await answer.text());
  });

  after(() => sidecar?.close());

  it('serves a page that loads only the nonce’d bundle, with the run id escaped', () => {
    const html = graphPanelHtml({
      nonce: 'NONCE123',
      cspSource: 'https://webview.example',
      runId: '"><img src=x onerror=alert(1)>',
      scriptUri: 'https://webview.example/dist/webview.js',
    });
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1] ?? assert.fail('no CSP');
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'nonce-NONCE123'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.deepEqual(html.match(/<script[^>]*>/g), ['<script nonce="NONCE123" src="https://webview.example/dist/webview.js">']);
    assert.doesNotMatch(html, /<img src=x/, 'the run id is escaped');
    assert.match(html, /<body data-run-id="&#34;&#62;&#60;img src=x onerror=alert\(1\)&#62;">/);
    assert.doesNotMatch(html, /<link/, 'no stylesheet when the build wrote none');
  });

  it('builds the browser URL with the token in the fragment', () => {
    assert.equal(graphPageUrl('http://127.0.0.1:7317/', 'run_1', 'a/b+c'), 'http://127.0.0.1:7317/ui/?run=run_1#token=a%2Fb%2Bc');
    assert.equal(graphPageUrl('http://127.0.0.1:7317', 'run 1'), 'http://127.0.0.1:7317/ui/?run=run%201');
  });

  it('holds everything back until the ready handshake, then loads the panel run from the pushed snapshot', async () => {
    const session = new GraphSession({
      runId,
      api: () => new RuntrailClient(sidecar.url, sidecar.token),
      revealSource: async () => false,
      post: () => assert.fail('posted before graph/ready'),
      visible: () => true,
    });
    session.event({ type: 'resumed' });
    session.reload();
    assert.equal(session.isReady, false);

    const wired = wire(sidecar, runId);
    assert.deepEqual(wired.received[0], { type: 'notify', method: 'graph/ready', params: {} });
    assert.equal(wired.host.kind, 'vscode');
    assert.equal(wired.host.initialRunId(), runId);
    const snapshot = await wired.host.loadRun(runId);
    assert.equal(snapshot.run.id, runId);
    assert.deepEqual(snapshot.nodes.map((n) => n.name).sort(), ['grep', 'plan', 'route']);
    assert.equal(
      wired.received.filter((m) => (m as { type: string }).type === 'request').length,
      0,
      'the panel run came from the pushed snapshot, not a request',
    );
    assert.deepEqual(wired.state, { runId }, 'the run id is in the state the serializer restores from');
    wired.host.setState({ selectedNodeId: 'x', runId: 'other' });
    assert.deepEqual(wired.state, { selectedNodeId: 'x', runId });
  });

  it('answers requests with their results, and failures as error replies', async () => {
    const { host, received, posted } = wire(sidecar, runId);
    await host.loadRun(runId);
    const node = await host.openNode(`${runId}-root`);
    assert.deepEqual(node.input, { q: '<script>x</script>' });
    const decision = await host.openNode(`${runId}-pick`);
    assert.deepEqual(decision.attributes, { options: [{ label: 'a', score: 0.9 }], chosen: 'a' });
    const runs = await host.listRuns();
    assert.ok(runs.some((run) => run.id === runId));
    const other = await host.loadRun(runId);
    assert.equal(other.nodes.length, 3, 'loading again asks once nothing new was pushed');

    await assert.rejects(host.openNode('no-such-node'), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'not_found');
      assert.match(error.message, /no-such-node/);
      return true;
    });
    const ids = received.flatMap((m) => ((m as { type: string }).type === 'request' ? [(m as { id: number }).id] : []));
    const replies = posted.flatMap((m) => (m.type === 'response' || m.type === 'error' ? [m.id] : []));
    assert.deepEqual([...replies].sort(), [...ids].sort(), 'exactly one reply per request');
  });

  it('rejects unknown methods and bad params with a clear error reply', async () => {
    const { session, posted } = wire(sidecar, runId);
    await session.receive({ type: 'request', id: 900, method: 'run/delete', params: { runId } });
    await session.receive({ type: 'request', id: 901, method: 'graph/openNode', params: { nodeId: 7 } });
    await session.receive({ type: 'request', id: 902, method: 'graph/openNode', params: { nodeId: 'x', extra: 1 } });
    await session.receive('graph/ready');
    await session.receive({ type: 'request', id: 'x', method: 'graph/listRuns' });
    const errors = posted.filter((m) => m.type === 'error');
    assert.deepEqual(
      errors.map((m) => [m.id, m.error.code]),
      [
        [900, 'invalid'],
        [901, 'invalid'],
        [902, 'invalid'],
      ],
    );
    assert.match(errors[0]?.error.message ?? '', /Unknown method "run\/delete"/);
    assert.match(errors[1]?.error.message ?? '', /Bad params for graph\/openNode: nodeId/);
  });

  it('sends live events while visible, holds them while hidden and resends a snapshot when shown', async () => {
    const wired = wire(sidecar, runId);
    const { host, session } = wired;
    await host.loadRun(runId);
    const delta: GraphEvent = { type: 'node', delta: { runId, id: `${runId}-leaf`, status: 'ok' } };
    const arrived = nextEvent(host, runId, (e) => e.type === 'node');
    session.event(delta);
    assert.deepEqual(await arrived, delta);

    // Hidden but kept (retainContextWhenHidden): nothing is sent, a snapshot follows when shown.
    wired.visible = false;
    session.visibilityChanged(false, true);
    const before = wired.posted.length;
    session.event({ type: 'node', delta: { runId, id: `${runId}-leaf`, status: 'error' } });
    assert.equal(wired.posted.length, before, 'no delta to a hidden panel');
    const reset = nextEvent(host, runId, (e) => e.type === 'reset');
    wired.visible = true;
    session.visibilityChanged(true);
    assert.deepEqual(await reset, { type: 'reset' });
    const reloaded = await host.loadRun(runId);
    assert.equal(reloaded.nodes.length, 3);
    assert.equal(wired.received.filter((m) => (m as { type: string }).type === 'request').length, 0);

    // A hidden webview is unloaded: the handshake must be done again before anything is sent.
    wired.visible = false;
    session.visibilityChanged(false);
    assert.equal(session.isReady, false);
  });

  it('forwards what the UI drew and reveals source through the extension', async () => {
    const wired = wire(sidecar, runId);
    await wired.host.loadRun(runId);
    wired.target.dispatchEvent(Object.assign(new Event(renderedEvent), { detail: { nodes: 3, visible: 2 } }));
    wired.target.dispatchEvent(Object.assign(new Event(renderedEvent), { detail: { runId: 'another-run', nodes: 9 } }));
    const snapshot = await wired.host.loadRun(runId);
    const pick = snapshot.nodes.find((n) => n.name === 'route') ?? assert.fail('no decision node');
    assert.equal(await wired.host.revealSource(pick), true);
    assert.deepEqual(wired.rendered, [{ nodes: 3, visible: 2 }], 'only the panel run counts');
    assert.equal(wired.revealed[0]?.id, pick.id);
    assert.equal(wired.revealed[0]?.source?.line, 7);
  });

  it('says so in the snapshot when the run does not exist', async () => {
    const wired = wire(sidecar, 'run-that-is-not-there');
    await assert.rejects(wired.host.loadRun('run-that-is-not-there'), /Run run-that-is-not-there was not found/);
  });
});
