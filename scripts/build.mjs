// Bundles the three targets with esbuild:
//   dist/extension.js  VS Code extension host (cjs, `vscode` external)
//   dist/sidecar.js    the sidecar, one file for plain `node` and VS Code's runtime (cjs)
//   dist/webview.js    the graph UI for the webview and /ui (browser, iife)
//   dist/cli.js        the `runtrail` command (cjs, shebang; `serve` runs the sidecar in-process)
// Usage: node scripts/build.mjs [--only extension|sidecar|webview|cli] [--watch] [--minify]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const watch = args.includes('--watch');
const minify = args.includes('--minify');

const common = {
  bundle: true,
  sourcemap: 'linked',
  minify,
  logLevel: 'warning',
  absWorkingDir: root,
  legalComments: 'linked',
};

const targets = {
  extension: {
    ...common,
    entryPoints: ['extension/extension.ts'],
    outfile: 'dist/extension.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
  },
  sidecar: {
    ...common,
    entryPoints: ['sidecar/main.ts'],
    outfile: 'dist/sidecar.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    plugins: [copySqliteWasm()],
  },
  cli: {
    ...common,
    entryPoints: ['sidecar/cli/main.ts'],
    outfile: 'dist/cli.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
    // `runtrail serve` opens the embedded store too: the same .wasm beside the bundle.
    plugins: [copySqliteWasm()],
  },
  webview: {
    ...common,
    entryPoints: ['webview/main.ts'],
    outfile: 'dist/webview.js',
    platform: 'browser',
    format: 'iife',
    target: ['chrome120', 'firefox120', 'safari17'],
  },
};

// node-sqlite3-wasm loads its .wasm from __dirname at require time: put it beside the bundle.
function copySqliteWasm() {
  return {
    name: 'copy-sqlite-wasm',
    setup(build) {
      build.onEnd(() => {
        const from = path.join(root, 'node_modules/node-sqlite3-wasm/dist/node-sqlite3-wasm.wasm');
        fs.mkdirSync(path.join(root, 'dist'), { recursive: true });
        fs.copyFileSync(from, path.join(root, 'dist/node-sqlite3-wasm.wasm'));
      });
    },
  };
}

const selected = only ? { [only]: targets[only] } : targets;
if (only && !targets[only]) {
  console.error(`unknown target ${JSON.stringify(only)}: use one of ${Object.keys(targets).join(', ')}`);
  process.exit(2);
}

if (watch) {
  for (const [name, options] of Object.entries(selected)) {
    const context = await esbuild.context(options);
    await context.watch();
    console.log(`watching ${name}`);
  }
} else {
  const started = Date.now();
  await Promise.all(Object.values(selected).map((options) => esbuild.build(options)));
  console.log(`built ${Object.keys(selected).join(', ')} in ${Date.now() - started} ms`);
}
