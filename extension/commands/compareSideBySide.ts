import * as vscode from 'vscode';
import type { Run } from '../../protocol/runs';
import { compareCandidates } from '../replay/replayChoices';
import { formatStartTime, runDescription, shortId } from '../views/format';
import { runIdOf } from './commandArgs';
import type { FeatureServices } from './featureServices';
import { pickRun } from './runCommands';
import { readyApi } from './sidecarReady';

/**
 * "Runtrail: Compare Runs Side by Side…" (issue 8): b's graph panel with run a beside it, a (the
 * base) on the left. Arguments: `(aRunId, bRunId)` (palette-free callers and the tests); a run
 * item from the Runs view (that run is b); or nothing: b is the selected run (else picked), then
 * a is picked among the other runs of b's workflow, the run b replays first. Resolves to
 * `{a, b}` once the panel was asked to compare, undefined when a pick was dismissed.
 */
export async function compareSideBySide(
  services: FeatureServices,
  first: unknown,
  second: unknown,
): Promise<{ readonly a: string; readonly b: string } | undefined> {
  const twoIds = typeof first === 'string' && typeof second === 'string';
  let a = twoIds ? runIdOf(first) : typeof first === 'string' ? runIdOf(first) : undefined;
  let b = twoIds ? runIdOf(second) : typeof first === 'string' ? undefined : runIdOf(first);
  b ??= services.runsView.selectedRunId() ?? (await pickRun(services));
  if (!b) return undefined;
  if (a === undefined) {
    a = await pickBase(services, b);
    if (a === undefined) return undefined;
  }
  if (a === b) {
    void vscode.window.showErrorMessage(`Run ${shortId(a)} cannot be compared with itself: choose two different runs.`);
    return undefined;
  }
  const api = await readyApi(services.sidecar);
  // Both must exist: a clear error here beats a page that says so later.
  await Promise.all([api.getRun(a), api.getRun(b)]);
  services.graphPanels.compare(a, b);
  return { a, b };
}

/** Run a for b: the other runs of b's workflow, newest first, with the run b replays on top. */
async function pickBase(services: FeatureServices, b: string): Promise<string | undefined> {
  const api = await readyApi(services.sidecar);
  const run = services.runsView.run(b) ?? (await api.getRun(b));
  const candidates = compareCandidates((await api.listRuns({ workflow: run.workflow, limit: 100 })).runs, run);
  const replayed = run.replayOf === null || run.replayOf === undefined ? undefined : candidates.find((c) => c.id === run.replayOf);
  const ordered: Run[] = replayed ? [replayed, ...candidates.filter((c) => c !== replayed)] : candidates;
  if (ordered.length === 0) {
    void vscode.window.showInformationMessage(
      `Run ${shortId(run.id)} is the only run of ${run.workflow}: there is nothing to compare it with.`,
    );
    return undefined;
  }
  const now = Date.now();
  const picked = await vscode.window.showQuickPick(
    ordered.map((candidate) => ({
      label: `${candidate.workflow} ${formatStartTime(candidate.startedAt, now)}`,
      description: `${runDescription(candidate, candidate.nodeCount, now)}${candidate === replayed ? ' · this run replays it' : ''}`,
      detail: candidate.id,
      id: candidate.id,
    })),
    {
      title: `Runtrail: compare run ${shortId(run.id)} (b, right) side by side with… (a, left)`,
      matchOnDescription: true,
      matchOnDetail: true,
    },
  );
  return picked?.id;
}
