/// <reference types="vscode" />
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { eventually, runningSidecar, sidecarRequest, testApi, workspaceRoot } from './host';

/**
 * Issue 8's "done when", in the editor: a user runs a TypeScript and a Python workflow (the test
 * workspace's counted.ts / counted.py, written with the SDKs), replays each from VS Code, takes the
 * other option at its decision, and compares the two runs side by side. Each step body of those
 * workflows appends "<run id> <step>" to executions.log, so the tests can see which bodies really
 * ran: a replay runs none, taking another option runs only what follows the decision.
 */

interface RunLike {
  readonly id: string;
  readonly status: string;
  readonly replayOf: string | null;
  readonly forkedFromNode: string | null;
}

interface NodeLike {
  readonly id: string;
  readonly key: string | null;
  readonly kind: string;
  readonly name: string | null;
  readonly status: string;
  readonly replayed: boolean;
  readonly diverged: boolean;
}

interface ComparedLike {
  readonly a: string;
  readonly b: string;
  readonly firstDivergenceKey: string | null;
  readonly counts: { readonly added: number; readonly removed: number; readonly changed: number; readonly same: number };
}

async function finished(runId: string): Promise<RunLike> {
  const endpoint = await runningSidecar();
  return eventually(
    async () => {
      const run = await sidecarRequest<RunLike>(endpoint, 'GET', `/api/runs/${runId}`);
      return run.status === 'running' ? undefined : run;
    },
    `run ${runId} finishes`,
    60_000,
  );
}

async function steps(runId: string): Promise<NodeLike[]> {
  const tree = await sidecarRequest<{ nodes: NodeLike[] }>(await runningSidecar(), 'GET', `/api/runs/${runId}/tree?format=flat`);
  return tree.nodes.filter((node) => node.kind !== 'log');
}

/** The step bodies that ran in a run, in order. */
function executions(runId: string): string[] {
  const file = path.join(workspaceRoot(), 'executions.log');
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith(`${runId} `))
    .map((line) => line.slice(runId.length + 1));
}

describe('replaying TypeScript and Python workflows from VS Code', () => {
  for (const language of ['ts', 'py'] as const) {
    const workflow = `counted-${language}`;
    let originalId: string | undefined;
    let optionRunId: string | undefined;

    it(`${workflow}: runs from the command, each step body once`, async () => {
      const run = await vscode.commands.executeCommand<RunLike | undefined>('runtrail.workflow.run', workflow);
      assert.ok(run, `runtrail.workflow.run ${workflow} resolved to no run`);
      const ended = await finished(run.id);
      assert.equal(ended.status, 'ok', JSON.stringify(ended));
      assert.deepEqual(executions(run.id), ['gather', 'choose', 'fast path', 'summarize']);
      originalId = run.id;
    });

    it(`${workflow}: Replay Run serves every recorded step back; no step body runs again`, async () => {
      assert.ok(originalId, 'the original run did not finish');
      const replay = await vscode.commands.executeCommand<RunLike | undefined>('runtrail.run.replay', { runId: originalId });
      assert.ok(replay, 'runtrail.run.replay resolved to no run');
      assert.equal(replay.replayOf, originalId);
      // The new run opens as it starts: its graph panel draws it.
      const api = (await testApi()) as { graphPanels?: { rendered(runId: string): { nodes: number } | undefined } };
      await eventually(() => api.graphPanels?.rendered(replay.id), `the graph of replay ${replay.id} opens`, 30_000);
      assert.equal((await finished(replay.id)).status, 'ok');
      assert.deepEqual(executions(replay.id), [], 'step bodies that ran in the replay');
      const nodes = await steps(replay.id);
      assert.deepEqual(
        nodes.map((node) => [node.key, node.replayed, node.diverged]),
        (await steps(originalId)).map((node) => [node.key, true, false]),
        'the same keys, every node replayed, none diverged',
      );
    });

    it(`${workflow}: Replay with Another Option takes "thorough" at the decision; only what follows it runs`, async () => {
      assert.ok(originalId, 'the original run did not finish');
      const decision = (await steps(originalId)).find((node) => node.kind === 'decision');
      assert.ok(decision, 'the run has a decision node');
      const fork = await vscode.commands.executeCommand<RunLike | undefined>(
        'runtrail.node.chooseOption',
        { nodeId: decision.id, runId: originalId },
        'thorough',
      );
      assert.ok(fork, 'runtrail.node.chooseOption resolved to no run');
      assert.equal(fork.replayOf, originalId);
      assert.equal(fork.forkedFromNode, decision.id);
      assert.equal((await finished(fork.id)).status, 'ok');
      // gather came from the recording, choose() was not asked, the other branch and the summary ran.
      assert.deepEqual(executions(fork.id), ['thorough path', 'summarize']);
      const byKey = new Map((await steps(fork.id)).map((node) => [node.key, node]));
      assert.equal(byKey.get('/gather#0')?.replayed, true);
      assert.equal(byKey.get('/thorough path#0')?.diverged, true, 'the other branch is new to the recording');
      assert.equal(byKey.has('/fast path#0'), false);
      optionRunId = fork.id;
    });

    it(`${workflow}: Compare Side by Side shows the decision as the first divergence`, async () => {
      assert.ok(originalId && optionRunId, 'the runs to compare were not made');
      const api = (await testApi()) as { graphPanels?: { compared(runId: string): ComparedLike | undefined } };
      assert.ok(api.graphPanels?.compared, 'the test API exposes graphPanels.compared');
      await vscode.commands.executeCommand('runtrail.compareSideBySide', originalId, optionRunId);
      const compared = await eventually(
        () => {
          const last = api.graphPanels?.compared(optionRunId as string);
          return last?.a === originalId ? last : undefined;
        },
        `the graph of ${optionRunId} compares it side by side with ${originalId}`,
        30_000,
      );
      assert.equal(compared.b, optionRunId);
      assert.equal(compared.firstDivergenceKey, '/route#0');
      // gather the same; route and summarize changed; thorough path added; fast path removed.
      assert.deepEqual(compared.counts, { added: 1, removed: 1, changed: 2, same: 1 });
    });
  }
});
