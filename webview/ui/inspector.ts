import type { NodeDiff, ReplayRequest } from '../../protocol/replay';
import type { Node, NodeSummary } from '../../protocol/runs';
import type { Host } from '../host';
import { type DiffLine, jsonLineDiff } from '../model/lineDiff';
import type { Decision } from '../model/runGraph';
import { decisionOf } from '../model/runGraph';
import { formatCost, formatDuration } from '../render/format';
import { copyText, jsonView } from './jsonView';
import { button } from './toolkit';

/** Replay from the inspector and the diff mode's view of a node (issue 8); the app supplies them. */
export interface InspectorActions {
  /** Starts a replay of the run on screen and opens it; `what` names it in messages. */
  replay(request: ReplayRequest, what: string): Promise<void>;
  /** False for a read-only run (opened from a bundle file): no Fork here / Take …. */
  canReplay(): boolean;
  /** In compare mode, the node's entry in the diff (either side); undefined otherwise. */
  changeOf(nodeId: string): NodeDiff | undefined;
}

/**
 * The selected node in full: facts from its summary at once, then input, output, attributes and
 * the decision's options once the host returns the node. Every value goes in as text.
 */
export class Inspector {
  readonly element: HTMLElement;
  private token = 0;
  /** The node id whose payloads are on screen (the test hook reads it). */
  loadedId: string | undefined;

  constructor(
    private readonly host: Host,
    private readonly onDecision: (id: string, node: Node) => void,
    private readonly actions?: InspectorActions,
  ) {
    this.element = document.createElement('aside');
    this.element.className = 'rt-inspector';
    this.element.setAttribute('aria-label', 'Inspector');
    this.showEmpty();
  }

  showEmpty(): void {
    this.token++;
    this.loadedId = undefined;
    const note = el('p', 'Select a node to inspect it (click, or Tab into the graph and use the arrow keys).', 'rt-empty');
    this.element.replaceChildren(note);
  }

  async show(summary: NodeSummary, decision: Decision | undefined): Promise<void> {
    const token = ++this.token;
    this.loadedId = undefined;
    this.element.replaceChildren(...this.header(summary), this.facts(summary));
    const change = this.actions?.changeOf(summary.id);
    if (change !== undefined) this.element.append(this.changeSection(change));
    const fork = this.forkSection(summary);
    if (fork) this.element.append(fork);
    const error = this.errorSection(summary.error);
    if (error) this.element.append(error);
    const loading = el('p', 'Loading payloads…', 'rt-empty');
    this.element.append(loading);
    let node: Node;
    try {
      node = await this.host.openNode(summary.id);
    } catch (cause) {
      if (token !== this.token) return;
      loading.textContent = `Could not load the node's payloads: ${describe(cause)}`;
      return;
    }
    if (token !== this.token) return;
    loading.remove();
    if (node.kind === 'decision') this.onDecision(node.id, node);
    const options = decisionOf(node.attributes, node.input) ?? decision;
    if (node.kind === 'decision' && options !== undefined) {
      this.element.append(this.decisionSection(options));
      const take = this.takeSection(node, options);
      if (take) this.element.append(take);
    }
    this.element.append(
      this.payload('Input', node.input, 'input'),
      this.payload('Output', node.output, 'output'),
      this.payload('Attributes', node.attributes, 'attributes'),
    );
    this.loadedId = node.id;
    this.element.dataset.loaded = node.id;
  }

  private header(node: NodeSummary): HTMLElement[] {
    const title = el('h2', node.name ?? node.id);
    title.dataset.testid = 'inspector-title';
    const status = el('span', node.status, `rt-pill ${node.status}`);
    const line = document.createElement('div');
    line.append(status, document.createTextNode(` ${node.kind}`));
    return [title, line];
  }

