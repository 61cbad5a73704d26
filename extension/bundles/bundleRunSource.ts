import type { ParsedBundle, ParsedBundleNode } from '../../protocol/bundle';
import { emptyNodeSummary } from '../../protocol/nodeDelta';
import type { RunDiff } from '../../protocol/replay';
import type { FlatTree, Node, NodeSummary, Run, RunDetail } from '../../protocol/runs';
import { SidecarRequestError } from '../services';

/** What a bundle panel answers replay and compare requests with. */
export const bundleReadOnlyMessage = 'opened from a bundle file: import it (Runtrail: Import Run Bundle) to replay or compare';

/**
 * A run read from a bundle file, answering what the run graph panel asks the sidecar for (tree,
 * node, run list) from the file instead: the panel's run source when a bundle is opened without
 * importing it. Replay and compare need a sidecar that has the run, so they answer an error.
 * Pure (no vscode), so it is unit-tested.
 */
export class BundleRunSource {
  readonly runId: string;
  readonly run: Run;
  private readonly summaries: NodeSummary[];
  private readonly nodes = new Map<string, Node>();

  constructor(
    bundle: ParsedBundle,
    /** Where it came from, for messages. */
    readonly origin: string,
  ) {
    this.runId = bundle.run.id;
    const byId = new Map(bundle.nodes.map((n) => [n.id, n]));
    const real = bundle.nodes.map((n) => toNode(n, this.runId));
    // Parents without a line of their own are placeholders, listed last (as the stores list them).
    const placeholders = [...new Set(bundle.nodes.flatMap((n) => (n.parentId !== null && !byId.has(n.parentId) ? [n.parentId] : [])))]
      .sort()
      .map((id) => placeholder(id, this.runId));
    for (const node of [...real, ...placeholders]) this.nodes.set(node.id, node);
    this.summaries = [...real, ...placeholders].map(({ input: _i, output: _o, attributes: _a, ...summary }) => summary);
    const sum = (field: 'tokensIn' | 'tokensOut' | 'costUsd') => real.reduce((total, n) => total + (n[field] ?? 0), 0);
    const r = bundle.run;
    this.run = {
      id: r.id,
      workflow: r.workflow,
      status: r.status,
      startedAt: iso(r.startedAt) as string,
      endedAt: iso(r.endedAt),
      durationMs: r.endedAt === null ? null : r.endedAt - r.startedAt,
      error: r.error,
      command: r.command,
      cwd: r.cwd,
      git: r.git,
      labels: r.labels,
      replayOf: r.replayOf,
      forkedFromNode: r.forkedFromNode,
      nodeCount: this.summaries.length,
      tokensIn: sum('tokensIn'),
      tokensOut: sum('tokensOut'),
      costUsd: Math.round(sum('costUsd') * 1e9) / 1e9,
    };
  }

  async tree(runId: string): Promise<FlatTree> {
    this.requireRun(runId);
    return { run: this.run, format: 'flat', nodes: this.summaries };
  }

  async getRun(runId: string): Promise<RunDetail> {
    this.requireRun(runId);
    const byStatus: Record<string, number> = {};
    const byKind: Record<string, number> = {};
    let total = 0;
    for (const node of this.summaries) {
      if (node.placeholder) continue;
      total++;
      byStatus[node.status] = (byStatus[node.status] ?? 0) + 1;
      byKind[node.kind] = (byKind[node.kind] ?? 0) + 1;
    }
    return { ...this.run, counts: { total, byStatus, byKind } };
  }

  async node(nodeId: string): Promise<Node> {
    const node = this.nodes.get(nodeId);
    if (!node) throw new SidecarRequestError(404, 'not_found', `No node ${nodeId} in the bundle ${this.origin}.`);
    return node;
  }

  async listRuns(): Promise<{ runs: Run[]; nextCursor: null }> {
    return { runs: [this.run], nextCursor: null };
  }

  async replayRun(): Promise<Run> {
    throw new SidecarRequestError(400, 'invalid', `Run ${this.runId} was ${bundleReadOnlyMessage}.`);
  }

  async diffRuns(): Promise<RunDiff> {
    throw new SidecarRequestError(400, 'invalid', `Run ${this.runId} was ${bundleReadOnlyMessage}.`);
  }

  private requireRun(runId: string): void {
    if (runId !== this.runId) {
      throw new SidecarRequestError(404, 'not_found', `Run ${runId} is not in the bundle ${this.origin} (it holds run ${this.runId}).`);
    }
  }
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function toNode(n: ParsedBundleNode, runId: string): Node {
  return {
    id: n.id,
    runId,
    parentId: n.parentId,
    key: n.key,
    kind: n.kind,
    name: n.name,
    status: n.status,
    seq: n.seq,
    startedAt: iso(n.startedAt),
    endedAt: iso(n.endedAt),
    durationMs: n.endedAt === null ? null : n.endedAt - n.startedAt,
    error: n.error ?? null,
    tokensIn: n.tokensIn,
    tokensOut: n.tokensOut,
    costUsd: n.costUsd,
    source: n.source,
    replayed: n.replayed,
    diverged: n.diverged,
    placeholder: false,
    input: n.input ?? null,
    output: n.output ?? null,
    attributes: n.attributes ?? null,
  };
}

/** A parent the bundle names but has no line for (see protocol/bundle.ts "Placeholders"). */
function placeholder(id: string, runId: string): Node {
  return { ...emptyNodeSummary(runId, id, true), input: null, output: null, attributes: null };
}
