import * as vscode from 'vscode';
import type { Run } from '../../protocol/runs';
import type { Workflow } from '../../protocol/workflows';
import { errorText, formatDuration, shortId } from '../views/format';
import { workflowNameOf } from './commandArgs';
import type { FeatureServices } from './featureServices';
import { reportError } from './reportError';
import { whenRunEnds } from './runEnd';
import { readyApi } from './sidecarReady';
import { inputPrompts, validateInput } from './workflowInputs';

/**
 * `runtrail.workflow.run`: from the Workflows view's play button (the workflow element), the
 * palette (a quick pick), or code (`executeCommand('runtrail.workflow.run', 'triage', {inputs})`).
 * Asks each `${input:…}` not given, starts the run with progress, reveals it in the Runs view,
 * shows a spinner in the status bar while it runs and says how it ended. Resolves to the started
 * run (undefined when cancelled or failed to start).
 */
export interface RunWorkflowOptions {
  readonly inputs?: Readonly<Record<string, string>>;
}

export function registerWorkflowCommands(services: FeatureServices): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('runtrail.workflow.run', async (arg?: unknown, options?: RunWorkflowOptions) => {
      try {
        return await runWorkflow(services, workflowNameOf(arg), options ?? {});
      } catch (error) {
        reportError(services.output, `Could not start workflow${workflowNameOf(arg) ? ` ${workflowNameOf(arg)}` : ''}`, error);
        return undefined;
      }
    }),
  ];
}

async function runWorkflow(services: FeatureServices, name: string | undefined, options: RunWorkflowOptions): Promise<Run | undefined> {
  const api = await readyApi(services.sidecar);
  const { configFile, workflows } = await api.listWorkflows();
  const workflow = name ? workflows.find((candidate) => candidate.name === name) : await pickWorkflow(workflows, configFile);
  if (!workflow) {
    if (name) {
      void vscode.window.showErrorMessage(
        configFile
          ? `There is no workflow named "${name}" in ${configFile}.`
          : `There is no workflow named "${name}": this workspace has no runtrail.json.`,
      );
    }
    return undefined;
  }
  const inputs: Record<string, string> = { ...options.inputs };
  for (const prompt of inputPrompts(workflow, inputs)) {
    const value = await vscode.window.showInputBox({
      title: prompt.title,
      prompt: prompt.prompt,
      value: prompt.value,
      ignoreFocusOut: true,
      validateInput: (text) => validateInput(prompt, text),
    });
    if (value === undefined) return undefined;
    inputs[prompt.name] = value;
  }
  const run = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Starting workflow ${workflow.name}…` },
    () => api.startWorkflow(workflow.name, { inputs }),
  );
  services.output.info(`Started workflow ${workflow.name}: run ${run.id}`);
  try {
    await services.runsView.revealRun(run, { focus: false });
  } catch (error) {
    services.output.debug(`Could not reveal run ${run.id}: ${error instanceof Error ? error.message : String(error)}`);
  }
  void followRun(services, run);
  return run;
}

async function pickWorkflow(workflows: readonly Workflow[], configFile: string | null): Promise<Workflow | undefined> {
  if (workflows.length === 0) {
    void vscode.window.showInformationMessage(
      configFile
        ? `${configFile} declares no workflows.`
        : 'This workspace has no runtrail.json: declare workflows in it to run them from here (see the Runtrail README).',
    );
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    workflows.map((workflow) => ({
      label: workflow.name,
      description: workflow.description ?? '',
      detail: workflow.command.join(' '),
      workflow,
    })),
    { title: 'Runtrail: run a workflow', matchOnDetail: true },
  );
  return picked?.workflow;
}

/** A status bar spinner until the run ends, then one message saying how it ended. */
function followRun(services: FeatureServices, started: Run): Promise<void> {
  return Promise.resolve(
    vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Runtrail: ${started.workflow} running` }, () =>
      whenRunEnds(services.sidecar, started.id),
    ),
  ).then((run) => {
    if (run) void announce(services, run);
  });
}

async function announce(services: FeatureServices, run: Run): Promise<void> {
  const show = 'Show Run';
  const panel = 'Open Run Panel';
  const what = `Workflow ${run.workflow} (run ${shortId(run.id)})`;
  const choice =
    run.status === 'error'
      ? await vscode.window.showErrorMessage(`${what} failed${run.error ? `: ${errorText(run.error)}` : ''}.`, show, panel)
      : await vscode.window.showInformationMessage(
          `${what} ${run.status === 'ok' ? 'finished' : run.status}${run.durationMs === null ? '' : ` in ${formatDuration(run.durationMs)}`}.`,
          show,
          panel,
        );
  if (choice === show) await services.runsView.revealRun(run.id, { focus: true });
  else if (choice === panel) await vscode.commands.executeCommand('runtrail.graph.open', { runId: run.id });
}
