import type { RunGraph } from '../model/runGraph';
import { searchNodes, stepMatch } from '../model/search';
import { button, textField } from './toolkit';

/**
 * The toolbar's node search (webview/README.md "Keys"): the field, the "n of m" label, previous /
 * next, and Ctrl/Cmd+F and F3 anywhere on the page. Matches are in tree order (`model/search.ts`);
 * the app draws them (`matches`, `current`) and selects the one stepped to.
 */
export interface SearchBoxEvents {
  graph(): RunGraph;
  /** The matches changed: redraw. */
  changed(): void;
  /** Stepped to a match: select it and scroll to it. */
  select(id: string): void;
  /** Esc in the field clears it and gives the keys back to the graph. */
  focusGraph(): void;
}

export class SearchBox {
  /** What goes in the toolbar, in this order: field, match label, previous, next. */
  readonly parts: readonly HTMLElement[];
  private list: string[] = [];
  private index = -1;
  private query = '';
  private readonly label = document.createElement('span');

  constructor(private readonly events: SearchBoxEvents) {
    this.label.className = 'rt-status';
    this.label.setAttribute('aria-live', 'polite');
    const field = textField('Search nodes', (value) => this.search(value));
    field.classList.add('rt-search');
    field.dataset.testid = 'search';
    field.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') {
        event.preventDefault();
        this.step(event.shiftKey ? -1 : 1);
      } else if (event.key === 'Escape') {
        field.value = '';
        this.search('');
        this.events.focusGraph();
      }
    });
    this.parts = [
      field,
      this.label,
      button('↑', { title: 'Previous match (Shift+Enter)', appearance: 'icon', onClick: () => this.step(-1) }),
      button('↓', { title: 'Next match (Enter)', appearance: 'icon', onClick: () => this.step(1) }),
    ];
    document.addEventListener('keydown', (event) => {
      if ((event.ctrlKey || event.metaKey) && event.key === 'f') {
        event.preventDefault();
        field.focus();
      } else if (event.key === 'F3') {
        event.preventDefault();
        this.step(event.shiftKey ? -1 : 1);
      }
    });
  }

  /** The matches, in tree order. */
  get matches(): readonly string[] {
    return this.list;
  }

  /** The match stepped to, if any. */
  get current(): string | undefined {
    return this.list[this.index];
  }

  /** The graph changed (live nodes): a non-empty query is searched again, keeping the current match. */
  graphChanged(): void {
    if (this.query !== '') this.recompute();
  }

  private search(query: string): void {
    this.query = query;
    this.index = -1;
    this.recompute();
    this.events.changed();
  }

  private recompute(): void {
    const current = this.list[this.index];
    this.list = searchNodes(this.events.graph(), this.query);
    this.index = current === undefined ? -1 : this.list.indexOf(current);
    this.label.textContent =
      this.query.trim() === '' ? '' : this.list.length === 0 ? 'No matches' : `${this.index + 1 || '–'} of ${this.list.length}`;
  }

  private step(by: 1 | -1): void {
    this.index = stepMatch(this.list.length, this.index, by);
    const id = this.list[this.index];
    this.label.textContent = this.list.length === 0 ? (this.query === '' ? '' : 'No matches') : `${this.index + 1} of ${this.list.length}`;
    if (id !== undefined) this.events.select(id);
  }
}
