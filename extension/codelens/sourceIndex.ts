import { sourceOf } from '../../protocol/nodeDelta';
import type { NodeStatus, NodeSummary } from '../../protocol/runs';
import type { NodeDelta } from '../services';
import { formatDuration } from '../views/format';

/**
 * Which source lines emitted nodes in the recent runs: recorded file → line → how many runs, and
 * what the latest one did there. Filled once from the last runs' flat trees, then kept current by
 * live node deltas, so a CodeLens request never goes to the sidecar. Pure (no vscode).
 *
 * Files are kept as recorded (absolute paths of the machine that ran the workflow); the CodeLens
 * provider decides which recorded files an open document is (sourcePaths.documentMatchesRecorded).
 */
export interface LineSummary {
  /** 1-based, as recorded. */
  readonly line: number;
  /** Distinct runs that emitted a node on this line. */
  readonly runs: number;
  /** The node of the newest run on this line (the last one it started there). */
  readonly last: { readonly runId: string; readonly nodeId: string; readonly status: NodeStatus; readonly durationMs: number | null };
}

interface IndexedNode {
  file: string;
  line: number;
  status: NodeStatus;
  seq: number | null;
  startedAt: string | null;
  endedAt: string | null;
  durationMs: number | null;
}

interface IndexedRun {
  readonly id: string;
  /** Epoch ms: orders runs newest first and picks which to forget. */
  readonly startedAt: number;
  /** Nodes with a source, by id. */
  readonly nodes: Map<string, IndexedNode>;
}

export class SourceIndex {
  private readonly runs = new Map<string, IndexedRun>();
  private changes = 0;

  constructor(
    /** How many runs to remember; the oldest is forgotten when a newer one arrives. */
    readonly maxRuns = 20,
  ) {}

  /** Grows on every change, so callers can cache what they derived. */
  get version(): number {
    return this.changes;
  }

  clear(): void {
    if (this.runs.size > 0) this.changes++;
    this.runs.clear();
  }

  hasRun(runId: string): boolean {
    return this.runs.has(runId);
  }

  /** A run's whole (flat) tree; replaces what was known of it. */
  addRun(run: { readonly id: string; readonly startedAt: string }, nodes: readonly NodeSummary[]): void {
    const indexed: IndexedRun = { id: run.id, startedAt: Date.parse(run.startedAt) || 0, nodes: new Map() };
    for (const node of nodes) {
      if (!node.source) continue;
      indexed.nodes.set(node.id, {
        file: node.source.file,
        line: node.source.line,
        status: node.status,
        seq: node.seq,
        startedAt: node.startedAt,
        endedAt: node.endedAt,
        durationMs: node.durationMs,
      });
    }
    this.runs.set(run.id, indexed);
    this.forgetOldRuns();
    this.changes++;
  }

  removeRun(runId: string): void {
    if (this.runs.delete(runId)) this.changes++;
  }

  /**
   * Applies a live upsert. A node's first record carries its source; later ones (its end) only
   * update status and timing. A run not seen yet joins the index as the newest (`now`).
   * True when the index changed.
   */
  applyDelta(delta: NodeDelta, now: number): boolean {
    const source = sourceOf(delta.source);
    let run = this.runs.get(delta.runId);
    const existing = run?.nodes.get(delta.id);
    if (!source && !existing) return false;
    if (!run) {
      run = { id: delta.runId, startedAt: now, nodes: new Map() };
      this.runs.set(run.id, run);
      this.forgetOldRuns();
      if (!this.runs.has(run.id)) return false;
    }
    const node: IndexedNode = existing ?? {
      file: '',
      line: 0,
      status: 'running',
      seq: null,
      startedAt: null,
      endedAt: null,
      durationMs: null,
    };
    if (source) {
      node.file = source.file;
      node.line = source.line;
    }
    const status = delta.status;
    if ((status === 'ok' || status === 'error' || status === 'cancelled') && node.status === 'running') node.status = status;
    if (typeof delta.seq === 'number' && node.seq === null) node.seq = delta.seq;
    if (typeof delta.startedAt === 'string' && node.startedAt === null) node.startedAt = delta.startedAt;
    if (typeof delta.endedAt === 'string' && node.endedAt === null) node.endedAt = delta.endedAt;
    if (node.startedAt !== null && node.endedAt !== null)
      node.durationMs = Math.max(0, Date.parse(node.endedAt) - Date.parse(node.startedAt));
    run.nodes.set(delta.id, node);
    this.changes++;
    return true;
  }

  /** Every recorded file some node points at. */
  files(): string[] {
    const files = new Set<string>();
    for (const run of this.runs.values()) for (const node of run.nodes.values()) files.add(node.file);
    return [...files];
  }

  /** One summary per line of these recorded files (the spellings of one document), by line. */
  linesOf(recordedFiles: readonly string[]): LineSummary[] {
    const wanted = new Set(recordedFiles);
    const byLine = new Map<number, { runs: Set<string>; last: { run: IndexedRun; nodeId: string; node: IndexedNode } }>();
    for (const run of this.runs.values()) {
      for (const [nodeId, node] of run.nodes) {
        if (!wanted.has(node.file)) continue;
        const entry = byLine.get(node.line);
        if (!entry) {
          byLine.set(node.line, { runs: new Set([run.id]), last: { run, nodeId, node } });
          continue;
        }
        entry.runs.add(run.id);
        if (later(run, node, entry.last.run, entry.last.node)) entry.last = { run, nodeId, node };
      }
    }
    return [...byLine.entries()]
      .sort(([a], [b]) => a - b)
      .map(([line, { runs, last }]) => ({
        line,
        runs: runs.size,
        last: { runId: last.run.id, nodeId: last.nodeId, status: last.node.status, durationMs: last.node.durationMs },
      }));
  }

  private forgetOldRuns(): void {
    while (this.runs.size > this.maxRuns) {
      let oldest: IndexedRun | undefined;
      for (const run of this.runs.values()) if (!oldest || run.startedAt < oldest.startedAt) oldest = run;
      if (!oldest) return;
      this.runs.delete(oldest.id);
    }
  }
}

/** Newer run first; within one run, the node started last (a loop's last pass). */
function later(run: IndexedRun, node: IndexedNode, thanRun: IndexedRun, thanNode: IndexedNode): boolean {
  if (run !== thanRun) return run.startedAt !== thanRun.startedAt ? run.startedAt > thanRun.startedAt : run.id > thanRun.id;
  if (node.seq !== null && thanNode.seq !== null) return node.seq > thanNode.seq;
  return (node.startedAt ?? '') > (thanNode.startedAt ?? '');
}

/** `3 runs · last ok 340 ms`, `1 run · last running`. */
export function lensTitle(summary: LineSummary): string {
  const runs = `${summary.runs} ${summary.runs === 1 ? 'run' : 'runs'}`;
  const duration = summary.last.status === 'running' ? '' : formatDuration(summary.last.durationMs);
  return `${runs} · last ${summary.last.status}${duration ? ` ${duration}` : ''}`;
}
