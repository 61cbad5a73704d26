import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FlatTree, Node } from '../../../protocol/runs';
import { runCli } from '../../fixtures/cli/cliProcess';
import { type SidecarProcess, startSidecarProcess } from '../../fixtures/sidecarProcess';
import { seedRichRun, withoutExportedAt } from '../../integration/sidecar/bundleRun';

/**
 * "A run exported from one machine opens on another": two sidecar processes with their own data
 * folders (two machines), `runtrail export` from one, `runtrail import` into the other.
 */
describe('CLI export and import between two sidecar processes', function () {
  this.timeout(120_000);
  let here: SidecarProcess;
  let there: SidecarProcess;
  let tmp: string;
  const runId = 'cli-bundle-run';

  const client = (sidecar: SidecarProcess) => ({
    send: (method: 'POST' | 'PATCH', pathname: string, body?: unknown) =>
      fetch(`${sidecar.url}${pathname}`, {
        method,
        headers: { authorization: `Bearer ${sidecar.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
    get: (pathname: string) => fetch(`${sidecar.url}${pathname}`, { headers: { authorization: `Bearer ${sidecar.token}` } }),
  });
  const envOf = (sidecar: SidecarProcess) => ({ RUNTRAIL_DATA_DIR: sidecar.dataDir });

  before(async () => {
    [here, there] = await Promise.all([startSidecarProcess(), startSidecarProcess()]);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'runtrail-bundle-cli-'));
    await seedRichRun(client(here), runId, 'cli-bundle.');
  });
  after(async () => {
    await Promise.all([here?.stop(), there?.stop()]);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('exports to stdout and to a file, imports into the other sidecar, and the trees are equal', async () => {
    const stdout = await runCli(['export', runId], envOf(here));
    assert.equal(stdout.code, 0, stdout.stderr);
    const file = path.join(tmp, 'run.jsonl');
    const toFile = await runCli(['export', runId, '-o', file], envOf(here));
    assert.equal(toFile.code, 0, toFile.stderr);
    assert.equal(toFile.stdout, '');
    assert.match(toFile.stderr, /exported run cli-bundle-run to /);
    const text = fs.readFileSync(file, 'utf8');
    assert.equal(withoutExportedAt(text), withoutExportedAt(stdout.stdout));

    const imported = await runCli(['import', file], envOf(there));
    assert.equal(imported.code, 0, imported.stderr);
    assert.equal(imported.stdout, `imported run ${runId} (5 nodes, 8 edges)\n`);
    const [a, b] = await Promise.all([client(here).get(`/api/runs/${runId}/tree`), client(there).get(`/api/runs/${runId}/tree`)]);
    assert.deepEqual(FlatTree.parse(await b.json()), FlatTree.parse(await a.json()));
    const node = Node.parse(await (await client(there).get('/api/nodes/cli-bundle.llm')).json());
    assert.deepEqual(node.output, { label: 'bug', confidence: 0.93, password: 'hunter2' });

    const again = await runCli(['import', file, '--json'], envOf(there));
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(JSON.parse(again.stdout), { runId, nodes: 5, edges: 8 });
  });

  it('redacts with --redact', async () => {
    const res = await runCli(['export', runId, '--redact', 'password,apiKey'], envOf(here));
    assert.equal(res.code, 0, res.stderr);
    const [header] = res.stdout.split('\n');
    assert.deepEqual(JSON.parse(header as string).redacted, ['password', 'apiKey']);
    assert.ok(!res.stdout.includes('hunter2') && !res.stdout.includes('sk-secret') && !res.stdout.includes('sk-run'));
  });

  it('fails with one line: unknown run, missing file, malformed bundle, conflicting run', async () => {
    const unknown = await runCli(['export', 'no-such-run'], envOf(here));
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, 'runtrail: no run "no-such-run"\n');

    const missing = await runCli(['import', path.join(tmp, 'nope.jsonl')], envOf(there));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^runtrail: cannot read .*nope\.jsonl: no such file\n$/);

    const bad = path.join(tmp, 'bad.jsonl');
    fs.writeFileSync(bad, '{"format":"runtrail-bundle","version":7}\n');
    const malformed = await runCli(['import', bad], envOf(there));
    assert.equal(malformed.code, 1);
    assert.match(malformed.stderr, /^runtrail: Invalid bundle: line 1: bundle version 7 is not supported: .*\(400 invalid\)\n$/);

    const changed = path.join(tmp, 'changed.jsonl');
    const text = (await runCli(['export', runId], envOf(here))).stdout;
    fs.writeFileSync(changed, text.replace('"name":"classify"', '"name":"renamed"'));
    const conflict = await runCli(['import', changed], envOf(there));
    assert.equal(conflict.code, 1);
    assert.match(
      conflict.stderr,
      /^runtrail: Run cli-bundle-run already exists with other content: .*--as <newRunId>.*\(409 conflict\)\n$/,
    );
    const copy = await runCli(['import', changed, '--as', 'cli-bundle-copy'], envOf(there));
    assert.equal(copy.code, 0, copy.stderr);
    assert.equal(copy.stdout, 'imported run cli-bundle-copy (5 nodes, 8 edges)\n');
  });
});
