// `npm test`: type-check, lint, build, then every test tier, starting the services the tiers need
// (test/fixtures/services). Runs everything even after a failure, then prints as its very last
// line "N passed, N failed" summed over all of it (type-check, lint and build count as one check
// each) and exits non-zero if anything failed.
//
//   npm test                       everything
//   npm test -- --tier unit        one tier (unit | integration | e2e | python), no checks
//   npm test -- --grep health      passed on to mocha and the python runner
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

const root = path.resolve(__dirname, '..');
const argv = process.argv.slice(2);
const tierArg = argv.includes('--tier') ? argv[argv.indexOf('--tier') + 1] : undefined;
const grepArg = argv.includes('--grep') ? argv[argv.indexOf('--grep') + 1] : undefined;
const tiers = ['unit', 'integration', 'e2e', 'python'] as const;
type Tier = (typeof tiers)[number];

if (tierArg !== undefined && !(tiers as readonly string[]).includes(tierArg)) {
  console.error(`unknown tier ${JSON.stringify(tierArg)}: use one of ${tiers.join(', ')}`);
  process.exit(2);
}

const total: Counts = { passed: 0, failed: 0, skipped: 0 };
const failures: string[] = [];

function add(name: string, counts: Counts): void {
  total.passed += counts.passed;
  total.failed += counts.failed;
  total.skipped += counts.skipped;
  if (counts.failed > 0) failures.push(`${name}: ${counts.failed} failed`);
}

/** A whole command counted as one check. */
function check(name: string, command: string, args: string[]): void {
  banner(name);
  const started = Date.now();
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  const ok = result.status === 0;
  console.log(`${ok ? 'ok' : 'FAILED'}: ${name} (${Date.now() - started} ms)`);
  add(name, { passed: ok ? 1 : 0, failed: ok ? 0 : 1, skipped: 0 });
}

function mocha(tier: Tier | 'integration+e2e', specs: string[], options: { hooks?: string; timeout: number }): void {
  banner(`mocha ${tier}`);
  const statsFile = path.join(os.tmpdir(), `runtrail-test-stats-${process.pid}-${tier}.json`);
  fs.rmSync(statsFile, { force: true });
  const args = [
    path.join(root, 'node_modules/mocha/bin/mocha.js'),
    '--require',
    'tsx/cjs',
    ...(options.hooks ? ['--require', options.hooks] : []),
    '--reporter',
    path.join(root, 'test/support/countingReporter.cjs'),
    '--timeout',
    String(options.timeout),
    '--slow',
    '2000',
    '--exit',
    ...(grepArg ? ['--grep', grepArg] : []),
    ...specs,
  ];
  const result = spawnSync(process.execPath, args, {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, RUNTRAIL_TEST_STATS: statsFile },
  });
  add(`mocha ${tier}`, readStats(statsFile, result.status));
}

/**
 * The counts a suite wrote to its stats file (`{passes, failures, pending}`). A suite that exits
 * non-zero without a failure (a crash after the run, a failing root hook) counts one; one that
 * died before writing its stats (syntax error, interpreter missing) counts as one failure.
 */
function readStats(statsFile: string, exitStatus: number | null): Counts {
  let counts: Counts;
  try {
    const stats = JSON.parse(fs.readFileSync(statsFile, 'utf8')) as { passes: number; failures: number; pending: number };
    counts = { passed: stats.passes, failed: stats.failures, skipped: stats.pending };
    if (exitStatus !== 0 && counts.failed === 0) counts.failed = 1;
  } catch {
    counts = { passed: 0, failed: 1, skipped: 0 };
  }
  fs.rmSync(statsFile, { force: true });
  return counts;
}

/** The Python SDK's unittest suite; it starts dist/sidecar.js itself, so the build must come first. */
function python(): void {
  banner('python sdk');
  const statsFile = path.join(os.tmpdir(), `runtrail-test-stats-${process.pid}-python.json`);
  fs.rmSync(statsFile, { force: true });
  const args = [path.join(root, 'sdk/python/tests/run_tests.py'), '--stats', statsFile, ...(grepArg ? ['--grep', grepArg] : [])];
  const result = spawnSync('python3', args, { cwd: root, stdio: 'inherit' });
  if (result.error) console.error(`python3 could not run: ${result.error.message}`);
  add('python sdk', readStats(statsFile, result.status));
}

function banner(title: string): void {
  console.log(`\n=== ${title} ${'='.repeat(Math.max(0, 70 - title.length))}`);
}

const hooks = path.join(root, 'test/support/serviceHooks.ts');
const specsOf = (tier: Tier) => [`test/${tier}/**/*.test.ts`];

if (tierArg === undefined) {
  check('type-check (tsc -b)', process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-b']);
  check('lint (biome check)', process.execPath, [path.join(root, 'node_modules/@biomejs/biome/bin/biome'), 'check', '.']);
  check('build (esbuild)', process.execPath, [path.join(root, 'scripts/build.mjs')]);
  mocha('unit', specsOf('unit'), { timeout: 10_000 });
  // One process for both service tiers, so Neo4j and Redis start once.
  mocha('integration+e2e', [...specsOf('integration'), ...specsOf('e2e')], { hooks, timeout: 60_000 });
  python();
} else if (tierArg === 'unit') {
  mocha('unit', specsOf('unit'), { timeout: 10_000 });
} else if (tierArg === 'python') {
  check('build (esbuild)', process.execPath, [path.join(root, 'scripts/build.mjs')]);
  python();
} else {
  if (tierArg === 'e2e') check('build (esbuild)', process.execPath, [path.join(root, 'scripts/build.mjs')]);
  mocha(tierArg as Tier, specsOf(tierArg as Tier), { hooks, timeout: 60_000 });
}

banner('summary');
for (const failure of failures) console.log(`FAILED ${failure}`);
const skipped = total.skipped > 0 ? `, ${total.skipped} skipped` : '';
console.log(`${total.passed} passed, ${total.failed} failed${skipped}`);
process.exit(total.failed > 0 ? 1 : 0);
