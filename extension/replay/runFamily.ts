import type { RunFamily } from '../../protocol/replay';
import type { Run } from '../../protocol/runs';
import { formatStartTime, runDescription, runStatusIcon, shortId } from '../views/format';

/**
 * What "Show Run Family" and "Compare with Latest Run on Branch…" offer to pick from. Pure (no
 * vscode), so it is unit-tested.
 */

export interface FamilyPick {
  readonly label: string;
  readonly description: string;
  readonly detail: string;
  readonly runId: string;
}

/** Quick picks trim leading spaces from a label; non-breaking ones keep the indentation. */
const indentUnit = '\u00a0\u00a0\u00a0\u00a0';

/** The family as an indented list in tree order: `$(pass) 12:03:04`, then `    └ $(error) fork at n_3 · 12:05:10`. */
export function familyPicks(family: RunFamily, currentId: string, now: number): FamilyPick[] {
  return family.runs.map(({ run, depth }) => {
    const indent = depth === 0 ? '' : `${indentUnit.repeat(depth - 1)}└ `;
    const what = run.replayOf === null ? 'original' : run.forkedFromNode === null ? 'replay' : `fork at ${shortId(run.forkedFromNode)}`;
    const time = formatStartTime(run.startedAt, now) || shortId(run.id);
    return {
      label: `${indent}$(${runStatusIcon(run.status).icon}) ${what} · ${time}`,
      description: `${runDescription(run, run.nodeCount, now)}${run.id === currentId ? ' · this run' : ''}`,
      detail: run.id,
      runId: run.id,
    };
  });
}

export interface BranchChoice {
  readonly branch: string;
  /** The newest run on the branch among those looked at (never the run being compared). */
  readonly newest: Run;
  readonly runs: number;
}

/**
 * The branches that have runs other than `run` among `runs` (one workflow's runs), newest run
 * first; runs without a branch are left out.
 */
export function branchChoices(runs: readonly Run[], run: Pick<Run, 'id'>): BranchChoice[] {
  const byBranch = new Map<string, { newest: Run; runs: number }>();
  for (const other of runs) {
    const branch = other.git?.branch;
    if (!branch || other.id === run.id) continue;
    const entry = byBranch.get(branch);
    if (!entry) byBranch.set(branch, { newest: other, runs: 1 });
    else byBranch.set(branch, { newest: newer(entry.newest, other), runs: entry.runs + 1 });
  }
  return [...byBranch.entries()]
    .map(([branch, entry]) => ({ branch, ...entry }))
    .sort((x, y) => startTime(y.newest) - startTime(x.newest) || (x.branch < y.branch ? -1 : 1));
}

/** The newest of `runs` that is not `run` (what a branch's "latest run" means when comparing `run` with it). */
export function newestOther(runs: readonly Run[], run: Pick<Run, 'id'>): Run | undefined {
  return runs.filter((other) => other.id !== run.id).reduce<Run | undefined>((x, y) => (x ? newer(x, y) : y), undefined);
}

const startTime = (run: Pick<Run, 'startedAt'>) => Date.parse(run.startedAt) || 0;
const newer = (x: Run, y: Run) => (startTime(y) > startTime(x) || (startTime(y) === startTime(x) && y.id > x.id) ? y : x);
