/// <reference types="vscode" />
import * as assert from 'node:assert/strict';
import { eventually, hostFacts, runningSidecar, sidecarChildren, sidecarEndpoint, testApi, whenRunning } from './host';

describe('VS Code extension sidecar', () => {
  it('starts the bundled sidecar by itself and reports it running on the embedded store', async () => {
    const { sidecar } = await testApi();
    const state = await whenRunning(sidecar);
    assert.match(state.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(state.store, 'sqlite');
    const health = await fetch(`${state.url}/api/health`);
    assert.equal(health.status, 200, await health.text());
  });

  it('runs the sidecar as a child process of the extension host, on the URL the connection reports', async () => {
    const { sidecar } = await testApi();
    const state = await whenRunning(sidecar);
    const children = await eventually(() => (sidecarChildren().length > 0 ? sidecarChildren() : undefined), 'a sidecar child process');
    assert.equal(children.length, 1, `one sidecar expected, found ${children.map((c) => c.argv.join(' ')).join(' | ')}`);
    const [child] = children;
    if (!child) return;
    hostFacts.sidecarPid = child.pid;
    assert.equal(sidecarEndpoint(child.pid).url, state.url);
  });

  it('answers the API with the token it wrote (what the views use)', async () => {
    const endpoint = await runningSidecar();
    const response = await fetch(`${endpoint.url}/api/runs`, { headers: { authorization: `Bearer ${endpoint.token}` } });
    assert.equal(response.status, 200, await response.text());
  });
});
