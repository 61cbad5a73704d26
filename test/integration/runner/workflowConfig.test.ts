// biome-ignore-all lint/suspicious/noTemplateCurlyInString: runtrail.json placeholders (${input:…}) look like template syntax.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WorkflowList } from '../../../protocol/workflows';
import { readJson } from '../../fixtures/sidecarApp';
import { expectError, fixtureScript, RunnerHarness, scripted } from './runnerHarness';

/**
 * runtrail.json as the runner reads it: the list, placeholders, inputs, and every kind of bad
 * file answered 422 invalid_config with the file, the workflow and the field named.
 */
describe('Runner configuration (runtrail.json)', function () {
  this.timeout(60_000);
  let runner: RunnerHarness;

  before(async () => {
    runner = await RunnerHarness.start();
  });
  after(async () => {
    await runner?.stop();
  });
  beforeEach(() => fs.rmSync(runner.configFile, { force: true }));

  const list = async () => readJson(await runner.sidecar.request('/api/workflows'), WorkflowList);

  it('lists nothing without a runtrail.json, and a start names where it looked', async () => {
    assert.deepEqual(await list(), { configFile: null, workflows: [] });
    await expectError(
      await runner.startRun('triage'),
      404,
      'not_found',
      new RegExp(`^No runtrail\\.json in ${runner.workspace.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(RUNTRAIL_WORKSPACE\\)`),
    );
  });

  it('lists the declared workflows, reading the file on every request', async () => {
    fs.mkdirSync(path.join(runner.workspace, 'agents'), { recursive: true });
    runner.writeConfig({
      workflows: {
        triage: {
          command: [process.execPath, fixtureScript, '${input:issue}', '--root=${workspaceFolder}'],
          cwd: 'agents',
          description: 'Triage an issue',
          inputs: { issue: { description: 'issue file' }, model: { default: 'small' } },
        },
        nightly: { command: ['make', 'nightly'] },
      },
      settings: { ignoredByTheRunner: true },
    });
    assert.deepEqual(await list(), {
      configFile: runner.configFile,
      workflows: [
        {
          name: 'triage',
          description: 'Triage an issue',
          command: [process.execPath, fixtureScript, '${input:issue}', `--root=${runner.workspace}`],
          cwd: path.join(runner.workspace, 'agents'),
          inputs: [
            { name: 'issue', description: 'issue file', default: null },
            { name: 'model', description: null, default: 'small' },
          ],
        },
        { name: 'nightly', description: null, command: ['make', 'nightly'], cwd: runner.workspace, inputs: [] },
      ],
    });
    // An edit applies at once.
    runner.writeConfig({ workflows: { only: { command: ['true'] } } });
    assert.deepEqual(
      (await list()).workflows.map((w) => w.name),
      ['only'],
    );
    runner.writeConfig({});
    assert.deepEqual(await list(), { configFile: runner.configFile, workflows: [] });
  });

  it('replaces placeholders in arguments, cwd and env; defaults fill inputs left out', async () => {
    fs.mkdirSync(path.join(runner.workspace, 'cases', 'a b'), { recursive: true });
    runner.writeConfig({
      workflows: {
        echo: {
          ...scripted('env', 'arg=${input:issue}', 'model=${input:model}', 'ws=${workspaceFolder}', 'shell=${HOME}'),
          cwd: 'cases/${input:folder}',
          inputs: { issue: {}, model: { default: 'small' }, folder: { default: 'a b' } },
          env: { FROM_CONFIG: 'issue ${input:issue} in ${workspaceFolder}' },
        },
      },
    });
    // The fixture skips arguments with "=" (data, not actions): they are checked as the argv it received.
    const run = await runner.started('echo', { inputs: { issue: '42 ${input:model}' } });
    assert.deepEqual(run.command, [
      process.execPath,
      fixtureScript,
      'env',
      'arg=42 ${input:model}',
      'model=small',
      `ws=${runner.workspace}`,
      'shell=${HOME}',
    ]);
    assert.equal(run.cwd, path.join(runner.workspace, 'cases', 'a b'));
    await runner.finished(run.id);
    const [first] = await runner.logNodes(run.id);
    assert.ok(first !== undefined, 'the env line was recorded');
    const seen = JSON.parse((first.output as { line: string }).line) as { env: Record<string, string>; argv: string[]; cwd: string };
    assert.equal(seen.env.FROM_CONFIG, `issue 42 \${input:model} in ${runner.workspace}`);
    assert.equal(seen.cwd, path.join(runner.workspace, 'cases', 'a b'));
    assert.deepEqual(seen.argv, run.command?.slice(2));
  });

  it('answers unknown workflows 404 and bad inputs 400, naming them', async () => {
    runner.writeConfig({
      workflows: {
        triage: { ...scripted('out:${input:issue}'), inputs: { issue: { description: 'issue file' }, mode: { default: 'fast' } } },
        plain: scripted('exit:0'),
      },
    });
    await expectError(await runner.startRun('nope'), 404, 'not_found', /declares no workflow "nope" \(declared: triage, plain\)/);
    await expectError(await runner.startRun('triage'), 400, 'invalid', /^Workflow triage needs input issue \(issue file\)/);
    await expectError(
      await runner.startRun('triage', { inputs: { issue: '1', colour: 'red' } }),
      400,
      'invalid',
      /^Workflow triage has no input "colour" \(declared: issue, mode\)/,
    );
    await expectError(await runner.startRun('triage', { inputs: { issue: 3 } }), 400, 'invalid', /inputs\.issue/);
    await expectError(await runner.startRun('triage', { inputs: { issue: 'a\0b' } }), 400, 'invalid', /NUL/);
    await expectError(await runner.startRun('triage', { inputs: { issue: '1' }, labels: 'x' }), 400, 'invalid', /labels/);
    await expectError(await runner.startRun('triage', { input: { issue: '1' } }), 400, 'invalid', /input/);
    // No body at all is fine for a workflow without required inputs.
    const res = await runner.sidecar.request('/api/workflows/plain/runs', { method: 'POST' });
    assert.equal(res.status, 201, await res.clone().text());
    await runner.finished(((await res.json()) as { id: string }).id);
  });

  describe('bad files: 422 invalid_config naming the file, the workflow and the field', () => {
    const cases: Array<{ what: string; config: unknown; message: RegExp }> = [
      {
        what: 'a placeholder naming no declared input',
        config: { workflows: { triage: { command: ['python3', '${input:issu}'], inputs: { issue: {} } } } },
        message: /runtrail\.json: workflows\.triage\.command\[1\]: \$\{input:issu\} names no declared input \(declared: issue\)$/,
      },
      {
        what: 'an input placeholder in cwd without inputs',
        config: { workflows: { triage: { command: ['x'], cwd: '${input:dir}' } } },
        message: /workflows\.triage\.cwd: \$\{input:dir\} names no declared input \(this workflow declares no inputs\)/,
      },
      {
        what: 'an input placeholder in an env value',
        config: { workflows: { triage: { command: ['x'], env: { KEY: '${input:key}' } } } },
        message: /workflows\.triage\.env\.KEY: \$\{input:key\} names no declared input/,
      },
      {
        what: 'JSON with a syntax error',
        config: '{\n  "workflows": {\n    "triage": { "command": ["x"], }\n  }\n}\n',
        message: /runtrail\.json: is not valid JSON at line 3, column 35 \(position \d+\): /,
      },
      { what: 'an empty file', config: '', message: /runtrail\.json: is not valid JSON/ },
      { what: 'not an object', config: '[1, 2]', message: /runtrail\.json: \(top level\): must be a JSON object with a "workflows" key/ },
      {
        what: 'workflows not an object',
        config: { workflows: ['triage'] },
        message: /runtrail\.json: workflows: must be an object mapping workflow names to workflows/,
      },
      {
        what: 'a missing command',
        config: { workflows: { triage: { cwd: '.' } } },
        message: /workflows\.triage\.command: must be an array/,
      },
      {
        what: 'an empty command',
        config: { workflows: { triage: { command: [] } } },
        message: /workflows\.triage\.command: must name the program to run/,
      },
      {
        what: 'a command as a string',
        config: { workflows: { triage: { command: 'python3 triage.py' } } },
        message: /workflows\.triage\.command: must be an array of strings/,
      },
      {
        what: 'a non-string argument',
        config: { workflows: { triage: { command: ['python3', 3] } } },
        message: /workflows\.triage\.command\[1\]: /,
      },
      {
        what: 'a misspelt field',
        config: { workflows: { triage: { command: ['x'], inptus: {} } } },
        message: /workflows\.triage: Unrecognized key: "inptus"/,
      },
      {
        what: 'an input default that is not a string',
        config: { workflows: { triage: { command: ['x'], inputs: { n: { default: 3 } } } } },
        message: /workflows\.triage\.inputs\.n\.default: /,
      },
      {
        what: 'a workflow name unfit for a URL',
        config: { workflows: { 'my flow': { command: ['x'] } } },
        message: /workflows\["my flow"\]: "my flow" is not a workflow name/,
      },
      {
        what: 'an env variable the runner sets',
        config: { workflows: { triage: { command: ['x'], env: { RUNTRAIL_RUN_ID: 'mine' } } } },
        message: /workflows\.triage\.env\.RUNTRAIL_RUN_ID: is set by the runner for every run; remove it/,
      },
      {
        what: 'an env name that is not one',
        config: { workflows: { triage: { command: ['x'], env: { 'A-B': '1' } } } },
        message: /workflows\.triage\.env\.A-B: "A-B" is not an environment variable name/,
      },
    ];
    for (const { what, config, message } of cases) {
      it(what, async () => {
        runner.writeConfig(config);
        const listed = await expectError(await runner.sidecar.request('/api/workflows'), 422, 'invalid_config', message);
        assert.ok(listed.error.message.startsWith(`${runner.configFile}: `), listed.error.message);
        await expectError(await runner.startRun('triage', { inputs: {} }), 422, 'invalid_config', message);
      });
    }

    it('a cwd that is not a folder (found when starting)', async () => {
      runner.writeConfig({ workflows: { triage: { command: ['x'], cwd: 'missing' } } });
      assert.equal((await list()).workflows[0]?.cwd, path.join(runner.workspace, 'missing'));
      await expectError(
        await runner.startRun('triage'),
        422,
        'invalid_config',
        /runtrail\.json: workflows\.triage\.cwd: .*missing is not a folder/,
      );
      runner.writeConfig({ workflows: { triage: { command: ['x'], cwd: '${input:dir}', inputs: { dir: {} } } } });
      await expectError(
        await runner.startRun('triage', { inputs: { dir: 'nowhere' } }),
        400,
        'invalid',
        /nowhere \(its cwd, from the inputs\), which is not a folder/,
      );
    });

    it('lists every problem in the details', async () => {
      runner.writeConfig({ workflows: { a: { command: [] }, b: { command: ['${input:x}'] }, c: { command: ['x'], cwd: '' } } });
      const body = await expectError(await runner.sidecar.request('/api/workflows'), 422, 'invalid_config');
      const details = body.error.details as { file: string; problems: string[] };
      assert.equal(details.file, runner.configFile);
      assert.equal(details.problems.length, 3, details.problems.join('\n'));
    });
  });

  it('declares the routes in the OpenAPI document', async () => {
    const doc = (await (await runner.sidecar.request('/api/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    assert.ok(doc.paths['/api/workflows']?.get);
    assert.ok(doc.paths['/api/workflows/{name}/runs']?.post);
    assert.ok(doc.paths['/api/runs/{runId}/cancel']?.post);
  });
});
