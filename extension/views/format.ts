import type { NodeSummary, Run, RunStatus } from '../../protocol/runs';

/**
 * How runs and nodes read in the sidebar, CodeLens and panels: labels, descriptions, tooltips,
 * icon names. Pure (no vscode import) so the wording is unit-tested; the views turn the icon
 * names into ThemeIcons.
 */

/** `340 ms`, `1.2 s`, `42 s`, `3m 05s`, `2h 04m`. Negative or missing durations read as nothing. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${(Math.floor(ms / 100) / 10).toFixed(1)} s`;
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
  const hours = Math.floor(minutes / 60);
  return `${hours}h ${String(minutes % 60).padStart(2, '0')}m`;
}

/** `just now`, `42s ago`, `3m ago`, `5h ago`, `2d ago`; times in the future (clock skew) read as `just now`. */
export function formatRelativeTime(iso: string | null | undefined, now: number): string {
  const at = iso ? Date.parse(iso) : Number.NaN;
  if (Number.isNaN(at)) return '';
  const seconds = Math.floor((now - at) / 1000);
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds}s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ago`;
  return `${Math.floor(hours / 24)}d ago`;
}

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** Local wall-clock start time: `14:03:12` today, `Mar 4 14:03` this year, `2024-03-04 14:03` before. */
export function formatStartTime(iso: string | null | undefined, now: number): string {
  const at = iso ? new Date(iso) : undefined;
  if (!at || Number.isNaN(at.getTime())) return '';
  const today = new Date(now);
  const clock = `${pad(at.getHours())}:${pad(at.getMinutes())}`;
  if (at.getFullYear() === today.getFullYear() && at.getMonth() === today.getMonth() && at.getDate() === today.getDate()) {
    return `${clock}:${pad(at.getSeconds())}`;
  }
  if (at.getFullYear() === today.getFullYear()) return `${months[at.getMonth()]} ${at.getDate()} ${clock}`;
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${clock}`;
}

/**
 * A short form of an id for messages and labels. Sidecar run ids start with their creation time
 * (`run_mwwxao6v…`), so runs started together share a prefix: the tail tells them apart.
 */
export const shortId = (id: string) => (id.length > 12 ? id.slice(-8) : id);

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * The run's label. Under a workflow group the workflow is already the group, so the start time
 * is enough; under a branch group the workflow leads.
 */
export function runLabel(run: Run, groupBy: 'workflow' | 'branch', now: number): string {
  const time = formatStartTime(run.startedAt, now) || shortId(run.id);
  return groupBy === 'workflow' ? time : `${run.workflow} · ${time}`;
}

/** `ok · 3m ago · 1.2 s · 16 nodes`; a running run shows how long it has been going. */
export function runDescription(run: Run, nodeCount: number, now: number): string {
  const when = formatRelativeTime(run.startedAt, now);
  const duration = run.status === 'running' ? formatDuration(now - Date.parse(run.startedAt)) : formatDuration(run.durationMs);
  return [run.status, when, duration, plural(nodeCount, 'node')].filter((part) => part !== '').join(' · ');
}

export function runTooltip(run: Run, nodeCount: number): string {
  const lines = [
    `Run ${run.id}`,
    `Workflow: ${run.workflow}`,
    `Status: ${run.status}`,
    `Started: ${run.startedAt}`,
    run.endedAt ? `Ended: ${run.endedAt}` : undefined,
    run.durationMs === null ? undefined : `Duration: ${formatDuration(run.durationMs)}`,
    `Nodes: ${nodeCount}`,
    run.git.branch ? `Branch: ${run.git.branch}` : undefined,
    run.git.commit ? `Commit: ${run.git.commit}${run.git.dirty ? ' (uncommitted changes)' : ''}` : undefined,
    run.labels.length > 0 ? `Labels: ${run.labels.join(', ')}` : undefined,
    run.tokensIn + run.tokensOut > 0 ? `Tokens: ${run.tokensIn} in / ${run.tokensOut} out` : undefined,
    run.costUsd > 0 ? `Cost: $${run.costUsd.toFixed(4)}` : undefined,
    run.replayOf ? `Replay of: ${run.replayOf}` : undefined,
    run.command ? `Command: ${Array.isArray(run.command) ? run.command.join(' ') : run.command}` : undefined,
    run.error ? `Error: ${errorText(run.error)}` : undefined,
  ];
  return lines.filter((line) => line !== undefined).join('\n');
}

