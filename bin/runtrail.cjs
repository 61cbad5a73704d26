#!/usr/bin/env node
// The `runtrail` command as npm links it: the CLI is the bundle dist/cli.js (scripts/build.mjs).
'use strict';
const path = require('node:path');

const bundle = path.join(__dirname, '..', 'dist', 'cli.js');
try {
  require.resolve(bundle);
} catch {
  process.stderr.write(`runtrail: ${bundle} is missing: run \`npm run build\` in ${path.dirname(__dirname)} first\n`);
  process.exit(1);
}
require(bundle);
