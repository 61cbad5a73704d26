import { type BundleEdge, bundleFormat, bundleVersion, deriveEdges } from '../../protocol/bundle';
import type { NodeRow, RunRow, RunStore } from '../store/runStore';
import { nodeLine, runLine } from './bundleLines';

/** Nodes read from the store per query while exporting: bounds memory whatever the run's size. */
export const exportPageSize = 1_000;

export interface ExportOptions {
  /** Object keys whose values become "[redacted]". */
  readonly redact: readonly string[];
  /** `runtrail <version>`. */
  readonly producer: string;
  readonly now?: number;
}

/**
 * A run as bundle text (protocol/bundle.ts), produced page by page: each chunk is whole lines, at
 * most one page of nodes. Only the nodes' ids and parents are kept until the end, for the edges.
 */
export async function* exportBundle(store: RunStore, run: RunRow, options: ExportOptions): AsyncGenerator<string> {
  const names = new Set(options.redact);
  const header = {
    format: bundleFormat,
    version: bundleVersion,
    exportedAt: new Date(options.now ?? Date.now()).toISOString(),
    producer: options.producer,
    redacted: [...names],
  };
  yield `${JSON.stringify(header)}\n${runLine(run, names)}`;
  const links: Array<{ id: string; parentId: string | null }> = [];
  for await (const page of nodePages(store, run.id)) {
    let chunk = '';
    for (const row of page) {
      chunk += nodeLine(row, names);
      links.push({ id: row.id, parentId: row.parentId });
    }
    yield chunk;
  }
  let chunk = '';
  let lines = 0;
  for (const edge of deriveEdges(run, links)) {
    chunk += edgeLine(edge);
    if (++lines % exportPageSize === 0) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk !== '') yield chunk;
}

/** The run's real nodes with payloads, a page at a time, in bundle order (seq, id). */
export async function* nodePages(store: RunStore, runId: string): AsyncGenerator<NodeRow[]> {
  let after: { seq: number; id: string } | undefined;
  for (;;) {
    const page = await store.listNodesWithPayloads(runId, exportPageSize, after);
    if (page.length > 0) yield page;
    if (page.length < exportPageSize) return;
    const last = page[page.length - 1] as NodeRow;
    after = { seq: last.seq ?? 0, id: last.id };
  }
}

export const edgeLine = (edge: BundleEdge) => `${JSON.stringify({ type: 'edge', edge })}\n`;
