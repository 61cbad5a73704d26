import { describeNodeDiff, type NodeDiff, type RunDiff } from '../../protocol/replay';
import type { Run } from '../../protocol/runs';
import { errorText, formatDuration } from '../views/format';

/**
 * The text of a run comparison document (`runtrail-diff:/diff/<a>/<b>.md`): the sidecar's RunDiff
 * as Markdown — a summary, where b first departs from a, every node in a `diff` block marked like
 * `runtrail diff` marks them (`+` added, `-` removed, `~` changed, `▶` the first divergence), then
 * the outputs that differ side by side. Pure (no vscode), so the layout is unit-tested.
 */
export const diffScheme = 'runtrail-diff';

/** Path of the comparison of run a with run b; `.md` gives it Markdown highlighting and preview. */
export function diffDocumentPath(a: string, b: string): string {
  return `/diff/${encodeURIComponent(a)}/${encodeURIComponent(b)}.md`;
}

/** The two run ids a comparison document's path names, or undefined for another kind of path. */
export function parseDiffDocumentPath(path: string): { a: string; b: string } | undefined {
  const match = /^\/diff\/([^/]+)\/([^/]+)\.md$/.exec(path);
  if (!match?.[1] || !match[2]) return undefined;
  try {
    return { a: decodeURIComponent(match[1]), b: decodeURIComponent(match[2]) };
  } catch {
    return undefined;
  }
}

const marks: Record<NodeDiff['change'], string> = { added: '+', removed: '-', changed: '~', same: ' ' };

/** A payload shown in the outputs section is cut here: the node document has the whole of it. */
const maxPayloadChars = 4000;

export interface DiffRuns {
  readonly a?: Run;
  readonly b?: Run;
}

export function diffDocumentText(diff: RunDiff, runs: DiffRuns = {}): string {
  const { added, removed, changed, same } = diff.counts;
  const lines = [`# Runtrail: run ${diff.a} → ${diff.b}`, ''];
  lines.push(`- **a**: ${runLine(diff.a, runs.a)}`, `- **b**: ${runLine(diff.b, runs.b)}`);
  if (runs.b?.replayOf === diff.a)
    lines.push(`- b is a ${runs.b.forkedFromNode ? `fork (at node ${runs.b.forkedFromNode})` : 'replay'} of a`);
  else if (runs.a?.replayOf === diff.b)
    lines.push(`- a is a ${runs.a.forkedFromNode ? `fork (at node ${runs.a.forkedFromNode})` : 'replay'} of b`);
  lines.push('');
  lines.push(
    `**${added} added, ${removed} removed, ${changed} changed, ${same} same**` +
      (diff.durationDeltaMs === null ? '' : ` · run duration ${signed(diff.durationDeltaMs)}`),
    '',
  );
  const first = diff.firstDivergence;
  lines.push(first === null ? 'The runs match.' : `First divergence: \`${first.key}\` (${first.change}).`, '');
  if (diff.nodes.length === 0) {
    lines.push('Neither run has keyed nodes to compare (nodes recorded without a key are not matched).');
    return `${lines.join('\n')}\n`;
  }
  lines.push('## Nodes', '', '```diff');
  for (const node of diff.nodes) lines.push(nodeLine(node, first?.key === node.key));
  lines.push('```');
  const outputs = diff.nodes.filter((node) => node.output !== undefined);
  if (outputs.length > 0) {
    lines.push('', '## Changed outputs');
    for (const node of outputs) {
      lines.push('', `### \`${node.key}\``, '', 'a:', '', fence(node.output?.a), '', 'b:', '', fence(node.output?.b));
    }
  }
  return `${lines.join('\n')}\n`;
}

/** What to show when the comparison cannot be made (a run deleted, sidecar down). */
export function unavailableDiffText(what: string, reason: string): string {
  return `# Runtrail: ${what}\n\n${reason}\n`;
}

function runLine(id: string, run: Run | undefined): string {
  if (!run) return `\`${id}\``;
  const parts = [`\`${id}\``, run.workflow, run.status];
  if (run.startedAt) parts.push(`started ${run.startedAt}`);
  if (run.durationMs !== null) parts.push(formatDuration(run.durationMs));
  if (run.error) parts.push(`error: ${errorText(run.error)}`);
  return parts.join(' · ');
}

function nodeLine(node: NodeDiff, first: boolean): string {
  const { what, facts } = describeNodeDiff(node, signed);
  // The mark leads the line so the `diff` grammar colours added and removed nodes.
  return `${marks[node.change]}${first ? '▶' : ' '} ${node.key}  ${what}${facts.length > 0 ? `  (${facts.join(', ')})` : ''}`;
}

function signed(ms: number): string {
  const text = formatDuration(Math.abs(ms));
  return `${ms >= 0 ? '+' : '-'}${text === '' ? `${Math.abs(ms)} ms` : text}`;
}

function fence(value: unknown): string {
  let text = value === undefined ? 'undefined' : (JSON.stringify(value, null, 2) ?? String(value));
  if (text.length > maxPayloadChars) text = `${text.slice(0, maxPayloadChars)}\n… (${text.length - maxPayloadChars} more characters)`;
  // A payload holding ``` must not close the fence early.
  const ticks = '`'.repeat(Math.max(3, ...Array.from(text.matchAll(/`+/g), (m) => m[0].length + 1)));
  return `${ticks}json\n${text}\n${ticks}`;
}
