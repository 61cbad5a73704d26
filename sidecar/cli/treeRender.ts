import type { Run, RunStatus, TreeNode } from '../../protocol/runs';
import { type Colors, formatCount, formatDuration } from './terminal';

/** What a node line shows; a live node (from events) and a stored one (from the tree) both fit. */
export interface NodeView {
  readonly id: string;
  readonly kind: string | undefined;
  readonly name: string | null | undefined;
  readonly status: RunStatus;
  readonly startedAt?: string | null;
  readonly durationMs?: number | null;
  readonly tokensIn?: number | null;
  readonly tokensOut?: number | null;
  readonly error?: unknown;
  /** Known only as some node's parent so far. */
  readonly placeholder?: boolean;
}

const glyphs: Record<RunStatus, string> = { running: '●', ok: '✓', error: '✗', cancelled: '⊘' };

/** Running yellow, ok green, error red, cancelled grey; an unknown status plain. */
export function paintStatus(status: string, text: string, c: Colors): string {
  switch (status) {
    case 'running':
      return c.yellow(text);
    case 'ok':
      return c.green(text);
    case 'error':
      return c.red(text);
    case 'cancelled':
      return c.grey(text);
    default:
      return text;
  }
}

export function statusGlyph(status: RunStatus, c: Colors): string {
  return paintStatus(status, glyphs[status] ?? '?', c);
}

/** `✓ ok`, coloured: for tables and headers. */
export function statusLabel(status: RunStatus, c: Colors): string {
  return paintStatus(status, `${glyphs[status] ?? '?'} ${status}`, c);
}

/** The error's message on one line, shortened: `boom`, `ValueError: bad input`. */
export function errorText(error: unknown, max = 160): string | undefined {
  if (error === null || error === undefined) return undefined;
  let text: string;
  if (typeof error === 'string') text = error;
  else if (typeof error === 'object' && typeof (error as { message?: unknown }).message === 'string') {
    const { message, type } = error as { message: string; type?: unknown };
    text = typeof type === 'string' && type !== '' && !message.startsWith(type) ? `${type}: ${message}` : message;
  } else text = JSON.stringify(error);
  text = text.replace(/\s+/g, ' ').trim();
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * One node as a line: `✓ llm draft  1.2s · 579 tok`, an error's message after it, a log node as
 * its text. `now` gives a running node its elapsed time.
 */
export function nodeLine(node: NodeView, c: Colors, now = Date.now()): string {
  if (node.placeholder) return `${c.grey('?')} ${c.dim(`${node.id} (not reported yet)`)}`;
  if (node.kind === 'log') {
    const text = node.name ?? '';
    return node.status === 'error' ? c.red(`› ${text}`) : c.dim(`› ${text}`);
  }
  const parts = [statusGlyph(node.status, c), c.dim(node.kind ?? 'step'), node.name ?? c.dim(node.id)];
  const facts: string[] = [];
  if (node.durationMs !== null && node.durationMs !== undefined) facts.push(formatDuration(node.durationMs));
  else if (node.status === 'running' && node.startedAt) {
    const started = Date.parse(node.startedAt);
    if (!Number.isNaN(started)) facts.push(`${formatDuration(Math.max(0, now - started))}…`);
  }
  const tokens = (node.tokensIn ?? 0) + (node.tokensOut ?? 0);
  if (tokens > 0) facts.push(`${formatCount(tokens)} tok`);
  let line = parts.join(' ');
  if (facts.length > 0) line += `  ${c.dim(facts.join(' · '))}`;
  const error = node.status === 'error' ? errorText(node.error) : undefined;
  if (error !== undefined) line += `  ${c.red(error)}`;
  return line;
}

/** Levels drawn with box-drawing indentation; deeper nodes stay at this indent with their depth shown. */
export const maxDrawnDepth = 32;

/**
 * The tree with box-drawing indentation, children in the order the sidecar sent them (sibling
 * order). Iterative, so a run 1,000 levels deep renders without a deep call stack; past
 * `maxDrawnDepth` the indentation stops growing and each line says its depth instead.
 */
export function renderTree(roots: readonly TreeNode[], c: Colors, now = Date.now()): string[] {
  const lines: string[] = [];
  const stack: { node: TreeNode; prefix: string; connector: string; depth: number }[] = [];
  for (let i = roots.length - 1; i >= 0; i--) stack.push({ node: roots[i] as TreeNode, prefix: '', connector: '', depth: 0 });
  while (stack.length > 0) {
    const { node, prefix, connector, depth } = stack.pop() as (typeof stack)[number];
    const deep = depth > maxDrawnDepth ? c.dim(`[depth ${depth}] `) : '';
    lines.push(`${c.grey(prefix + connector)}${deep}${nodeLine(node, c, now)}`);
    const childPrefix = connector === '' || depth >= maxDrawnDepth ? prefix : prefix + (connector === '└─ ' ? '   ' : '│  ');
    for (let i = node.children.length - 1; i >= 0; i--) {
      const last = i === node.children.length - 1;
      stack.push({ node: node.children[i] as TreeNode, prefix: childPrefix, connector: last ? '└─ ' : '├─ ', depth: depth + 1 });
    }
  }
  return lines;
}

/** `✓ ok · triage · run_x · 12 nodes · 4.2s · 579 tok · $0.0123`: the last line of a run. */
export function runSummary(run: Run, c: Colors, now = Date.now()): string {
  const facts = [statusLabel(run.status, c), c.bold(run.workflow), run.id, `${run.nodeCount} node${run.nodeCount === 1 ? '' : 's'}`];
  facts.push(runDuration(run, now));
  const tokens = run.tokensIn + run.tokensOut;
  if (tokens > 0) facts.push(`${formatCount(tokens)} tok`);
  if (run.costUsd > 0) facts.push(`$${run.costUsd.toFixed(4)}`);
  return facts.join(c.dim(' · '));
}

/** Finished: its duration; running: the time so far with `…`. */
export function runDuration(run: Pick<Run, 'durationMs' | 'startedAt' | 'status'>, now = Date.now()): string {
  if (run.durationMs !== null) return formatDuration(run.durationMs);
  const started = Date.parse(run.startedAt);
  if (run.status !== 'running' || Number.isNaN(started)) return '—';
  return `${formatDuration(Math.max(0, now - started))}…`;
}
