import * as assert from 'node:assert/strict';
import { nodeRefOf, runIdOf, workflowNameOf } from '../../../extension/commands/commandArgs';
import { describeError, errorActions, isNotFound } from '../../../extension/commands/userErrors';
import { inputPrompts, validateInput } from '../../../extension/commands/workflowInputs';
import { SidecarRequestError, SidecarUnavailableError } from '../../../extension/services';
import { aNode, aRunDto } from './dtos';

describe('extension command arguments', () => {
  it('reads a run id from view elements, refs, runs and strings', () => {
    assert.equal(runIdOf({ type: 'run', runId: 'r1' }), 'r1');
    assert.equal(runIdOf({ type: 'node', runId: 'r1', nodeId: 'n1' }), 'r1');
    assert.equal(runIdOf(aRunDto({ id: 'r2' })), 'r2');
    assert.equal(runIdOf('r3'), 'r3');
    assert.equal(runIdOf({ id: 'not-a-run' }), undefined);
    assert.equal(runIdOf(undefined), undefined);
    assert.equal(runIdOf(''), undefined);
  });

  it('reads a node from view elements, refs, summaries and strings', () => {
    assert.deepEqual(nodeRefOf({ type: 'node', runId: 'r1', nodeId: 'n1' }), { nodeId: 'n1', runId: 'r1' });
    assert.deepEqual(nodeRefOf({ nodeId: 'n1' }), { nodeId: 'n1' });
    assert.deepEqual(nodeRefOf(aNode('n2', { runId: 'r9' })), { nodeId: 'n2', runId: 'r9' });
    assert.deepEqual(nodeRefOf('n3'), { nodeId: 'n3' });
    assert.equal(nodeRefOf({ type: 'run', runId: 'r1' }), undefined);
  });

  it('reads a workflow name from the Workflows view element, {name} or a string', () => {
    assert.equal(workflowNameOf({ type: 'workflow', workflow: { name: 'triage' } }), 'triage');
    assert.equal(workflowNameOf({ name: 'index' }), 'index');
    assert.equal(workflowNameOf('demo'), 'demo');
    assert.equal(workflowNameOf(undefined), undefined);
  });
});

describe('extension workflow inputs', () => {
  const workflow = {
    name: 'triage',
    description: null,
    command: ['python3', 'triage.py', 'issue.md'],
    cwd: '/w',
    inputs: [
      { name: 'issue', description: 'issue file', default: null },
      { name: 'mode', description: null, default: 'fast' },
    ],
  };

  it('asks for each input not given, prefilled with its default', () => {
    assert.deepEqual(inputPrompts(workflow), [
      { name: 'issue', title: 'Run triage (1/2): issue', prompt: 'issue file', value: '', required: true },
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the runtrail.json placeholder, shown as is
      { name: 'mode', title: 'Run triage (2/2): mode', prompt: 'Value for ${input:mode}', value: 'fast', required: false },
    ]);
    assert.deepEqual(
      inputPrompts(workflow, { issue: 'a.md' }).map((prompt) => prompt.name),
      ['mode'],
    );
    assert.deepEqual(inputPrompts(workflow, { issue: 'a.md', mode: 'slow' }), []);
  });

  it('refuses an empty value for a required input only', () => {
    const [issue, mode] = inputPrompts(workflow);
    assert.ok(issue && mode);
    assert.equal(validateInput(issue, '  '), 'issue is required');
    assert.equal(validateInput(issue, 'a.md'), undefined);
    assert.equal(validateInput(mode, ''), undefined);
  });
});

describe('extension user-facing errors', () => {
  it('keeps the sidecar message and offers what helps', () => {
    const unavailable = new SidecarUnavailableError('The Runtrail sidecar is not running: Runtrail: Start Sidecar');
    assert.equal(describeError(unavailable), unavailable.message);
    assert.deepEqual(errorActions(unavailable), ['Start Sidecar', 'Show Logs']);
    const missing = new SidecarRequestError(404, 'not_found', 'Run r1 not found');
    assert.equal(describeError(missing), 'Run r1 not found (it may have been deleted)');
    assert.equal(isNotFound(missing), true);
    assert.deepEqual(errorActions(missing), ['Show Logs']);
    assert.equal(describeError(new Error('socket hang up')), 'socket hang up');
  });
});