  private facts(node: NodeSummary): HTMLElement {
    const list = document.createElement('dl');
    list.className = 'rt-facts';
    const add = (label: string, value: string | null | undefined, extra?: HTMLElement) => {
      if (value === null || value === undefined || value === '') return;
      const dd = el('dd', value);
      if (extra) dd.append(document.createTextNode(' '), extra);
      list.append(el('dt', label), dd);
    };
    add(
      'id',
      node.id,
      copyButton('Copy node id', () => node.id),
    );
    add('key', node.key);
    add('started', node.startedAt);
    add('ended', node.endedAt);
    add('duration', formatDuration(node.durationMs));
    if (node.tokensIn !== null || node.tokensOut !== null) add('tokens', `${node.tokensIn ?? 0} in · ${node.tokensOut ?? 0} out`);
    add('cost', formatCost(node.costUsd));
    if (node.replayed) add('replay', node.diverged ? 'replayed, diverged from the recording' : 'replayed from the recording');
    if (node.placeholder) add('note', 'Only known as a parent: its own record has not arrived yet.');
    if (node.source !== null) {
      const where = `${node.source.file}:${node.source.line}${node.source.column === null ? '' : `:${node.source.column}`}`;
      const dd = el('dd', '');
      const text = el('span', node.source.function === null ? where : `${node.source.function} — ${where}`);
      text.dataset.testid = 'source-location';
      const reveal = button('Reveal source', {
        title: `Open ${where}`,
        onClick: () => {
          void this.host.revealSource(node).then(
            (opened) => {
              if (!opened) text.textContent = `${where} (open it in your editor)`;
            },
            (cause) => {
              text.textContent = `${where} — ${describe(cause)}`;
            },
          );
        },
      });
      dd.append(text, document.createTextNode(' '), reveal);
      list.append(el('dt', 'source'), dd);
    }
    return list;
  }

  /** "Fork here": replay the run with everything before this node served from the recording. */
  private forkSection(node: NodeSummary): HTMLElement | undefined {
    const actions = this.actions;
    if (actions === undefined || !actions.canReplay() || node.key === null || (node.status !== 'ok' && node.status !== 'error'))
      return undefined;
    const section = document.createElement('section');
    section.dataset.testid = 'replay-actions';
    section.append(
      button('Fork here', {
        title: 'Fork here: replay this run, reusing recorded results before this node, and run it live from here',
        onClick: () => void actions.replay({ untilNodeId: node.id }, `a fork at ${node.name ?? node.id}`),
      }),
    );
    return section;
  }

  /** "Take <option>": replay the run with this decision overridden, one button per option not taken. */
  private takeSection(node: Node, decision: Decision): HTMLElement | undefined {
    const actions = this.actions;
    const key = node.key;
    if (actions === undefined || !actions.canReplay() || key === null || node.status !== 'ok') return undefined;
    const others = decision.options.filter((option) => option.label !== decision.chosen);
    if (others.length === 0) return undefined;
    const section = document.createElement('section');
    section.dataset.testid = 'take-option';
    for (const option of others) {
      section.append(
        button(`Take ${option.label}`, {
          title: `Take ${option.label}: replay this run with ${node.name ?? 'this decision'} choosing ${option.label}`,
          onClick: () => void actions.replay({ overrides: { [key]: option.label } }, `${node.name ?? key} → ${option.label}`),
        }),
        document.createTextNode(' '),
      );
    }
    return section;
  }

  /** Diff mode: how this node differs from its counterpart in the compared run. */
  private changeSection(change: NodeDiff): HTMLElement {
    const section = document.createElement('section');
    section.dataset.testid = 'change';
    const parts: string[] = [change.change];
    if (change.statusChanged) parts.push(`status ${change.a?.status ?? '–'} → ${change.b?.status ?? '–'}`);
    if (change.errorChanged) parts.push('error differs');
    if (change.durationDeltaMs !== null)
      parts.push(`duration ${change.durationDeltaMs >= 0 ? '+' : ''}${Math.round(change.durationDeltaMs)} ms`);
    section.append(el('h3', 'Change'), el('div', parts.join(' · '), `rt-change ${change.change}`));
    const pair = [change.a === null ? '–' : `a: ${change.a.id}`, change.b === null ? '–' : `b: ${change.b.id}`].join(' ⟷ ');
    section.append(el('div', pair, 'rt-change-pair'));
    if (change.output !== undefined) {
      // Both outputs as pretty JSON, line by line: lines only a has marked −, lines only b has marked +.
      const diff = jsonLineDiff(change.output.a, change.output.b);
      const grid = document.createElement('div');
      grid.className = 'rt-linediff';
      grid.dataset.testid = 'line-diff';
      grid.append(diffColumn('a:', diff.a, 'a'), diffColumn('b:', diff.b, 'b'));
      section.append(grid);
    }
    return section;
  }

