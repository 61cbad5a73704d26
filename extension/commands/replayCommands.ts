import * as vscode from 'vscode';
import type { ReplayRequest, RunFamily } from '../../protocol/replay';
import type { Run } from '../../protocol/runs';
import { DiffDocumentProvider } from '../documents/diffDocumentProvider';
import { askToRunCommand } from '../replay/commandConsentPrompt';
import { compareCandidates, compareOrder, decisionOptions, isDecision } from '../replay/replayChoices';
import { replayWithConsent } from '../replay/replayConsent';
import { branchChoices, familyPicks, newestOther } from '../replay/runFamily';
import { errorText, formatDuration, formatStartTime, runDescription, shortId } from '../views/format';
import { type NodeRef, nodeRefOf, runIdOf } from './commandArgs';
import { compareSideBySide } from './compareSideBySide';
import type { FeatureServices } from './featureServices';
import { reportError } from './reportError';
import { pickRun } from './runCommands';
import { whenRunEnds } from './runEnd';
import { readyApi } from './sidecarReady';

/**
 * Replay, fork and compare (DESIGN.md "Runner, replay, fork, decisions"): replay a finished run,
 * fork it at a node, take another option at a decision, and compare two runs node by node. The
 * replays resolve to the new run once it started (undefined when cancelled or refused), revealed in
 * the Runs view with its graph open; while it runs a notification follows it, and when it ends it
 * offers the comparison with the original, side by side in the graph or as a text diff.
 */
export function registerReplayCommands(services: FeatureServices): vscode.Disposable[] {
  const { output } = services;
  const guarded =
    <A extends unknown[]>(action: (...args: A) => string, fn: (...args: A) => Promise<unknown>) =>
    async (...args: A) => {
      try {
        return await fn(...args);
      } catch (error) {
        reportError(output, action(...args), error);
        return undefined;
      }
    };

  return [
    vscode.commands.registerCommand(
      'runtrail.run.replay',
      guarded(
        () => 'Could not replay run',
        async (arg?: unknown) => {
          const runId = runIdOf(arg) ?? services.runsView.selectedRunId() ?? (await pickRun(services));
          return runId ? replay(services, runId, {}, `Replaying run ${shortId(runId)}`) : undefined;
        },
      ),
    ),
    vscode.commands.registerCommand(
      'runtrail.node.forkHere',
      guarded(
        () => 'Could not fork the run',
        async (arg?: unknown) => {
          const ref = await nodeRef(services, arg);
          if (!ref) return undefined;
          return replay(
            services,
            ref.runId,
            { untilNodeId: ref.nodeId },
            `Forking run ${shortId(ref.runId)} at node ${shortId(ref.nodeId)}`,
          );
        },
      ),
    ),
    vscode.commands.registerCommand(
      'runtrail.node.chooseOption',
      guarded(
        () => 'Could not replay with another option',
        async (arg?: unknown, label?: unknown) => chooseOption(services, arg, typeof label === 'string' ? label : undefined),
      ),
    ),
    vscode.commands.registerCommand(
      'runtrail.runs.compare',
      guarded(
        () => 'Could not compare runs',
        async (arg?: unknown, other?: unknown) => compare(services, arg, other),
      ),
    ),
    vscode.commands.registerCommand(
      'runtrail.compareSideBySide',
      guarded(
        () => 'Could not compare runs side by side',
        async (first?: unknown, second?: unknown) => compareSideBySide(services, first, second),
      ),
    ),
    vscode.commands.registerCommand(
      'runtrail.run.showFamily',
      guarded(
        () => 'Could not show the run family',
        async (arg?: unknown, open?: unknown) => showFamily(services, arg, runIdOf(open)),
      ),
    ),
    vscode.commands.registerCommand(
      'runtrail.runs.compareWithBranch',
      guarded(
        () => 'Could not compare with the branch',
        async (arg?: unknown, branch?: unknown) => compareWithBranch(services, arg, typeof branch === 'string' ? branch : undefined),
      ),
    ),
  ];
}

/**
 * The run's replay family as an indented quick pick; the chosen run is revealed in the Runs view
 * and its graph opened. `open` (a run id of the family) skips the pick. Resolves to the family and
 * the run opened (undefined when the pick was dismissed).
 */
async function showFamily(
  services: FeatureServices,
  arg: unknown,
  open: string | undefined,
): Promise<{ family: RunFamily; opened: string | undefined } | undefined> {
  const runId = runIdOf(arg) ?? services.runsView.selectedRunId() ?? (await pickRun(services));
  if (!runId) return undefined;
  const api = await readyApi(services.sidecar);
  const family = await api.family(runId);
  let chosen = open;
  if (chosen !== undefined && !family.runs.some((member) => member.run.id === chosen)) {
    void vscode.window.showErrorMessage(`Run ${shortId(chosen)} is not in the family of run ${shortId(runId)}.`);
    return undefined;
  }
  if (chosen === undefined) {
    if (family.runs.length === 1) {
      void vscode.window.showInformationMessage(`Run ${shortId(runId)} has no replays or forks, and replays no other run.`);
      return { family, opened: undefined };
    }
    const picks = familyPicks(family, runId, Date.now());
    const picked = await vscode.window.showQuickPick(picks, {
      title: `Runtrail: family of run ${shortId(runId)} (${family.runs.length} runs)`,
      matchOnDescription: true,
      matchOnDetail: true,
    });
    chosen = picked?.runId;
  }
  if (chosen === undefined) return { family, opened: undefined };
  const member = family.runs.find((m) => m.run.id === chosen);
  try {
    await services.runsView.revealRun(member?.run ?? chosen, { focus: false });
  } catch (error) {
    services.output.debug(`Could not reveal run ${chosen}: ${error instanceof Error ? error.message : String(error)}`);
  }
  await vscode.commands.executeCommand('runtrail.graph.open', { runId: chosen });
  return { family, opened: chosen };
}

