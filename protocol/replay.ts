import { z } from 'zod';
import { Id, NodeStatus, Run } from './runs';

/**
 * Replay and fork (DESIGN.md "Runner, replay, fork, decisions"): the recording an SDK fetches once
 * when RUNTRAIL_REPLAY_OF is set, and the request that starts a replay. Both SDKs build against
 * these shapes, so fields are only ever added.
 */

/** Names the runner sets in a replay's environment, besides the usual RUNTRAIL_* ones. */
export const replayEnvNames = {
  replayOf: 'RUNTRAIL_REPLAY_OF',
  until: 'RUNTRAIL_REPLAY_UNTIL',
  overrides: 'RUNTRAIL_OVERRIDES',
} as const;

export const RecordedQuery = z.strictObject({
  /** The fork node: nodes at or after it (by seq), and its ancestors, are not served from the recording. */
  until: Id.optional(),
});
export type RecordedQuery = z.infer<typeof RecordedQuery>;

export const RecordedNode = z.object({
  id: z.string(),
  key: z.string(),
  kind: z.string(),
  status: NodeStatus,
  output: z.unknown().nullable(),
  error: z.unknown().nullable(),
  /**
   * Whether a replay may return this node's recorded output (or re-raise its error) instead of
   * running it: finished (ok or error), and with `until`, before the fork node and not one of its
   * ancestors (those must run live so the fork node runs at all).
   */
  replay: z.boolean(),
});
export type RecordedNode = z.infer<typeof RecordedNode>;

export const RecordedResponse = z.object({
  runId: z.string(),
  untilNodeId: z.string().nullable(),
  /** Every node of the run that has a key, in seq order. */
  nodes: z.array(RecordedNode),
});
export type RecordedResponse = z.infer<typeof RecordedResponse>;

export const ReplayRequest = z.strictObject({
  /** Fork here: the replay goes live from this node of the run on. */
  untilNodeId: Id.optional(),
  /** Decision key -> the option label `decide()` must return instead of asking `choose`. */
  overrides: z.record(z.string().min(1).max(4096), z.string().min(1).max(1000)).optional(),
  /**
   * Replay a run whose command is not a workflow of this workspace's runtrail.json (a script run
   * from a terminal with the SDK, or a run recorded by another machine in team mode). A replay
   * executes the recorded argv on this machine, so without this flag such a replay is refused
   * (403, details.reason `undeclared_command`) and the client asks its user first.
   */
  allowUndeclaredCommand: z.boolean().optional(),
});
export type ReplayRequest = z.input<typeof ReplayRequest>;

/** `details` of the 403 a replay of an undeclared command gets. */
export const UndeclaredCommandDetails = z.object({
  reason: z.literal('undeclared_command'),
  command: z.array(z.string()),
  cwd: z.string(),
});
export type UndeclaredCommandDetails = z.infer<typeof UndeclaredCommandDetails>;

// ---- diff -------------------------------------------------------------------------------------

export const DiffParams = z.object({ runId: Id, otherRunId: Id });

/** One side of a matched pair: the node of run a or of run b. */
export const DiffSide = z.object({
  id: z.string(),
  kind: z.string(),
  name: z.string().nullable(),
  status: NodeStatus,
  seq: z.number().nullable(),
  durationMs: z.number().nullable(),
  replayed: z.boolean(),
  diverged: z.boolean(),
});
export type DiffSide = z.infer<typeof DiffSide>;

export const NodeChange = z.enum(['added', 'removed', 'changed', 'same']);
export type NodeChange = z.infer<typeof NodeChange>;

export const NodeDiff = z.object({
  key: z.string(),
  /** added: only in b; removed: only in a; changed: status, output or error differ (timings never count). */
  change: NodeChange,
  a: DiffSide.nullable(),
  b: DiffSide.nullable(),
  statusChanged: z.boolean(),
  /** Outputs compared as JSON values (object key order does not matter). */
  outputChanged: z.boolean(),
  errorChanged: z.boolean(),
  /** b's duration minus a's, when both have one. */
  durationDeltaMs: z.number().nullable(),
  /** Both outputs, only when they differ (for a JSON diff view). */
  output: z.object({ a: z.unknown(), b: z.unknown() }).optional(),
});
export type NodeDiff = z.infer<typeof NodeDiff>;

/**
 * One matched key in words for the text views of a diff (`runtrail diff`, VS Code's diff
 * document): the node's kind and name, and what changed. Each view formats durations its own way.
 */
export function describeNodeDiff(node: NodeDiff, signedDuration: (ms: number) => string): { what: string; facts: string[] } {
  const side = node.b ?? node.a;
  const what = [side?.kind, side?.name].filter(Boolean).join(' ');
  const facts: string[] = [];
  if (node.statusChanged) facts.push(`status ${node.a?.status} → ${node.b?.status}`);
  if (node.outputChanged) facts.push('output changed');
  if (node.errorChanged) facts.push('error changed');
  if (node.b?.replayed) facts.push('replayed');
  if (node.b?.diverged) facts.push('diverged');
  if (node.durationDeltaMs !== null && node.durationDeltaMs !== 0) facts.push(signedDuration(node.durationDeltaMs));
  return { what, facts };
}

export const RunDiff = z.object({
  a: z.string(),
  b: z.string(),
  /**
   * Where b first departs from a: the first added or changed key in b's seq order; when b only
   * lacks nodes, the first removed key in a's seq order. Null when the runs match.
   */
  firstDivergence: z
    .object({ key: z.string(), change: NodeChange, aNodeId: z.string().nullable(), bNodeId: z.string().nullable() })
    .nullable(),
  counts: z.object({ added: z.number(), removed: z.number(), changed: z.number(), same: z.number() }),
  /** b's run duration minus a's, when both finished. */
  durationDeltaMs: z.number().nullable(),
  /** Every key of either run: b's nodes in seq order, then the removed ones in a's seq order. */
  nodes: z.array(NodeDiff),
});
export type RunDiff = z.infer<typeof RunDiff>;

// ---- family -----------------------------------------------------------------------------------

/** One run of a family: `parentId` is the run it replays (null for the original), `depth` its generation. */
export const FamilyMember = z.object({
  run: Run,
  parentId: z.string().nullable(),
  depth: z.number().int().nonnegative(),
});
export type FamilyMember = z.infer<typeof FamilyMember>;

export const RunFamily = z.object({
  /** The original: `replayOf` followed up to the first run that replays nothing (or whose original was deleted). */
  rootId: z.string(),
  /** Tree order: the root first, each run before its replays, siblings by startedAt (then id). */
  runs: z.array(FamilyMember),
});
export type RunFamily = z.infer<typeof RunFamily>;