  private errorSection(error: unknown): HTMLElement | undefined {
    if (error === null || error === undefined) return undefined;
    const section = document.createElement('section');
    const message = typeof error === 'string' ? error : ((error as { message?: unknown }).message ?? JSON.stringify(error));
    section.append(
      sectionTitle('Error', () => (typeof error === 'string' ? error : JSON.stringify(error, null, 2))),
      el('div', String(message)),
    );
    const stack = typeof error === 'object' ? (error as { stack?: unknown }).stack : undefined;
    if (typeof stack === 'string') section.append(el('pre', stack, 'rt-stack'));
    return section;
  }

  private decisionSection(decision: Decision): HTMLElement {
    const section = document.createElement('section');
    section.append(sectionTitle('Options', () => JSON.stringify(decision, null, 2)));
    const list = document.createElement('ul');
    list.className = 'rt-options';
    for (const option of decision.options) {
      const chosen = option.label === decision.chosen;
      const item = document.createElement('li');
      item.className = chosen ? 'chosen' : 'not-taken';
      const label = el('strong', `${chosen ? '✓ ' : ''}${option.label}`);
      item.append(label);
      if (option.score !== undefined) item.append(document.createTextNode(`  score ${option.score}`));
      if (option.rationale !== undefined) item.append(el('div', option.rationale, 'rationale'));
      list.append(item);
    }
    section.append(list);
    return section;
  }

  private payload(title: string, value: unknown, testid: string): HTMLElement {
    const section = document.createElement('section');
    section.dataset.testid = testid;
    if (value === null || value === undefined) {
      section.append(el('h3', title), el('div', 'none', 'rt-empty'));
      return section;
    }
    section.append(
      sectionTitle(title, () => (typeof value === 'string' ? value : JSON.stringify(value, null, 2))),
      jsonView(value),
    );
    return section;
  }
}

/** Lines shown per side; a longer payload is cut (its full JSON is in the Output section). */
const maxDiffLines = 2_000;

function diffColumn(title: string, lines: readonly DiffLine[], side: 'a' | 'b'): HTMLElement {
  const column = document.createElement('div');
  column.className = 'rt-change-side';
  column.dataset.side = side;
  const pre = document.createElement('pre');
  for (const line of lines.slice(0, maxDiffLines)) {
    const row = document.createElement('div');
    row.className = `rt-line ${line.op}`;
    row.dataset.op = line.op;
    row.textContent = `${line.op === 'removed' ? '− ' : line.op === 'added' ? '+ ' : '  '}${line.text}`;
    pre.append(row);
  }
  if (lines.length > maxDiffLines) pre.append(el('div', `… ${lines.length - maxDiffLines} more lines`, 'rt-empty'));
  column.append(el('div', title, 'rt-change-label'), pre);
  return column;
}

function sectionTitle(title: string, text: () => string): HTMLElement {
  const heading = el('h3', title);
  heading.append(copyButton(`Copy ${title.toLowerCase()}`, text));
  return heading;
}

function copyButton(title: string, text: () => string): HTMLElement {
  return button('Copy', { title, appearance: 'icon', onClick: () => void copyText(text()) });
}

function el(tag: string, text: string, className?: string): HTMLElement {
  const element = document.createElement(tag);
  element.textContent = text;
  if (className !== undefined) element.className = className;
  return element;
}

export function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
