import type { Run, RunPage } from '../../protocol/runs';
import type { NodeDelta } from '../services';

/**
 * The runs the Runs view knows, grouped by workflow or by git branch. Pure (no vscode): the view
 * asks it what to show and tells it what the sidecar said.
 *
 * Paging has two levels. The newest runs overall (`GET /api/runs`, pages of 50) discover the
 * groups; a top-level "Load more…" fetches older ones. A group whose runs may go beyond what
 * discovery brought asks for its own pages (`?workflow=` / `?branch=`) when it is expanded, with
 * its own "Load more…". Runs are deduplicated by id, so the two kinds of page overlap safely.
 */
export type GroupBy = 'workflow' | 'branch';

export interface RunGroup {
  readonly key: string;
  readonly label: string;
  /** The list filter that selects exactly this group's runs; undefined when none can (no branch). */
  readonly filter: { readonly workflow?: string; readonly branch?: string } | undefined;
}

interface GroupState extends RunGroup {
  readonly runs: Map<string, Run>;
  /** undefined: never paged on its own; null: all its runs are here; a string: the next page. */
  cursor: string | null | undefined;
}

export const noBranchLabel = '(no branch)';

export class RunList {
  private readonly groupsByKey = new Map<string, GroupState>();
  private readonly groupOfRun = new Map<string, string>();
  /** Node ids seen live per running run whose tree is not loaded, to count nodes as they come. */
  private readonly liveNodes = new Map<string, Set<string>>();
  /** undefined until the first page arrives. */
  private discoveryCursor: string | null | undefined;

  constructor(readonly groupBy: GroupBy) {}

  get loaded(): boolean {
    return this.discoveryCursor !== undefined;
  }

  /** Cursor of the next page of all runs, null when there is none. */
  get nextCursor(): string | null {
    return this.discoveryCursor ?? null;
  }

  get size(): number {
    return this.groupOfRun.size;
  }

  groupKeyOf(run: Pick<Run, 'workflow' | 'git'>): string {
    return this.groupBy === 'workflow' ? `workflow:${run.workflow}` : `branch:${run.git.branch ?? ''}`;
  }

  /** A page of all runs (the first when the list is empty). */
  addPage(page: RunPage): void {
    for (const run of page.runs) this.upsert(run);
    this.discoveryCursor = page.nextCursor;
  }

  /** A page of one group's own runs. */
  addGroupPage(groupKey: string, page: RunPage): void {
    for (const run of page.runs) this.upsert(run);
    const group = this.groupsByKey.get(groupKey);
    if (group) group.cursor = page.nextCursor;
  }

  /**
   * What a group's "Load more…" fetches: its own next page, the list of all runs (a group no
   * filter can select), or nothing when every run of the group is here.
   */
  moreOf(groupKey: string): { kind: 'group'; cursor: string | undefined } | { kind: 'all' } | undefined {
    const group = this.groupsByKey.get(groupKey);
    if (!group) return undefined;
    if (typeof group.cursor === 'string') return { kind: 'group', cursor: group.cursor };
    if (group.cursor === null || this.nextCursor === null) return undefined;
    return group.filter ? { kind: 'group', cursor: undefined } : { kind: 'all' };
  }

  /** True when expanding the group should first fetch its own first page. */
  needsFirstGroupPage(groupKey: string): boolean {
    const group = this.groupsByKey.get(groupKey);
    return group !== undefined && group.cursor === undefined && group.filter !== undefined && this.nextCursor !== null;
  }

  groups(): RunGroup[] {
    return [...this.groupsByKey.values()]
      .map(({ key, label, filter }) => ({ key, label, filter }))
      .sort((a, b) => {
        if (a.label === noBranchLabel) return 1;
        if (b.label === noBranchLabel) return -1;
        return a.label.localeCompare(b.label);
      });
  }

  group(key: string): RunGroup | undefined {
    const group = this.groupsByKey.get(key);
    return group && { key: group.key, label: group.label, filter: group.filter };
  }

  /** Newest first, as the API lists them (startedAt, then id, both descending). */
  runsIn(groupKey: string): Run[] {
    return [...(this.groupsByKey.get(groupKey)?.runs.values() ?? [])].sort(newestFirst);
  }

  get(runId: string): Run | undefined {
    const key = this.groupOfRun.get(runId);
    return key === undefined ? undefined : this.groupsByKey.get(key)?.runs.get(runId);
  }

  groupOf(runId: string): string | undefined {
    return this.groupOfRun.get(runId);
  }

  /** Adds or replaces a run; says whether a group appeared or the run is new to its group. */
  upsert(run: Run): { groupKey: string; groupAdded: boolean; runAdded: boolean; groupRemoved?: string } {
    const groupKey = this.groupKeyOf(run);
    const previous = this.groupOfRun.get(run.id);
    let groupRemoved: string | undefined;
    if (previous !== undefined && previous !== groupKey) groupRemoved = this.remove(run.id)?.groupRemoved ? previous : undefined;
    let group = this.groupsByKey.get(groupKey);
    const groupAdded = group === undefined;
    if (!group) {
      group = { ...this.describeGroup(run), runs: new Map(), cursor: undefined };
      this.groupsByKey.set(groupKey, group);
    }
    const runAdded = !group.runs.has(run.id);
    group.runs.set(run.id, run);
    this.groupOfRun.set(run.id, groupKey);
    if (run.status !== 'running') this.liveNodes.delete(run.id);
    return { groupKey, groupAdded, runAdded, ...(groupRemoved === undefined ? {} : { groupRemoved }) };
  }

  remove(runId: string): { groupKey: string; groupRemoved: boolean } | undefined {
    const groupKey = this.groupOfRun.get(runId);
    if (groupKey === undefined) return undefined;
    this.groupOfRun.delete(runId);
    this.liveNodes.delete(runId);
    const group = this.groupsByKey.get(groupKey);
    group?.runs.delete(runId);
    const groupRemoved = group !== undefined && group.runs.size === 0;
    if (groupRemoved) this.groupsByKey.delete(groupKey);
    return { groupKey, groupRemoved };
  }

  /**
   * Counts a node that arrived live for a run whose tree is not loaded. True when the count
   * grew. Only a node's first record carries `seq`/`kind`, so updates are not counted twice.
   */
  noteNode(delta: NodeDelta): boolean {
    const run = this.get(delta.runId);
    if (run?.status !== 'running' || (delta.seq === undefined && delta.kind === undefined)) return false;
    const seen = this.liveNodes.get(run.id) ?? new Set<string>();
    this.liveNodes.set(run.id, seen);
    if (seen.has(delta.id)) return false;
    seen.add(delta.id);
    return true;
  }

  /** The run's node count: the last one the sidecar reported, plus nodes seen live since. */
  nodeCount(runId: string): number {
    return (this.get(runId)?.nodeCount ?? 0) + (this.liveNodes.get(runId)?.size ?? 0);
  }

  private describeGroup(run: Run): RunGroup {
    if (this.groupBy === 'workflow') return { key: this.groupKeyOf(run), label: run.workflow, filter: { workflow: run.workflow } };
    const branch = run.git.branch;
    return branch
      ? { key: this.groupKeyOf(run), label: branch, filter: { branch } }
      : { key: this.groupKeyOf(run), label: noBranchLabel, filter: undefined };
  }
}

export function newestFirst(a: Run, b: Run): number {
  if (a.startedAt !== b.startedAt) return Date.parse(b.startedAt) - Date.parse(a.startedAt);
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}
