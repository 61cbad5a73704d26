import * as assert from 'node:assert/strict';
import { describeStatus } from '../../../../extension/sidecar/statusText';

describe('sidecar status bar text', () => {
  it('names the store while running, with URL, store, relay and origin in the tooltip', () => {
    const embedded = describeStatus(
      { kind: 'running', mode: 'auto', url: 'http://127.0.0.1:41234', store: 'sqlite', relay: 'memory' },
      { url: 'http://127.0.0.1:41234', token: 't', store: 'sqlite', relay: 'memory', origin: 'spawned', pid: 42, dataDir: '/data' },
    );
    assert.equal(embedded.text, '$(pulse) Runtrail: embedded');
    assert.deepEqual(embedded.tooltip.slice(1, 5), [
      'URL: http://127.0.0.1:41234',
      'Store: embedded SQLite in `/data`',
      'Relay: in-process',
      'Sidecar: run by this window (pid 42)',
    ]);
    const neo4j = describeStatus({ kind: 'running', mode: 'external', url: 'http://team:7317', store: 'neo4j', relay: 'redis' }, undefined);
    assert.equal(neo4j.text, '$(pulse) Runtrail: Neo4j');
    assert.ok(neo4j.tooltip.includes('Relay: Redis Streams'));
  });

  it('spins while starting, warns when failed (with the reason), and says stopped', () => {
    assert.equal(describeStatus({ kind: 'starting', mode: 'auto' }, undefined).text, '$(loading~spin) Runtrail: starting');
    const failed = describeStatus({ kind: 'failed', mode: 'auto', reason: 'runtrail.neo4j.uri is *wrong*' }, undefined);
    assert.equal(failed.text, '$(warning) Runtrail: failed');
    assert.equal(failed.severity, 'error');
    assert.ok(failed.tooltip.includes('runtrail.neo4j.uri is \\*wrong\\*'), 'Markdown in the reason is escaped');
    assert.equal(describeStatus({ kind: 'failed', mode: 'external', reason: 'away' }, undefined).severity, 'warning');
    assert.equal(describeStatus({ kind: 'stopped' }, undefined).text, '$(circle-slash) Runtrail: stopped');
  });
});
