import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { NodeDelta } from '../../../../extension/services';
import { EventStream, type EventStreamStatus } from '../../../../extension/sidecar/eventStream';
import { decodeLiveEvent, LiveEventsHub } from '../../../../extension/sidecar/liveEvents';
import type { Run } from '../../../../protocol/runs';
import { uniqueId } from '../../../fixtures/builders';
import { freePort } from '../../../fixtures/services/freePort';
import { startTestSidecar, type TestSidecar } from '../../../fixtures/sidecarApp';

/** What a hub fired, in order, with a way to wait for the next thing. */
class Recorder {
  readonly seen: string[] = [];
  readonly nodes: NodeDelta[] = [];
  readonly runs: Array<Run | { id: string; deleted: true }> = [];
  private waiters: Array<() => void> = [];

  constructor(hub: LiveEventsHub) {
    hub.onNode((node) => this.push(`node ${node.id}`, () => this.nodes.push(node)));
    hub.onRun((run) => this.push(`run ${run.id}${'deleted' in run ? ' deleted' : ` ${run.status}`}`, () => this.runs.push(run)));
    hub.onReset(() => this.push('reset'));
    hub.onPaused(() => this.push('paused'));
    hub.onResumed(() => this.push('resumed'));
  }

  private push(what: string, also: () => void = () => {}): void {
    also();
    this.seen.push(what);
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Waits until `what` was seen `times` times in all. */
  async until(what: string, times = 1, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.seen.filter((seen) => seen === what).length < times) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`"${what}" not seen within ${timeoutMs} ms; seen: ${this.seen.join(', ')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

describe('live events (SSE client of /api/events)', function () {
  this.timeout(30_000);

  describe('decodeLiveEvent', () => {
    it('turns each event type into the extension vocabulary and ignores what it cannot read', () => {
      assert.deepEqual(decodeLiveEvent({ id: '1-0', event: 'node', data: '{"runId":"r","id":"n","status":"ok"}' }), {
        kind: 'node',
        node: { runId: 'r', id: 'n', status: 'ok' },
      });
      assert.deepEqual(decodeLiveEvent({ id: '2-0', event: 'run', data: '{"id":"r","deleted":true}' }), {
        kind: 'run',
        run: { id: 'r', deleted: true },
      });
      assert.deepEqual(decodeLiveEvent({ id: undefined, event: 'reset', data: '{"reason":"trimmed"}' }), {
        kind: 'reset',
        reason: 'trimmed',
      });
      assert.deepEqual(decodeLiveEvent({ id: undefined, event: 'paused', data: '{"reason":"Redis down"}' }), {
        kind: 'paused',
        reason: 'Redis down',
      });
      assert.deepEqual(decodeLiveEvent({ id: undefined, event: 'resumed', data: '{}' }), { kind: 'resumed' });
      assert.equal(decodeLiveEvent({ id: '3-0', event: 'node', data: '{"id":"n"}' }).kind, 'ignored');
      assert.equal(decodeLiveEvent({ id: '3-0', event: 'run', data: '{"id":"r","status":"weird"}' }).kind, 'ignored');
      assert.equal(decodeLiveEvent({ id: '3-0', event: 'node', data: 'not json' }).kind, 'ignored');
      assert.equal(decodeLiveEvent({ id: '3-0', event: 'surprise', data: '{}' }).kind, 'ignored');
    });
  });

  describe('against a real sidecar', () => {
    let sidecar: TestSidecar | undefined;
    let hub: LiveEventsHub | undefined;
    const logs: string[] = [];
    let dataDir: string;

    beforeEach(() => {
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runtrail-ext-events-'));
      logs.length = 0;
    });

    afterEach(async () => {
      hub?.dispose();
      hub = undefined;
      await sidecar?.close();
      sidecar = undefined;
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    const newHub = () =>
      new LiveEventsHub({ log: (level, message) => logs.push(`${level}: ${message}`), initialRetryMs: 50, maxRetryMs: 200 });

    it('delivers runs and nodes after a reset that marks the fresh subscription', async () => {
      sidecar = await startTestSidecar({ RUNTRAIL_DATA_DIR: dataDir });
      hub = newHub();
      const recorder = new Recorder(hub);
      hub.connect(sidecar.url, sidecar.token);
      await recorder.until('reset');

      const runId = uniqueId('live');
      await sidecar.send('POST', '/api/runs', { id: runId, workflow: 'triage' });
      await sidecar.send('POST', `/api/runs/${runId}/nodes`, {
        nodes: [{ id: `${runId}-a`, kind: 'step', name: 'a', input: { big: 'payload' } }],
      });
      await sidecar.send('PATCH', `/api/runs/${runId}`, { status: 'ok' });
      await sidecar.send('DELETE', `/api/runs/${runId}`);
      await recorder.until(`run ${runId} deleted`);

      assert.deepEqual(recorder.seen, ['reset', `run ${runId} running`, `node ${runId}-a`, `run ${runId} ok`, `run ${runId} deleted`]);
      assert.equal(recorder.nodes[0]?.runId, runId);
      assert.equal(recorder.nodes[0]?.name, 'a');
      assert.equal('input' in (recorder.nodes[0] ?? {}), false, 'payloads stay out of live events');
    });

    it('resumes with Last-Event-ID when the sidecar restarts on the same URL: paused, resumed, reset, live again', async () => {
      const port = await freePort();
      const env = { RUNTRAIL_DATA_DIR: dataDir, RUNTRAIL_PORT: String(port) };
      sidecar = await startTestSidecar(env);
      hub = newHub();
      const recorder = new Recorder(hub);
      hub.connect(sidecar.url, sidecar.token);
      await recorder.until('reset');
      const before = uniqueId('before');
      await sidecar.send('POST', '/api/runs', { id: before, workflow: 'w' });
      await recorder.until(`run ${before} running`);

      await sidecar.close();
      sidecar = undefined;
      await recorder.until('paused');
      sidecar = await startTestSidecar(env);
      // The restarted sidecar's relay cannot replay from the old id: it says reset (views reload).
      await recorder.until('reset', 2);
      const after = uniqueId('after');
      await sidecar.send('POST', '/api/runs', { id: after, workflow: 'w' });
      await recorder.until(`run ${after} running`);
      const outage = recorder.seen.slice(2);
      assert.equal(outage[0], 'paused');
      assert.deepEqual(outage.slice(-3), ['resumed', 'reset', `run ${after} running`]);
      assert.equal(
        outage.filter((what) => what === 'paused').length,
        outage.filter((what) => what === 'resumed').length,
        'every pause ends',
      );
      assert.ok(logs.some((line) => /live events: .*; reconnecting in/.test(line)));
    });

    it('connects afresh to a new sidecar (new URL) with a reset, and stays quiet after disconnect', async () => {
      const first = await startTestSidecar();
      hub = newHub();
      const recorder = new Recorder(hub);
      hub.connect(first.url, first.token);
      await recorder.until('reset');
      await first.close();

      sidecar = await startTestSidecar({ RUNTRAIL_DATA_DIR: dataDir });
      recorder.seen.length = 0;
      hub.connect(sidecar.url, sidecar.token);
      await recorder.until('reset');
      assert.equal(hub.connectedTo, sidecar.url);

      hub.disconnect();
      assert.equal(hub.connectedTo, undefined);
      const quiet = uniqueId('quiet');
      await sidecar.send('POST', '/api/runs', { id: quiet, workflow: 'w' });
      // A fresh stream on the same sidecar proves the event was published; the hub must not have seen it.
      const probe = newHub();
      const probed = new Recorder(probe);
      probe.connect(sidecar.url, sidecar.token);
      await probed.until('reset');
      const marker = uniqueId('marker');
      await sidecar.send('POST', '/api/runs', { id: marker, workflow: 'w' });
      await probed.until(`run ${marker} running`);
      probe.dispose();
      assert.equal(
        recorder.seen.some((what) => what.includes(quiet) || what.includes(marker)),
        false,
      );
    });

    it('stops for good when the sidecar refuses the token, saying so', async () => {
      sidecar = await startTestSidecar({ RUNTRAIL_DATA_DIR: dataDir });
      const statuses: EventStreamStatus[] = [];
      let failed: () => void = () => {};
      const done = new Promise<void>((resolve) => {
        failed = resolve;
      });
      const stream = new EventStream({
        url: sidecar.url,
        token: 'wrong-token-000000',
        onEvent: () => assert.fail('no events without the token'),
        onStatus: (status) => {
          statuses.push(status);
          if (status.kind === 'failed') failed();
        },
      });
      stream.start();
      await done;
      stream.close();
      assert.equal(statuses.length, 1);
      assert.match(statuses[0]?.kind === 'failed' ? statuses[0].reason : '', /refused the event stream \(401\)/);
    });
  });
});
