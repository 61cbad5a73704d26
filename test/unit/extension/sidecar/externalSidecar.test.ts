import * as assert from 'node:assert/strict';
import { ExternalSidecar } from '../../../../extension/sidecar/externalSidecar';
import type { LinkState } from '../../../../extension/sidecar/sidecarLink';
import { freePort } from '../../../fixtures/services/freePort';
import { startTestSidecar, type TestSidecar } from '../../../fixtures/sidecarApp';

function nextState(link: ExternalSidecar, accept: (state: LinkState) => boolean, what: string, timeoutMs = 15_000): Promise<LinkState> {
  if (accept(link.state)) return Promise.resolve(link.state);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      subscription.dispose();
      reject(new Error(`${what}: not within ${timeoutMs} ms (state ${JSON.stringify(link.state)})`));
    }, timeoutMs);
    const subscription = link.onDidChangeState((state) => {
      if (!accept(state)) return;
      clearTimeout(timer);
      subscription.dispose();
      resolve(state);
    });
  });
}

describe('external sidecar link (configured URL and token)', function () {
  this.timeout(30_000);
  let sidecar: TestSidecar | undefined;
  const links: ExternalSidecar[] = [];
  const logs: string[] = [];
  const link = (url: string, token: string | undefined) => {
    const created = new ExternalSidecar({
      url,
      token,
      log: (level, message) => logs.push(`${level}: ${message}`),
      retryInitialMs: 50,
      retryMaxMs: 200,
      healthIntervalMs: 100,
      requestTimeoutMs: 2_000,
    });
    links.push(created);
    return created;
  };

  afterEach(async () => {
    for (const created of links.splice(0)) await created.stop();
    await sidecar?.close();
    sidecar = undefined;
    logs.length = 0;
  });

  it('runs once health and the token check pass, reporting store and relay', async () => {
    sidecar = await startTestSidecar();
    const external = link(sidecar.url, sidecar.token);
    await external.start();
    assert.deepEqual(external.state, {
      kind: 'running',
      endpoint: {
        url: sidecar.url,
        token: sidecar.token,
        store: 'sqlite',
        relay: 'memory',
        origin: 'external',
        pid: undefined,
        dataDir: undefined,
      },
    });
  });

  it('fails with what to do when the token is missing or wrong, and does not retry', async () => {
    sidecar = await startTestSidecar();
    const missing = link(sidecar.url, undefined);
    await missing.start();
    assert.equal(missing.state.kind, 'failed');
    assert.match(missing.state.kind === 'failed' ? missing.state.reason : '', /needs a token: run "Runtrail: Set Sidecar Token"/);
    const wrong = link(sidecar.url, 'wrong-token-000000');
    await wrong.start();
    const state = wrong.state;
    assert.equal(state.kind === 'failed' && state.cause, 'unauthorized');
    assert.match(state.kind === 'failed' ? state.reason : '', /rejected the token/);
  });

  it('is failed while the sidecar is unreachable, and running again once it answers', async () => {
    const port = await freePort();
    const external = link(`http://127.0.0.1:${port}`, 'some-token-0000000');
    await external.start();
    const down = external.state;
    assert.equal(down.kind === 'failed' && down.cause, 'unreachable');
    assert.match(
      down.kind === 'failed' ? down.reason : '',
      new RegExp(`Cannot reach the Runtrail sidecar at http://127.0.0.1:${port}: connection refused .* Is it running\\?`),
    );

    sidecar = await startTestSidecar({ RUNTRAIL_PORT: String(port), RUNTRAIL_TOKEN: 'some-token-0000000' });
    await nextState(external, (s) => s.kind === 'running', 'running after the sidecar appeared');

    // And the other way round: it notices the sidecar going away by its health checks.
    await sidecar.close();
    sidecar = undefined;
    const gone = await nextState(external, (s) => s.kind === 'failed', 'failed after the sidecar went away');
    assert.equal(gone.kind === 'failed' && gone.cause, 'unreachable');
  });
});
