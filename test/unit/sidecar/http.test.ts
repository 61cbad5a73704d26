import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import { ErrorBody } from '../../../protocol/errors';
import { ServiceHealth, SidecarHealth } from '../../../protocol/health';
import { DomainError } from '../../../sidecar/errors';
import { toErrorResponse } from '../../../sidecar/http/errorHandler';
import { readJson, startTestSidecar, type TestSidecar } from '../../fixtures/sidecarApp';

/** A raw request, for headers fetch() will not let us forge (Host). */
function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        let body = '';
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('sidecar HTTP basics (embedded store, in-process relay)', () => {
  let sidecar: TestSidecar;
  before(async () => {
    sidecar = await startTestSidecar();
  });
  after(async () => {
    await sidecar.close();
  });

  it('GET /api/health reports the embedded store and the in-process relay', async () => {
    const res = await sidecar.request('/api/health', { auth: false });
    assert.equal(res.status, 200);
    const body = await readJson(res, SidecarHealth);
    assert.equal(body.status, 'ok');
    assert.equal(body.version, 'test');
    assert.equal(typeof body.uptimeSeconds, 'number');
    assert.equal(body.store.service, 'sqlite');
    assert.equal(body.store.status, 'ok');
    assert.match(body.store.version ?? '', /^3\.\d+\.\d+$/);
    assert.equal(body.relay.service, 'memory');
  });

  it('says Neo4j and Redis are not configured rather than pretending they are down', async () => {
    for (const service of ['neo4j', 'redis']) {
      const res = await sidecar.request(`/api/health/${service}`, { auth: false });
      assert.equal(res.status, 503);
      const body = await readJson(res, ServiceHealth);
      assert.equal(body.status, 'not_configured');
      assert.match(body.message, service === 'neo4j' ? /set NEO4J_URI/ : /set REDIS_URL/);
    }
  });

  it('requires the bearer token on /api routes other than health', async () => {
    const missing = await sidecar.request('/api/runs', { auth: false });
    assert.equal(missing.status, 401);
    assert.equal(missing.headers.get('www-authenticate'), 'Bearer realm="runtrail"');
    assert.equal((await readJson(missing, ErrorBody)).error.code, 'unauthorized');

    const wrong = await sidecar.request('/api/runs', { headers: { authorization: 'Bearer not-the-token' } });
    assert.equal(wrong.status, 401);
    assert.match((await readJson(wrong, ErrorBody)).error.message, /Invalid token/);

    const malformed = await sidecar.request('/api/runs', { headers: { authorization: 'Basic abc' } });
    assert.match((await readJson(malformed, ErrorBody)).error.message, /Malformed Authorization header/);

    const ok = await sidecar.request('/api/runs');
    assert.equal(ok.status, 200);
  });

  it('answers unknown routes with a JSON 404 and wrong methods with 405 and Allow', async () => {
    const notFound = await sidecar.request('/nope');
    assert.equal(notFound.status, 404);
    assert.deepEqual(await readJson(notFound, ErrorBody), { error: { code: 'not_found', message: 'No route for GET /nope' } });

    const wrongMethod = await sidecar.request('/api/health', { method: 'DELETE' });
    assert.equal(wrongMethod.status, 405);
    assert.match(wrongMethod.headers.get('allow') ?? '', /GET/);
    assert.equal((await readJson(wrongMethod, ErrorBody)).error.code, 'method_not_allowed');
  });

  it('refuses a Host header that is not a loopback name (DNS rebinding)', async () => {
    const res = await rawGet(`${sidecar.url}/api/health`, { host: 'attacker.example:80' });
    assert.equal(res.status, 403);
    assert.match(JSON.parse(res.body).error.message, /Host "attacker.example:80" is not allowed/);
    const local = await rawGet(`${sidecar.url}/api/health`, { host: 'localhost:1234' });
    assert.equal(local.status, 200);
  });

  it('echoes a sane X-Request-Id and makes one up otherwise', async () => {
    const given = await sidecar.request('/api/health', { headers: { 'x-request-id': 'req-12345678' } });
    assert.equal(given.headers.get('x-request-id'), 'req-12345678');
    const made = await sidecar.request('/api/health', { headers: { 'x-request-id': 'bad id\twith tab' } });
    assert.match(made.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  });

  it('serves Prometheus metrics that count requests by matched route', async () => {
    await sidecar.request('/api/health');
    const res = await sidecar.request('/metrics', { auth: false });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await res.text();
    assert.match(text, /runtrail_http_requests_total\{method="GET",route="\/api\/health",status="200"\} \d+/);
    assert.match(text, /runtrail_http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/api\/health"\}/);
    assert.match(text, /# TYPE runtrail_neo4j_query_duration_seconds histogram/);
    assert.match(text, /# TYPE runtrail_neo4j_connection_errors_total counter/);
    assert.match(text, /# TYPE runtrail_redis_errors_total counter/);
    assert.match(text, /runtrail_process_resident_memory_bytes/);
  });
});

describe('error responses', () => {
  it('keep a domain error message and map its code to a status', () => {
    const { status, body } = toErrorResponse(new DomainError('conflict', 'parentId is immutable', { nodeId: 'n1' }), 'r1');
    assert.equal(status, 409);
    assert.deepEqual(body, { error: { code: 'conflict', message: 'parentId is immutable', details: { nodeId: 'n1' } } });
  });

  it('hide the internals of unexpected errors behind the request id', () => {
    const { status, body } = toErrorResponse(new TypeError('cannot read x of undefined at /src/secret.ts:12'), 'req-42');
    assert.equal(status, 500);
    assert.equal(body.error.code, 'internal');
    assert.doesNotMatch(body.error.message, /secret|undefined/);
    assert.match(body.error.message, /req-42/);
  });

  it('keep 4xx HTTP errors a client caused, such as invalid JSON', () => {
    const error = Object.assign(new Error('invalid JSON'), { status: 400, expose: true });
    assert.deepEqual(toErrorResponse(error, 'r').body, { error: { code: 'invalid', message: 'invalid JSON' } });
  });
});