/** The node's name, else the last segment of its key, else its id. */
export function nodeLabel(node: Pick<NodeSummary, 'id' | 'name' | 'key'>): string {
  if (node.name) return node.name;
  const last = node.key
    ?.split('/')
    .filter((part) => part !== '')
    .pop();
  return last ?? shortId(node.id);
}

/** `1.2 s`, or `error · 1.2 s`, `running`, plus replay markers: the status colour already says ok. */
export function nodeDescription(node: NodeSummary): string {
  const parts: string[] = [];
  if (node.status !== 'ok') parts.push(node.status);
  const duration = formatDuration(node.durationMs);
  if (duration) parts.push(duration);
  if (node.tokensIn || node.tokensOut) parts.push(`${(node.tokensIn ?? 0) + (node.tokensOut ?? 0)} tok`);
  if (node.replayed) parts.push('replayed');
  if (node.diverged) parts.push('diverged');
  return parts.join(' · ');
}

export function nodeTooltip(node: NodeSummary): string {
  const lines = [
    `${node.kind} ${nodeLabel(node)}`,
    `Status: ${node.status}${node.placeholder ? ' (only known as a parent so far)' : ''}`,
    node.key ? `Key: ${node.key}` : undefined,
    `Id: ${node.id}`,
    node.durationMs === null ? undefined : `Duration: ${formatDuration(node.durationMs)}`,
    node.source ? `Source: ${sourceText(node.source)}` : undefined,
    node.tokensIn || node.tokensOut ? `Tokens: ${node.tokensIn ?? 0} in / ${node.tokensOut ?? 0} out` : undefined,
    node.costUsd ? `Cost: $${node.costUsd.toFixed(4)}` : undefined,
    node.error ? `Error: ${errorText(node.error)}` : undefined,
  ];
  return lines.filter((line) => line !== undefined).join('\n');
}

export function sourceText(source: NonNullable<NodeSummary['source']>): string {
  const position = source.column ? `${source.line}:${source.column}` : `${source.line}`;
  return `${source.file}:${position}${source.function ? ` (${source.function})` : ''}`;
}

/** A recorded error (a string, or an object with a message) as one line. */
export function errorText(error: unknown): string {
  if (typeof error === 'string') return error;
  if (error && typeof error === 'object' && 'message' in error && typeof error.message === 'string') {
    const type = 'type' in error && typeof error.type === 'string' ? `${error.type}: ` : '';
    return `${type}${error.message}`;
  }
  return JSON.stringify(error);
}

/** Codicon per node kind; kinds are an open set, so anything else gets a neutral circle. */
export function kindIcon(kind: string): string {
  switch (kind) {
    case 'llm':
      return 'sparkle';
    case 'tool':
      return 'tools';
    case 'decision':
      return 'repo-forked';
    case 'step':
      return 'symbol-event';
    case 'message':
      return 'comment';
    case 'artifact':
      return 'file';
    case 'log':
      return 'output';
    case 'error':
      return 'error';
    default:
      return 'circle-outline';
  }
}

/** Codicon and theme colour id for a run's status (the test explorer's colours, which every theme sets). */
export function runStatusIcon(status: RunStatus): { icon: string; color: string | undefined } {
  switch (status) {
    case 'ok':
      return { icon: 'pass', color: 'testing.iconPassed' };
    case 'error':
      return { icon: 'error', color: 'testing.iconFailed' };
    case 'running':
      return { icon: 'loading~spin', color: undefined };
    case 'cancelled':
      return { icon: 'circle-slash', color: 'testing.iconSkipped' };
  }
}

/** A node keeps its kind's icon, coloured by status; a running node spins instead. */
export function nodeIcon(node: Pick<NodeSummary, 'kind' | 'status' | 'placeholder'>): { icon: string; color: string | undefined } {
  if (node.placeholder) return { icon: 'circle-dashed', color: undefined };
  if (node.status === 'running') return { icon: 'loading~spin', color: undefined };
  const color = node.status === 'ok' ? 'testing.iconPassed' : node.status === 'error' ? 'testing.iconFailed' : 'testing.iconSkipped';
  return { icon: kindIcon(node.kind), color };
}
