import type { NodeStatus } from '../../protocol/runs';

/**
 * Colours for the canvas, read from CSS custom properties. In VS Code the `--vscode-*` theme
 * variables win; in the browser ui/styles.ts defines the same `--rt-*` names with a light and a
 * dark palette (prefers-color-scheme). Re-read when the theme changes (body class in VS Code,
 * media query in the browser).
 */
export interface Palette {
  readonly background: string;
  readonly foreground: string;
  readonly muted: string;
  readonly box: string;
  readonly border: string;
  readonly edge: string;
  readonly focus: string;
  readonly match: string;
  readonly currentMatch: string;
  readonly badge: string;
  /** Compare: nodes added in b, removed from a (drawn on a's side), changed on either side. */
  readonly diff: { readonly added: string; readonly changed: string; readonly removed: string };
  readonly status: Readonly<Record<NodeStatus, string>>;
  readonly font: string;
}

export function readPalette(element: Element = document.documentElement): Palette {
  const style = getComputedStyle(element);
  const get = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  const family = getComputedStyle(document.body).fontFamily || 'system-ui, sans-serif';
  return {
    background: get('--rt-background', '#1e1e1e'),
    foreground: get('--rt-foreground', '#cccccc'),
    muted: get('--rt-muted', '#8b8b8b'),
    box: get('--rt-box', '#252526'),
    border: get('--rt-border', '#454545'),
    edge: get('--rt-edge', '#6b6b6b'),
    focus: get('--rt-focus', '#007fd4'),
    match: get('--rt-match', 'rgba(234, 92, 0, 0.33)'),
    currentMatch: get('--rt-current-match', '#ea5c00'),
    badge: get('--rt-badge', '#4d4d4d'),
    diff: {
      added: get('--vscode-gitDecoration-addedResourceForeground', '#2ea043'),
      changed: get('--vscode-gitDecoration-modifiedResourceForeground', '#d29922'),
      removed: get('--vscode-gitDecoration-deletedResourceForeground', '#f85149'),
    },
    status: {
      ok: get('--rt-ok', '#73c991'),
      error: get('--rt-error', '#f14c4c'),
      running: get('--rt-running', '#3794ff'),
      cancelled: get('--rt-cancelled', '#8b8b8b'),
    },
    font: family,
  };
}
