import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { ServiceHealth, SidecarHealth } from '../../../protocol/health';
import { freePort } from '../../fixtures/services/freePort';
import { controllableNeo4j, controllableRedis } from '../../fixtures/services/testServices';
import { eventually, readJson } from '../../fixtures/sidecarApp';
import { spawnSidecarProcess, startSidecarProcess } from '../../fixtures/sidecarProcess';

async function getHealth(url: string, path: '/api/health/neo4j' | '/api/health/redis') {
  const res = await fetch(`${url}${path}`);
  return { status: res.status, body: await readJson(res, ServiceHealth) };
}

describe('the sidecar bundle as a process (node dist/sidecar.js)', function () {
  this.timeout(120_000);

  it('exits 2 and names every bad variable when the configuration is invalid', async () => {
    const { exited, output } = spawnSidecarProcess({ RUNTRAIL_PORT: 'x', NEO4J_URI: 'http://localhost:7474', REDIS_URL: 'localhost' });
    assert.equal(await exited, 2);
    const text = output();
    assert.match(text, /Invalid configuration:/);
    assert.match(text, /RUNTRAIL_PORT="x"/);
    assert.match(text, /NEO4J_URI="http:\/\/localhost:7474" is not a Neo4j URI/);
    assert.match(text, /REDIS_URL="localhost" is not a Redis URL/);
    assert.doesNotMatch(text, /listening/);
  });

  it('exits 1 with a clear message when its port is taken', async () => {
    const blocker = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const port = (blocker.address() as net.AddressInfo).port;
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runtrail-e2e-port-'));
    try {
      const { exited, output } = spawnSidecarProcess({ RUNTRAIL_PORT: String(port), RUNTRAIL_DATA_DIR: dataDir });
      assert.equal(await exited, 1);
      assert.match(output(), new RegExp(`Port ${port} on 127.0.0.1 is already in use: stop the other process or set RUNTRAIL_PORT`));
      assert.equal(fs.existsSync(path.join(dataDir, 'runtrail.db.pid')), false, 'the store was released on the way out');
    } finally {
      blocker.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('starts before Neo4j and Redis exist, reports them down, and becomes healthy by itself when they appear', async () => {
    const [neo4j, redis] = await Promise.all([controllableNeo4j(), controllableRedis()]);
    await Promise.all([neo4j.stop(), redis.stop()]);
    const sidecar = await startSidecarProcess({ NEO4J_URI: neo4j.uri, REDIS_URL: redis.url });
    try {
      const neo4jDown = await getHealth(sidecar.url, '/api/health/neo4j');
      assert.equal(neo4jDown.status, 500);
      assert.equal(neo4jDown.body.error?.code, 'ServiceUnavailable');
      const redisDown = await getHealth(sidecar.url, '/api/health/redis');
      assert.equal(redisDown.status, 500);
      const overall = await fetch(`${sidecar.url}/api/health`);
      assert.equal(overall.status, 503);

      await Promise.all([neo4j.start(), redis.start()]);
      await eventually(
        () => getHealth(sidecar.url, '/api/health/neo4j'),
        (r) => r.status === 200,
        30_000,
        'Neo4j healthy',
      );
      await eventually(
        () => getHealth(sidecar.url, '/api/health/redis'),
        (r) => r.status === 200,
        15_000,
        'Redis healthy',
      );
      // Overall health also waits for the store's schema, set up just after Neo4j answers.
      await eventually(
        async () => readJson(await fetch(`${sidecar.url}/api/health`), SidecarHealth),
        (health) => health.status === 'ok',
        30_000,
        'overall healthy',
      );
      assert.equal(sidecar.child.exitCode, null, 'the sidecar kept running throughout');
      assert.match(sidecar.output(), /"msg":"waiting for Neo4j"/);
      assert.match(sidecar.output(), /"msg":"connected to Neo4j"/);
    } finally {
      await Promise.all([neo4j.start(), redis.start()]);
      await sidecar.stop();
    }
  });

  it('finishes in-flight requests on SIGTERM, then exits 0', async () => {
    // A "Neo4j" that accepts connections and never answers: a health check on it is slow
    // (bounded by the driver's connection timeout), which makes it an in-flight request.
    const silent = net.createServer(() => {}).listen(await freePort(), '127.0.0.1');
    await new Promise((r) => silent.once('listening', r));
    const port = (silent.address() as net.AddressInfo).port;
    const sidecar = await startSidecarProcess({ NEO4J_URI: `bolt://127.0.0.1:${port}` });
    try {
      const started = Date.now();
      const inFlight = fetch(`${sidecar.url}/api/health/neo4j`);
      await new Promise((r) => setTimeout(r, 500));
      sidecar.child.kill('SIGTERM');
      const res = await inFlight;
      assert.equal(res.status, 500, 'the request got its answer although shutdown had begun');
      const body = await readJson(res, ServiceHealth);
      assert.equal(body.status, 'unavailable');
      assert.ok(Date.now() - started >= 500);
      assert.equal(await sidecar.exited, 0);
      const out = sidecar.output();
      assert.ok(out.indexOf('"msg":"shutting down"') < out.indexOf('"msg":"stopped"'), out);
    } finally {
      silent.close();
      await sidecar.stop();
    }
  });
});