/**
 * Compares the run with the newest other run of its workflow on a branch (the branches come from
 * the workflow's 200 newest runs; the newest run on the chosen one is asked for by branch).
 * `branch` skips the pick. Resolves to what `runtrail.runs.compare` opened.
 */
async function compareWithBranch(services: FeatureServices, arg: unknown, branch: string | undefined): Promise<unknown> {
  const runId = runIdOf(arg) ?? services.runsView.selectedRunId() ?? (await pickRun(services));
  if (!runId) return undefined;
  const api = await readyApi(services.sidecar);
  const run = services.runsView.run(runId) ?? (await api.getRun(runId));
  let chosen = branch;
  if (chosen === undefined) {
    const choices = branchChoices((await api.listRuns({ workflow: run.workflow, limit: 200 })).runs, run);
    if (choices.length === 0) {
      void vscode.window.showInformationMessage(
        `No other run of ${run.workflow} records a git branch: there is no branch to compare run ${shortId(run.id)} with.`,
      );
      return undefined;
    }
    const now = Date.now();
    const picked = await vscode.window.showQuickPick(
      choices.map((choice) => ({
        label: `$(git-branch) ${choice.branch}`,
        description: `latest ${formatStartTime(choice.newest.startedAt, now)} · ${choice.newest.status}${choice.branch === run.git.branch ? ' · branch of this run' : ''}`,
        detail: choice.newest.id,
        branch: choice.branch,
      })),
      { title: `Runtrail: compare run ${shortId(run.id)} with the latest run of ${run.workflow} on…`, matchOnDetail: true },
    );
    chosen = picked?.branch;
  }
  if (chosen === undefined) return undefined;
  const latest = newestOther((await api.listRuns({ workflow: run.workflow, branch: chosen, limit: 2 })).runs, run);
  if (!latest) {
    void vscode.window.showInformationMessage(
      `No other run of ${run.workflow} on branch ${chosen} to compare run ${shortId(run.id)} with.`,
    );
    return undefined;
  }
  // The branch's run is the reference: the comparison shows what this run does differently.
  return vscode.commands.executeCommand('runtrail.runs.compare', latest.id, run.id);
}

async function replay(services: FeatureServices, runId: string, request: ReplayRequest, title: string): Promise<Run | undefined> {
  const api = await readyApi(services.sidecar);
  const original = services.runsView.run(runId) ?? (await api.getRun(runId));
  if (original.status === 'running') {
    void vscode.window.showWarningMessage(`Run ${shortId(runId)} is still running: replay it once it has finished.`);
    return undefined;
  }
  const run = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `${title}…` }, () =>
    replayWithConsent(api, runId, request, askToRunCommand),
  );
  if (run === undefined) return undefined;
  services.output.info(`${title}: run ${run.id}`);
  try {
    await services.runsView.revealRun(run, { focus: false });
  } catch (error) {
    services.output.debug(`Could not reveal run ${run.id}: ${error instanceof Error ? error.message : String(error)}`);
  }
  // The new run opens as it starts: its graph grows live beside the code.
  await vscode.commands.executeCommand('runtrail.graph.open', { runId: run.id });
  void followReplay(services, original, run);
  return run;
}

/** A cancellable notification while the replay runs, then how it ended, offering the comparison (graph or text) and the run. */
async function followReplay(services: FeatureServices, original: Run, started: Run): Promise<void> {
  const ended = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: `Runtrail: ${started.forkedFromNode ? 'fork' : 'replay'} of run ${shortId(original.id)} running as ${shortId(started.id)}`,
      cancellable: true,
    },
    (_progress, token) => {
      token.onCancellationRequested(() => {
        services.sidecar
          .api()
          .cancelRun(started.id)
          .catch((error: unknown) => reportError(services.output, `Could not cancel run ${shortId(started.id)}`, error));
      });
      return whenRunEnds(services.sidecar, started.id);
    },
  );
  if (!ended) return;
  const compare = 'Compare Side by Side';
  const text = 'Text Diff';
  const show = 'Show Run';
  const what = `The ${ended.forkedFromNode ? 'fork' : 'replay'} of run ${shortId(original.id)} (run ${shortId(ended.id)})`;
  const choice =
    ended.status === 'error'
      ? await vscode.window.showErrorMessage(`${what} failed${ended.error ? `: ${errorText(ended.error)}` : ''}.`, compare, text, show)
      : await vscode.window.showInformationMessage(
          `${what} ${ended.status === 'ok' ? 'finished' : ended.status}${ended.durationMs === null ? '' : ` in ${formatDuration(ended.durationMs)}`}.`,
          compare,
          text,
          show,
        );
  if (choice === compare) await vscode.commands.executeCommand('runtrail.compareSideBySide', original.id, ended.id);
  else if (choice === text) await vscode.commands.executeCommand('runtrail.runs.compare', original.id, ended.id);
  else if (choice === show) await services.runsView.revealRun(ended.id, { focus: true });
}

