import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import Koa from 'koa';
import { errorHandler } from '../../../sidecar/http/errorHandler';
import { uiRoutes } from '../../../sidecar/http/uiRoutes';
import { createLogger } from '../../../sidecar/log';
import { startTestSidecar, type TestSidecar } from '../../fixtures/sidecarApp';
import { type SidecarProcess, startSidecarProcess } from '../../fixtures/sidecarProcess';

const repoRoot = path.resolve(__dirname, '../../..');

/** The script tag's nonce and the CSP header's, which must be the same fresh value. */
function nonces(html: string, csp: string): { script: string; header: string } {
  const script =
    /<script nonce="([^"]+)" src="\/ui\/webview\.js"><\/script>/.exec(html)?.[1] ?? assert.fail(`no nonce'd bundle script in\n${html}`);
  const header = /script-src 'nonce-([^']+)'/.exec(csp)?.[1] ?? assert.fail(`no script nonce in CSP ${csp}`);
  return { script, header };
}

async function expectPage(base: string): Promise<{ html: string; csp: string }> {
  const res = await fetch(`${base}/ui/?run=run_1`);
  const html = await res.text();
  assert.equal(res.status, 200, html);
  assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
  const csp = res.headers.get('content-security-policy') ?? assert.fail('no CSP header');
  return { html, csp };
}

describe('sidecar /ui (the graph page for browsers)', function () {
  this.timeout(60_000);

  describe('in process', () => {
    let sidecar: TestSidecar;
    before(async () => {
      assert.ok(fs.existsSync(path.join(repoRoot, 'dist/webview.js')), 'dist/webview.js is missing: run `npm run build` first');
      sidecar = await startTestSidecar();
    });
    after(() => sidecar.close());

    it('GET /ui/ serves the page without a token, with a nonce CSP and the nonce on the bundle only', async () => {
      const { html, csp } = await expectPage(sidecar.url);
      assert.match(
        csp,
        /^default-src 'none'; script-src 'nonce-([^']+)'; style-src 'self' 'nonce-\1'; connect-src 'self'; img-src 'self' data:(; |$)/,
      );
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
      const { script, header } = nonces(html, csp);
      assert.equal(script, header);
      assert.ok(script.length >= 16, 'a nonce long enough not to be guessed');
      assert.equal(html.match(/<script/g)?.length, 1, 'no inline script');
      assert.match(html, /<div id="app"><\/div>/);
      const again = await expectPage(sidecar.url);
      assert.notEqual(nonces(again.html, again.csp).header, header, 'a fresh nonce per page');
    });

    it('GET /ui (no slash) serves the same page; the query is the UI’s', async () => {
      const res = await fetch(`${sidecar.url}/ui?run=abc`);
      assert.equal(res.status, 200);
      assert.match(await res.text(), /src="\/ui\/webview\.js"/);
    });

    it('serves the built bundle from dist/ as JavaScript, without a token', async () => {
      const res = await fetch(`${sidecar.url}/ui/webview.js`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/javascript/);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(Buffer.from(await res.arrayBuffer()).equals(fs.readFileSync(path.join(repoRoot, 'dist/webview.js'))), true);
    });

    it('answers 404 for anything else under /ui, including paths that try to leave dist/', async () => {
      for (const route of [
        '/ui/sidecar.js',
        '/ui/nope.html',
        '/ui/..%2Fpackage.json',
        '/ui/a/webview.js',
        '/ui/%2e%2e/%2e%2e/package.json',
      ]) {
        const res = await fetch(`${sidecar.url}${route}`);
        assert.equal(res.status, 404, route);
        const body = (await res.json()) as { error: { code: string; message: string } };
        assert.equal(body.error.code, 'not_found', route);
      }
    });

    it('leaves the API behind its token', async () => {
      const res = await sidecar.request('/api/runs', { auth: false });
      assert.equal(res.status, 401);
    });
  });

  it('answers 503 saying how to build when the UI bundle is missing', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'runtrail-no-ui-'));
    const app = new Koa();
    app.silent = true;
    // What requestContext() gives every request in the sidecar: the error handler logs 5xx with it.
    app.use(async (ctx, next) => {
      Object.assign(ctx.state, { requestId: 'ui-test', log: createLogger('silent', process.stderr) });
      await next();
    });
    app.use(errorHandler());
    const router = uiRoutes({ assetsDir: empty });
    app.use(router.routes());
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      for (const route of ['/ui/', '/ui/webview.js']) {
        const res = await fetch(`${base}${route}`);
        assert.equal(res.status, 503, route);
        const body = (await res.json()) as { error: { code: string; message: string } };
        assert.equal(body.error.code, 'unavailable');
        assert.match(body.error.message, /graph UI is not built.*npm run build/);
      }
    } finally {
      server.close();
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });

  describe('the built sidecar bundle', () => {
    let sidecar: SidecarProcess;
    before(async () => {
      assert.ok(fs.existsSync(path.join(repoRoot, 'dist/sidecar.js')), 'dist/sidecar.js is missing: run `npm run build` first');
      sidecar = await startSidecarProcess();
    });
    after(() => sidecar?.stop());

    it('serves the page and the bundle from the folder it runs from (dist/)', async () => {
      const { html, csp } = await expectPage(sidecar.url);
      const { script, header } = nonces(html, csp);
      assert.equal(script, header);
      const res = await fetch(`${sidecar.url}/ui/webview.js`);
      assert.equal(res.status, 200);
      assert.equal(Number(res.headers.get('content-length')), fs.statSync(path.join(repoRoot, 'dist/webview.js')).size);
    });
  });
});
