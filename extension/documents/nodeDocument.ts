import type { Node } from '../../protocol/runs';
import { formatDuration } from '../views/format';

/**
 * The text of a node document (`runtrail:/node/<nodeId>.json?runId=<runId>`): the node as
 * pretty-printed JSON, grouped the way people read a step — what it is, how it went, where it came
 * from, then its payloads. Pure (no vscode).
 */
export const nodeScheme = 'runtrail';

/** Path and query of a node's document URI; the `.json` suffix gives it JSON highlighting and folding. */
export function nodeDocumentLocation(nodeId: string, runId: string | undefined): { path: string; query: string } {
  return { path: `/node/${encodeURIComponent(nodeId)}.json`, query: runId ? new URLSearchParams({ runId }).toString() : '' };
}

/** The node id and run id a node document's URI names, or undefined for another kind of path. */
export function parseNodeDocumentLocation(path: string, query: string): { nodeId: string; runId: string | undefined } | undefined {
  const match = /^\/node\/([^/]+)\.json$/.exec(path);
  if (!match?.[1]) return undefined;
  let nodeId: string;
  try {
    nodeId = decodeURIComponent(match[1]);
  } catch {
    return undefined;
  }
  const runId = new URLSearchParams(query).get('runId') ?? undefined;
  return { nodeId, runId };
}

export function nodeDocumentText(node: Node): string {
  const document = {
    id: node.id,
    runId: node.runId,
    kind: node.kind,
    name: node.name,
    key: node.key,
    status: node.status,
    ...(node.placeholder ? { placeholder: 'only known as a parent: its own record has not arrived' } : {}),
    parentId: node.parentId,
    seq: node.seq,
    timings: {
      startedAt: node.startedAt,
      endedAt: node.endedAt,
      durationMs: node.durationMs,
      ...(node.durationMs === null ? {} : { duration: formatDuration(node.durationMs) }),
    },
    source: node.source,
    input: node.input,
    output: node.output,
    error: node.error,
    attributes: node.attributes,
    usage: { tokensIn: node.tokensIn, tokensOut: node.tokensOut, costUsd: node.costUsd },
    replay: { replayed: node.replayed, diverged: node.diverged },
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** What a node document says when the node cannot be shown, still valid JSON. */
export function unavailableDocumentText(nodeId: string, reason: string): string {
  return `${JSON.stringify({ id: nodeId, unavailable: reason }, null, 2)}\n`;
}
