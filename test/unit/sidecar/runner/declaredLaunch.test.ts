// biome-ignore-all lint/suspicious/noTemplateCurlyInString: runtrail.json placeholders (${input:…}) look like template syntax.
import * as assert from 'node:assert/strict';
import type { WorkflowDeclaration } from '../../../../protocol/workflows';
import { isDeclaredLaunch, replayEnv, type WorkflowConfig } from '../../../../sidecar/runner/workflowConfig';

const folder = '/work/project';
const config = (workflows: Record<string, WorkflowDeclaration>): WorkflowConfig => ({
  file: `${folder}/runtrail.json`,
  folder,
  workflows: new Map(Object.entries(workflows)),
});

describe('isDeclaredLaunch: is a recorded command one runtrail.json declares?', () => {
  const triage = config({
    triage: { command: ['python3', 'agent.py', '--issue', '${input:issue}', '--out=${workspaceFolder}/out'], inputs: { issue: {} } },
    nested: { command: ['node', 'run.mjs'], cwd: 'tools' },
    chosen: { command: ['node', 'run.mjs'], cwd: '${input:dir}', inputs: { dir: {} } },
  });

  it('matches the declared argv with any text for an input and the folder for ${workspaceFolder}', () => {
    assert.equal(
      isDeclaredLaunch(triage, 'triage', ['python3', 'agent.py', '--issue', 'issues/a b.md', '--out=/work/project/out'], folder),
      true,
    );
    assert.equal(isDeclaredLaunch(triage, 'triage', ['python3', 'agent.py', '--issue', '', '--out=/work/project/out'], folder), true);
  });

  it('rejects another program, another literal, an extra argument, another folder or another workflow', () => {
    const argv = ['python3', 'agent.py', '--issue', 'x', '--out=/work/project/out'];
    assert.equal(isDeclaredLaunch(triage, 'triage', ['sh', ...argv.slice(1)], folder), false);
    assert.equal(isDeclaredLaunch(triage, 'triage', [...argv.slice(0, 4), '--out=/tmp/out'], folder), false);
    assert.equal(isDeclaredLaunch(triage, 'triage', [...argv, '--rm'], folder), false);
    assert.equal(isDeclaredLaunch(triage, 'triage', argv, '/elsewhere'), false);
    assert.equal(isDeclaredLaunch(triage, 'nested', argv, folder), false);
    assert.equal(isDeclaredLaunch(triage, 'unknown', argv, folder), false);
    assert.equal(isDeclaredLaunch(undefined, 'triage', argv, folder), false);
  });

  it('treats regex characters in declared arguments literally', () => {
    const dotted = config({ w: { command: ['node', 'a.js'] } });
    assert.equal(isDeclaredLaunch(dotted, 'w', ['node', 'a.js'], folder), true);
    assert.equal(isDeclaredLaunch(dotted, 'w', ['node', 'abjs'], folder), false);
  });

  it('resolves a relative cwd against the file, and lets an input choose it', () => {
    assert.equal(isDeclaredLaunch(triage, 'nested', ['node', 'run.mjs'], '/work/project/tools'), true);
    assert.equal(isDeclaredLaunch(triage, 'nested', ['node', 'run.mjs'], folder), false);
    assert.equal(isDeclaredLaunch(triage, 'chosen', ['node', 'run.mjs'], '/anywhere/at/all'), true);
  });
});

describe('replayEnv: the declared env a replay gets again', () => {
  const withEnv = config({
    w: {
      command: ['node', 'run.mjs'],
      env: { MODEL: 'small', ROOT: '${workspaceFolder}/data', WHO: '${input:who}', KEY: '${input:key}' },
      inputs: { who: { default: 'Ada' }, key: {} },
    },
  });

  it('resolves the folder and inputs with defaults, and leaves out what needs an input given at the time', () => {
    assert.deepEqual(replayEnv(withEnv, 'w', folder), { MODEL: 'small', ROOT: '/work/project/data', WHO: 'Ada' });
  });

  it('gives nothing for a workflow no longer declared, or declared for another folder', () => {
    assert.deepEqual(replayEnv(withEnv, 'gone', folder), {});
    assert.deepEqual(replayEnv(withEnv, 'w', '/elsewhere'), {});
    assert.deepEqual(replayEnv(withEnv, 'w', null), {});
  });
});
