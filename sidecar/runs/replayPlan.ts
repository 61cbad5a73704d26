import { type RecordedNode, replayEnvNames } from '../../protocol/replay';
import { DomainError } from '../errors';
import { toNode } from '../store/rowMapping';
import type { NodeRow, RunRow } from '../store/runStore';

/**
 * The rules of replay and fork (DESIGN.md "Runner, replay, fork, decisions"), without I/O: which
 * recorded nodes a replay may serve back, and what to spawn for a replay. The routes load the rows;
 * everything decided about them is decided here.
 */

/** Where a fork goes live: the node, its seq, and its ancestors (which must run live too). */
export interface ForkPoint {
  readonly nodeId: string;
  readonly seq: number | null;
  readonly ancestorIds: ReadonlySet<string>;
}

/** The fork point of `node`, given its path from the root (as RunStore.pathToRoot returns it). */
export function forkPointOf(node: Pick<NodeRow, 'id' | 'seq'>, pathFromRoot: readonly Pick<NodeRow, 'id'>[]): ForkPoint {
  return { nodeId: node.id, seq: node.seq, ancestorIds: new Set(pathFromRoot.map((n) => n.id).filter((id) => id !== node.id)) };
}

/**
 * Whether a replay may serve this node from the recording. Only finished nodes (ok or error: a
 * recorded error is re-raised) qualify. With a fork point, only nodes started before it (lower seq)
 * that are not its ancestors: an ancestor served from the recording would skip its body, and the
 * fork node inside it would never run. Without a seq the order is unknown, so such nodes run live.
 */
export function mayReplay(node: Pick<NodeRow, 'id' | 'status' | 'seq'>, fork?: ForkPoint): boolean {
  if (node.status !== 'ok' && node.status !== 'error') return false;
  if (fork === undefined) return true;
  if (node.seq === null || fork.seq === null) return false;
  return node.seq < fork.seq && !fork.ancestorIds.has(node.id);
}

/** GET /recorded's nodes: every keyed row (in the order given), with its replay verdict. */
export function recordedNodes(keyed: readonly NodeRow[], fork?: ForkPoint): RecordedNode[] {
  const nodes: RecordedNode[] = [];
  for (const row of keyed) {
    if (row.key === null) continue;
    const node = toNode(row);
    nodes.push({
      id: row.id,
      key: row.key,
      kind: row.kind,
      status: row.status,
      output: node.output,
      error: node.error,
      replay: mayReplay(row, fork),
    });
  }
  return nodes;
}

/** What the runner spawns for a replay, and how the new run is linked to the original. */
export interface ReplayLaunch {
  readonly argv: string[];
  readonly cwd: string;
  readonly env: Record<string, string>;
  readonly forkedFromNode: string | undefined;
}

/**
 * Plans a replay of `run`: its recorded argv in its recorded cwd, with the replay variables.
 * `untilNode` is the fork node when the request named one (already checked to be of this run);
 * `keyed` are the run's keyed nodes, where overridden decisions are looked up. A single override
 * without an explicit fork point forks at that decision, so the decision and its ancestors run live.
 */
export function planReplay(
  run: Pick<RunRow, 'id' | 'command' | 'cwd'>,
  request: { readonly untilNode?: Pick<NodeRow, 'id'>; readonly overrides?: Readonly<Record<string, string>> },
  keyed: readonly NodeRow[],
): ReplayLaunch {
  const argv = recordedArgv(run.command);
  if (argv === undefined || run.cwd === null) {
    throw new DomainError(
      'unprocessable',
      `Run ${run.id} cannot be replayed: it has no recorded ${argv === undefined ? 'command as an argument list' : 'working directory'} (it was not started by the runner or an SDK); start its workflow again instead.`,
      { command: run.command === null ? null : safeParse(run.command), cwd: run.cwd },
    );
  }
  const overrides = Object.entries(request.overrides ?? {});
  const decisions = overrides.map(([key, label]) => overriddenDecision(run.id, keyed, key, label));
  const forkedFromNode = request.untilNode?.id ?? (decisions.length === 1 ? decisions[0]?.id : undefined);
  const env: Record<string, string> = { [replayEnvNames.replayOf]: run.id };
  if (forkedFromNode !== undefined) env[replayEnvNames.until] = forkedFromNode;
  if (overrides.length > 0) env[replayEnvNames.overrides] = JSON.stringify(Object.fromEntries(overrides));
  return { argv, cwd: run.cwd, env, forkedFromNode };
}

/** The decision node an override names, checked: a decision of the run, and a label among its options. */
function overriddenDecision(runId: string, keyed: readonly NodeRow[], key: string, label: string): NodeRow {
  const decision = keyed.find((node) => node.key === key && node.kind === 'decision');
  if (decision === undefined) {
    const other = keyed.find((node) => node.key === key);
    throw new DomainError(
      'invalid',
      other === undefined
        ? `Cannot override ${JSON.stringify(key)}: run ${runId} has no node with that key.`
        : `Cannot override ${JSON.stringify(key)}: it is a ${other.kind} node of run ${runId}, not a decision.`,
      { key },
    );
  }
  const labels = optionLabels(decision.attributes);
  if (!labels.includes(label)) {
    throw new DomainError(
      'invalid',
      labels.length === 0
        ? `Cannot override decision ${JSON.stringify(key)}: its node ${decision.id} recorded no options.`
        : `Cannot override decision ${JSON.stringify(key)} with ${JSON.stringify(label)}: its options are ${labels.map((l) => JSON.stringify(l)).join(', ')}.`,
      { key, label, options: labels },
    );
  }
  return decision;
}

/** The labels of a decision's `attributes.options` (`[{label, …}]`; plain strings tolerated). */
export function optionLabels(attributes: string | null): string[] {
  const options = (safeParse(attributes) as { options?: unknown } | null)?.options;
  if (!Array.isArray(options)) return [];
  return options.flatMap((option: unknown) => {
    const label = typeof option === 'string' ? option : (option as { label?: unknown } | null)?.label;
    return typeof label === 'string' ? [label] : [];
  });
}

function recordedArgv(command: string | null): string[] | undefined {
  const parsed = safeParse(command);
  if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((arg) => typeof arg === 'string') || parsed[0] === '')
    return undefined;
  return parsed;
}

function safeParse(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
