import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Router from '@koa/router';
import type { Context } from 'koa';
import { DomainError } from '../errors';

/** The files of the graph UI build (scripts/build.mjs `webview`) that /ui serves, and their types. */
const assets: Readonly<Record<string, string>> = {
  'webview.js': 'text/javascript; charset=utf-8',
  'webview.css': 'text/css; charset=utf-8',
  'webview.js.map': 'application/json; charset=utf-8',
  'webview.css.map': 'application/json; charset=utf-8',
};

export interface UiRouteOptions {
  /** Where webview.js is; by default the folder of the running bundle (dist/), see uiAssetsDir. */
  readonly assetsDir?: string;
}

/**
 * The run graph in a browser (DESIGN.md "Webview"): GET /ui (and /ui/) is a page loading the same
 * bundle the VS Code panel loads, from the dist/ folder beside the sidecar bundle. The page holds
 * no data and no secret, so it is public like /api/health; the UI takes the token from the URL
 * fragment (`#token=…`, never sent to a server) and calls /api with it. Its CSP allows only the
 * nonce'd bundle, same-origin styles and requests, and images from here or data: URLs.
 * Anything else under /ui is 404; a sidecar running without the UI build answers 503 saying so.
 */
export function uiRoutes(options: UiRouteOptions = {}): Router {
  const router = new Router();
  const dir = () => options.assetsDir ?? uiAssetsDir();

  const page = (ctx: Context) => {
    requireBuild(dir());
    const nonce = randomBytes(18).toString('base64url');
    const hasCss = fs.existsSync(path.join(dir(), 'webview.css'));
    ctx.set('Content-Security-Policy', uiContentSecurityPolicy(nonce));
    ctx.set('Cache-Control', 'no-store');
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = uiPageHtml(nonce, hasCss);
  };
  router.get('/ui', page);
  router.get('/ui/', page);
  router.get('/ui/index.html', page);

  router.get('/ui/:file', async (ctx) => {
    const file = ctx.params.file ?? '';
    const type = Object.hasOwn(assets, file) ? assets[file] : undefined;
    if (type === undefined)
      throw new DomainError('not_found', `No such file under /ui: ${JSON.stringify(file)}. The graph page is /ui/?run=<runId>.`);
    const folder = requireBuild(dir());
    const absolute = path.join(folder, file);
    let stat: fs.Stats;
    try {
      stat = await fs.promises.stat(absolute);
    } catch {
      throw new DomainError('not_found', `${file} is not part of this build of the graph UI.`);
    }
    ctx.set('Cache-Control', 'no-cache');
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.type = type;
    ctx.length = stat.size;
    ctx.body = fs.createReadStream(absolute);
  });

  // Deeper paths (/ui/a/b) match nothing here: the error handler answers them 404.
  return router;
}

export function uiContentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'self' 'nonce-${nonce}'`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function uiPageHtml(nonce: string, hasCss: boolean): string {
  const css = hasCss ? `\n<link rel="stylesheet" href="/ui/webview.css" nonce="${nonce}">` : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<meta name="color-scheme" content="light dark">
<title>Runtrail</title>${css}
</head>
<body>
<div id="app"></div>
<noscript>The Runtrail run graph needs JavaScript.</noscript>
<script nonce="${nonce}" src="/ui/webview.js"></script>
</body>
</html>`;
}

function requireBuild(dir: string): string {
  if (!fs.existsSync(path.join(dir, 'webview.js'))) {
    throw new DomainError(
      'unavailable',
      `The graph UI is not built: webview.js is missing in ${dir}. Run "npm run build" (or "node scripts/build.mjs --only webview") and reload.`,
    );
  }
  return dir;
}

/**
 * The folder that holds webview.js: the folder of the running bundle (dist/sidecar.js and
 * dist/cli.js are esbuild bundles, so `__dirname` is dist/), or, when the sidecar runs from its
 * sources (tsx: this file is sidecar/http/), the repository's dist/. Files are looked up on every
 * request, so a build made after the sidecar started is picked up.
 */
export function uiAssetsDir(): string {
  const fromSources = path.basename(__dirname) === 'http';
  return fromSources ? path.resolve(__dirname, '..', '..', 'dist') : __dirname;
}