async function chooseOption(services: FeatureServices, arg: unknown, label: string | undefined): Promise<Run | undefined> {
  const ref = await nodeRef(services, arg);
  if (!ref) return undefined;
  const node = await (await readyApi(services.sidecar)).node(ref.nodeId);
  if (!isDecision(node)) {
    void vscode.window.showWarningMessage(
      `Node ${node.name ?? node.id} is a ${node.kind}, not a decision: choose another option on a decision node (recorded by decide()).`,
    );
    return undefined;
  }
  if (!node.key) {
    void vscode.window.showWarningMessage(`Decision ${node.name ?? node.id} has no key, so a replay cannot find it again to override it.`);
    return undefined;
  }
  const options = decisionOptions(node);
  if (options.length === 0) {
    void vscode.window.showWarningMessage(`Decision ${node.name ?? node.id} recorded no options to choose from.`);
    return undefined;
  }
  let chosen = label;
  if (chosen === undefined) {
    const picked = await vscode.window.showQuickPick(
      options.map((option) => ({
        label: option.chosen ? `$(check) ${option.label}` : option.label,
        description: [option.chosen ? 'chosen in this run' : '', option.score === undefined ? '' : `score ${option.score}`]
          .filter(Boolean)
          .join(' · '),
        detail: option.rationale,
        option: option.label,
      })),
      { title: `Runtrail: replay run ${shortId(node.runId)} taking another option at ${node.name ?? node.key}`, matchOnDetail: true },
    );
    chosen = picked?.option;
  } else if (!options.some((option) => option.label === chosen)) {
    void vscode.window.showErrorMessage(
      `"${chosen}" is not an option of decision ${node.name ?? node.key}: ${options.map((o) => o.label).join(', ')}.`,
    );
    return undefined;
  }
  if (chosen === undefined) return undefined;
  return replay(
    services,
    node.runId,
    { overrides: { [node.key]: chosen } },
    `Replaying run ${shortId(node.runId)} with "${chosen}" at ${node.name ?? node.key}`,
  );
}

async function compare(services: FeatureServices, arg: unknown, other: unknown): Promise<vscode.TextDocument | undefined> {
  const firstId = runIdOf(arg) ?? services.runsView.selectedRunId() ?? (await pickRun(services));
  if (!firstId) return undefined;
  let a = firstId;
  let b = runIdOf(other);
  if (b === undefined) {
    const api = await readyApi(services.sidecar);
    const first = services.runsView.run(firstId) ?? (await api.getRun(firstId));
    const candidates = compareCandidates((await api.listRuns({ workflow: first.workflow, limit: 100 })).runs, first);
    if (candidates.length === 0) {
      void vscode.window.showInformationMessage(
        `Run ${shortId(first.id)} is the only run of ${first.workflow}: there is nothing to compare it with.`,
      );
      return undefined;
    }
    const now = Date.now();
    const picked = await vscode.window.showQuickPick(
      candidates.map((run) => ({
        label: `${run.workflow} ${formatStartTime(run.startedAt, now)}`,
        description: `${runDescription(run, run.nodeCount, now)}${run.replayOf === first.id ? ' · replay of this run' : first.replayOf === run.id ? ' · this run replays it' : ''}`,
        detail: run.id,
        run,
      })),
      { title: `Runtrail: compare run ${shortId(first.id)} with…`, matchOnDescription: true, matchOnDetail: true },
    );
    if (!picked) return undefined;
    [a, b] = compareOrder(first, picked.run).map((run) => run.id) as [string, string];
  }
  const document = await vscode.workspace.openTextDocument(DiffDocumentProvider.uriFor(a, b));
  await vscode.window.showTextDocument(document, { preview: true });
  return document;
}

/** The node and its run: from the argument, the Runs view's selected node, or the sidecar. */
async function nodeRef(services: FeatureServices, arg: unknown): Promise<Required<NodeRef> | undefined> {
  const [selected] = services.runsView.selection;
  const ref = nodeRefOf(arg) ?? (selected?.type === 'node' ? { nodeId: selected.nodeId, runId: selected.runId } : undefined);
  if (!ref) {
    void vscode.window.showInformationMessage('Select a node in the Runs view first (right-click it for replay actions).');
    return undefined;
  }
  const runId = ref.runId ?? (await (await readyApi(services.sidecar)).node(ref.nodeId)).runId;
  return { nodeId: ref.nodeId, runId };
}
