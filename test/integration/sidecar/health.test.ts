import * as assert from 'node:assert/strict';
import { ServiceHealth, SidecarHealth } from '../../../protocol/health';
import { controllableNeo4j, controllableRedis, neo4jService, redisUrl } from '../../fixtures/services/testServices';
import { eventually, readJson, startTestSidecar, type TestSidecar } from '../../fixtures/sidecarApp';

async function health(sidecar: TestSidecar, path: '/api/health/neo4j' | '/api/health/redis') {
  const res = await sidecar.request(path, { auth: false });
  return { status: res.status, body: await readJson(res, ServiceHealth) };
}

async function overallHealth(sidecar: TestSidecar) {
  const res = await sidecar.request('/api/health', { auth: false });
  return { status: res.status, body: await readJson(res, SidecarHealth) };
}

describe('health endpoints against real Neo4j and Redis', function () {
  this.timeout(120_000);

  describe('with both services up', () => {
    let sidecar: TestSidecar;
    before(async () => {
      const neo4j = await neo4jService();
      sidecar = await startTestSidecar({
        NEO4J_URI: neo4j.uri,
        NEO4J_USER: neo4j.user,
        NEO4J_PASSWORD: neo4j.password,
        REDIS_URL: await redisUrl(),
      });
    });
    after(async () => {
      await sidecar.close();
    });

    it('GET /api/health/neo4j answers 200 "Connected to Neo4j" with the server version and latency', async () => {
      const { status, body } = await eventually(
        () => health(sidecar, '/api/health/neo4j'),
        (r) => r.status === 200,
        30_000,
        'Neo4j healthy',
      );
      assert.equal(status, 200);
      assert.equal(body.message, 'Connected to Neo4j');
      assert.match(body.version ?? '', /^5\.\d+\.\d+ community$/);
      assert.ok(typeof body.latencyMs === 'number' && body.latencyMs >= 0);
      assert.match(body.target ?? '', /^bolt:\/\//);
    });

    it('GET /api/health/redis answers 200 "Connected to Redis" with the server version and latency', async () => {
      const { status, body } = await eventually(
        () => health(sidecar, '/api/health/redis'),
        (r) => r.status === 200,
        10_000,
        'Redis healthy',
      );
      assert.equal(status, 200);
      assert.equal(body.message, 'Connected to Redis');
      assert.match(body.version ?? '', /^\d+\.\d+\.\d+$/);
      assert.equal(typeof body.latencyMs, 'number');
    });

    it('GET /api/health reports Neo4j as the store and Redis as the relay', async () => {
      // Not before the store's schema is in place (Neo4j answers a moment earlier).
      const { status, body } = await eventually(
        () => overallHealth(sidecar),
        (r) => r.status === 200,
        30_000,
        'overall healthy',
      );
      assert.equal(status, 200);
      assert.equal(body.status, 'ok');
      assert.equal(body.store.service, 'neo4j');
      assert.equal(body.relay.service, 'redis');
    });

    it('records Neo4j query latency in /metrics', async () => {
      const text = await (await sidecar.request('/metrics')).text();
      assert.match(text, /runtrail_neo4j_query_duration_seconds_count\{operation="health",outcome="ok"\} [1-9]/);
    });
  });

  describe('when Neo4j stops and starts again', () => {
    it('answers 500 with the error while it is down and 200 once it is back, without a sidecar restart', async () => {
      const server = await controllableNeo4j();
      const sidecar = await startTestSidecar({ NEO4J_URI: server.uri });
      try {
        await eventually(
          () => health(sidecar, '/api/health/neo4j'),
          (r) => r.status === 200,
          30_000,
          'Neo4j healthy before the stop',
        );

        await server.stop();
        const down = await health(sidecar, '/api/health/neo4j');
        assert.equal(down.status, 500);
        assert.equal(down.body.status, 'unavailable');
        assert.equal(down.body.error?.code, 'ServiceUnavailable');
        assert.ok((down.body.error?.message ?? '').length > 0);
        assert.match(down.body.message, new RegExp(`^Cannot reach Neo4j at bolt://127.0.0.1:${server.port}`));
        assert.ok(!Number.isNaN(Date.parse(down.body.error?.since ?? '')));

        const overall = await overallHealth(sidecar);
        assert.equal(overall.status, 503);
        assert.equal(overall.body.status, 'unavailable');

        const metrics = await (await sidecar.request('/metrics')).text();
        assert.match(metrics, /runtrail_neo4j_connection_errors_total\{code="ServiceUnavailable"\} [1-9]/);

        await server.start();
        const up = await eventually(
          () => health(sidecar, '/api/health/neo4j'),
          (r) => r.status === 200,
          30_000,
          'Neo4j healthy after restart',
        );
        assert.equal(up.body.message, 'Connected to Neo4j');
        await eventually(
          () => overallHealth(sidecar),
          (r) => r.body.status === 'ok',
          30_000,
          'overall healthy once the schema is in place',
        );
      } finally {
        await server.start();
        await sidecar.close();
      }
    });
  });

  describe('when Redis stops and starts again', () => {
    it('answers 500 with the error while it is down and 200 once it is back; the sidecar only degrades', async () => {
      const server = await controllableRedis();
      const sidecar = await startTestSidecar({ REDIS_URL: server.url });
      try {
        await eventually(
          () => health(sidecar, '/api/health/redis'),
          (r) => r.status === 200,
          10_000,
          'Redis healthy before the stop',
        );

        await server.stop();
        const down = await eventually(
          () => health(sidecar, '/api/health/redis'),
          (r) => r.status === 500,
          10_000,
          'Redis reported down',
        );
        assert.equal(down.body.status, 'unavailable');
        assert.ok(['connection_lost', 'ECONNREFUSED', 'ECONNRESET'].includes(down.body.error?.code ?? ''), down.body.error?.code);
        assert.match(down.body.message, new RegExp(`^Cannot reach Redis at redis://127.0.0.1:${server.port}`));

        const overall = await overallHealth(sidecar);
        assert.equal(overall.status, 200, 'the store still works, so the sidecar is degraded, not down');
        assert.equal(overall.body.status, 'degraded');

        await server.start();
        const up = await eventually(
          () => health(sidecar, '/api/health/redis'),
          (r) => r.status === 200,
          15_000,
          'Redis healthy after restart',
        );
        assert.equal(up.body.message, 'Connected to Redis');

        const metrics = await (await sidecar.request('/metrics')).text();
        assert.match(metrics, /runtrail_redis_errors_total\{code="connection_lost"\} [1-9]/);
      } finally {
        await server.start();
        await sidecar.close();
      }
    });
  });
});
