import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { z } from 'zod';
import { NestedTree, Run } from '../../../protocol/runs';
import { runCli } from '../../fixtures/cli/cliProcess';
import { type SidecarProcess, startSidecarProcess } from '../../fixtures/sidecarProcess';

describe('CLI runs, show and token against a sidecar process', function () {
  this.timeout(60_000);
  let sidecar: SidecarProcess;
  /** Finds the sidecar the way a user's shell does: through the data dir's sidecar.json. */
  let env: Record<string, string>;

  before(async () => {
    sidecar = await startSidecarProcess();
    env = { RUNTRAIL_DATA_DIR: sidecar.dataDir };
    const send = async (method: string, pathname: string, body: unknown) => {
      const res = await fetch(`${sidecar.url}${pathname}`, {
        method,
        headers: { authorization: `Bearer ${sidecar.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.ok(res.ok, `${method} ${pathname}: ${res.status} ${await res.text()}`);
    };
    // The oldest run: a chain 1,000 levels deep (DESIGN.md "Depth").
    await send('POST', '/api/runs', { id: 'cli-deep-1', workflow: 'deep' });
    await send('POST', '/api/runs/cli-deep-1/nodes', {
      nodes: Array.from({ length: 1000 }, (_, i) => ({
        id: `cli-deep-${i}`,
        parentId: i === 0 ? null : `cli-deep-${i - 1}`,
        name: `level ${i}`,
        status: 'ok',
      })),
    });
    await send('PATCH', '/api/runs/cli-deep-1', { status: 'ok' });
    await send('POST', '/api/runs', { id: 'cli-triage-1', workflow: 'triage', git: { branch: 'main', commit: 'abcdef1234567' } });
    await send('POST', '/api/runs/cli-triage-1/nodes', {
      nodes: [
        { id: 'cli-plan', kind: 'step', name: 'plan', status: 'ok', seq: 0, startedAt: 1_000, endedAt: 2_200 },
        {
          id: 'cli-draft',
          parentId: 'cli-plan',
          kind: 'llm',
          name: 'draft',
          status: 'ok',
          seq: 1,
          startedAt: 1_000,
          endedAt: 1_800,
          tokensIn: 300,
          tokensOut: 279,
        },
        {
          id: 'cli-search',
          parentId: 'cli-plan',
          kind: 'tool',
          name: 'search',
          status: 'error',
          seq: 2,
          error: { message: 'index offline' },
        },
        { id: 'cli-retry', parentId: 'cli-search', kind: 'step', name: 'retry', status: 'cancelled', seq: 3 },
        { id: 'cli-answer', kind: 'step', name: 'answer', status: 'running', seq: 4 },
      ],
    });
    await send('PATCH', '/api/runs/cli-triage-1', { status: 'ok' });
    await send('POST', '/api/runs', { id: 'cli-nightly-1', workflow: 'nightly' });
    await send('PATCH', '/api/runs/cli-nightly-1', { status: 'error', error: 'exited with code 3' });
  });

  after(async () => {
    await sidecar?.stop();
  });

  it('runs: a table of runs, newest first, with status, start, duration and node count', async () => {
    const { code, stdout, stderr } = await runCli(['runs'], env);
    assert.equal(code, 0, stderr);
    const lines = stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^ID\s+WORKFLOW\s+STATUS\s+STARTED\s+DURATION\s+NODES$/);
    assert.match(lines[1] ?? '', /^cli-nightly-1\s+nightly\s+✗ error\s+(just now|\d+s ago)\s+\S+\s+0$/);
    assert.match(lines[2] ?? '', /^cli-triage-1\s+triage\s+✓ ok\s+(just now|\d+s ago)\s+\S+\s+5$/);
    assert.match(lines[3] ?? '', /^cli-deep-1\s+deep\s+✓ ok\s+.*\s+1000$/);
    assert.equal(lines.length, 4);
    assert.ok(!stdout.includes('\x1b['), 'no colour into a pipe');
  });

  it('runs: filters by status and workflow, and prints JSON with --json', async () => {
    const errors = await runCli(['runs', '--status', 'error'], env);
    assert.equal(errors.code, 0, errors.stderr);
    assert.match(errors.stdout, /cli-nightly-1/);
    assert.doesNotMatch(errors.stdout, /cli-triage-1/);

    const none = await runCli(['runs', '--workflow', 'nope'], env);
    assert.equal(none.stdout, 'No runs match.\n');

    const json = await runCli(['runs', '--json', '--limit', '1'], env);
    const runs = z.array(Run).parse(JSON.parse(json.stdout));
    assert.deepEqual(
      runs.map((run) => run.id),
      ['cli-nightly-1'],
    );
  });

  it('show: the run header and the nested tree, with box drawing and a glyph per status', async () => {
    const { code, stdout, stderr } = await runCli(['show', 'cli-triage-1'], env);
    assert.equal(code, 0, stderr);
    const lines = stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^triage {2}cli-triage-1 {2}✓ ok$/);
    assert.match(stdout, /git main @ abcdef1234/);
    const tree = lines.slice(lines.indexOf('') + 1);
    assert.equal(tree.length, 5, stdout);
    assert.match(tree[0] ?? '', /^✓ step plan {2}1\.2s$/);
    assert.match(tree[1] ?? '', /^├─ ✓ llm draft {2}800ms · 579 tok$/);
    assert.match(tree[2] ?? '', /^└─ ✗ tool search .*index offline$/);
    assert.match(tree[3] ?? '', /^ {3}└─ ⊘ step retry/);
    assert.match(tree[4] ?? '', /^● step answer/);
  });

  it('show --color: statuses coloured (ok green, error red, cancelled grey, running yellow)', async () => {
    const { stdout } = await runCli(['show', 'cli-triage-1', '--color'], env);
    assert.ok(stdout.includes('\x1b[32m✓\x1b[39m'), 'ok is green');
    assert.ok(stdout.includes('\x1b[31m✗\x1b[39m'), 'error is red');
    assert.ok(stdout.includes('\x1b[90m⊘\x1b[39m'), 'cancelled is grey');
    assert.ok(stdout.includes('\x1b[33m●\x1b[39m'), 'running is yellow');
    const noColor = await runCli(['show', 'cli-triage-1', '--color'], { ...env, NO_COLOR: '1' });
    assert.ok(noColor.stdout.includes('\x1b[32m'), '--color wins over NO_COLOR');
  });

  it('show --json: the nested tree as the API returns it', async () => {
    const { code, stdout } = await runCli(['show', 'cli-triage-1', '--json'], env);
    assert.equal(code, 0);
    const tree = NestedTree.parse(JSON.parse(stdout));
    assert.deepEqual(
      tree.roots.map((root) => [root.name, root.children.map((child) => child.name)]),
      [
        ['plan', ['draft', 'search']],
        ['answer', []],
      ],
    );
  });

  it('show: a run 1,000 levels deep, indentation capped and the depth shown', async () => {
    const { code, stdout, stderr } = await runCli(['show', 'cli-deep-1'], env);
    assert.equal(code, 0, stderr);
    const tree = stdout.trimEnd().split('\n').slice(3);
    assert.equal(tree.length, 1000);
    assert.match(tree[1] ?? '', /^└─ ✓ step level 1 /);
    assert.match(tree[999] ?? '', /^ {93}└─ \[depth 999\] ✓ step level 999 /);
    const json = await runCli(['show', 'cli-deep-1', '--json'], env);
    assert.equal(json.stdout.split('\n').length, 2, 'one compact line into a pipe');
  });

  it('show: an unknown run exits 1 with one line', async () => {
    const { code, stdout, stderr } = await runCli(['show', 'no-such-run'], env);
    assert.equal(code, 1);
    assert.equal(stdout, '');
    assert.equal(stderr, 'runtrail: no run "no-such-run"\n');
  });

  it('token: prints the token from the data dir, or RUNTRAIL_TOKEN when set', async () => {
    const fromFile = await runCli(['token'], env);
    assert.equal(fromFile.code, 0);
    assert.equal(fromFile.stdout, `${sidecar.token}\n`);

    const fromFlag = await runCli(['token', '--data-dir', sidecar.dataDir], {});
    assert.equal(fromFlag.stdout, `${sidecar.token}\n`);

    const fromEnv = await runCli(['token'], { ...env, RUNTRAIL_TOKEN: 'a-token-from-the-environment' });
    assert.equal(fromEnv.stdout, 'a-token-from-the-environment\n');
  });

  it('token: exits 1 and says to start the sidecar when there is no token yet', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'runtrail-cli-empty-'));
    try {
      const { code, stdout, stderr } = await runCli(['token'], { RUNTRAIL_DATA_DIR: empty });
      assert.equal(code, 1);
      assert.equal(stdout, '');
      assert.equal(stderr, `runtrail: no token in ${path.join(empty, 'token')} yet: start the sidecar first: runtrail serve\n`);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });

  it('--url and --token reach a sidecar without a data dir; a wrong token is one line, exit 1', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'runtrail-cli-empty-'));
    try {
      const explicit = await runCli(['runs', '--url', sidecar.url, '--token', sidecar.token], { RUNTRAIL_DATA_DIR: empty });
      assert.equal(explicit.code, 0, explicit.stderr);
      assert.match(explicit.stdout, /cli-triage-1/);

      const viaEnv = await runCli(['show', 'cli-triage-1'], {
        RUNTRAIL_DATA_DIR: empty,
        RUNTRAIL_URL: sidecar.url,
        RUNTRAIL_TOKEN: sidecar.token,
      });
      assert.equal(viaEnv.code, 0, viaEnv.stderr);

      const wrong = await runCli(['runs', '--url', sidecar.url, '--token', 'not-the-token-at-all'], { RUNTRAIL_DATA_DIR: empty });
      assert.equal(wrong.code, 1);
      assert.equal(wrong.stderr.split('\n').length, 2, wrong.stderr);
      assert.match(wrong.stderr, /^runtrail: the sidecar at http:\/\/127\.0\.0\.1:\d+ refused the request \(401 unauthorized\)/);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});
