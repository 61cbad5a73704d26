import type { Run } from '../../protocol/runs';
import { formatDuration, nodeLabel, runDescription, sourceText } from '../views/format';
import type { NodeTree } from '../views/nodeTree';
import type { GraphRow, GraphSnapshot } from './graphMessages';

/**
 * The run panel's page and data, pure (no vscode). The page carries no run data: it arrives by
 * message and is written with `textContent` only, so a payload can never become markup. The CSP
 * allows nothing but the panel's own nonce'd script and style.
 */

export function graphRows(tree: NodeTree): GraphRow[] {
  return tree.walk().map(({ node, depth }) => ({
    id: node.id,
    depth,
    name: nodeLabel(node),
    kind: node.kind,
    status: node.placeholder ? 'pending' : node.status,
    duration: formatDuration(node.durationMs),
    key: node.key ?? '',
    source: node.source ? sourceText(node.source) : '',
  }));
}

export function graphSnapshot(run: Run | undefined, tree: NodeTree | undefined, now: number, notice: string | null = null): GraphSnapshot {
  const title = run ? `${run.workflow} · ${runDescription(run, tree?.size ?? run.nodeCount, now)}` : '';
  return { title, rows: tree ? graphRows(tree) : [], notice };
}

export function graphPanelHtml(options: { nonce: string; cspSource: string; runId: string }): string {
  const { nonce, cspSource } = options;
  const csp = [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Run ${escapeHtml(options.runId)}</title>
<style nonce="${nonce}">
  body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); padding: 0 12px; }
  h1 { font-size: 1.1em; font-weight: 600; margin: 12px 0 4px; }
  #notice { color: var(--vscode-descriptionForeground); margin: 8px 0; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 2px 8px; white-space: nowrap; }
  th { color: var(--vscode-descriptionForeground); font-weight: normal; border-bottom: 1px solid var(--vscode-panel-border); position: sticky; top: 0; background: var(--vscode-editor-background); }
  tbody tr { cursor: pointer; }
  tbody tr:hover { background: var(--vscode-list-hoverBackground); }
  tbody tr:focus { outline: 1px solid var(--vscode-focusBorder); }
  td.source, td.key { font-family: var(--vscode-editor-font-family); color: var(--vscode-descriptionForeground); }
  .status-ok { color: var(--vscode-testing-iconPassed); }
  .status-error { color: var(--vscode-testing-iconFailed); }
  .status-cancelled { color: var(--vscode-testing-iconSkipped); }
</style>
</head>
<body>
<h1 id="title"></h1>
<p id="notice">Loading…</p>
<table id="nodes" hidden>
  <thead><tr><th>Node</th><th>Kind</th><th>Status</th><th>Duration</th><th>Key</th><th>Source</th></tr></thead>
  <tbody></tbody>
</table>
<script nonce="${nonce}">
(() => {
  const vscode = acquireVsCodeApi();
  const title = document.getElementById('title');
  const notice = document.getElementById('notice');
  const table = document.getElementById('nodes');
  const body = table.querySelector('tbody');
  const cell = (row, text, className) => {
    const td = document.createElement('td');
    td.textContent = text;
    if (className) td.className = className;
    row.appendChild(td);
    return td;
  };
  const inspect = (nodeId) => vscode.postMessage({ method: 'graph/inspectNode', params: { nodeId } });
  window.addEventListener('message', (event) => {
    const message = event.data;
    if (!message || message.method !== 'graph/snapshot') return;
    const snapshot = message.params;
    title.textContent = snapshot.title;
    notice.textContent = snapshot.notice || (snapshot.rows.length === 0 ? 'No nodes yet.' : '');
    notice.hidden = notice.textContent === '';
    table.hidden = snapshot.rows.length === 0;
    const rows = snapshot.rows.map((node) => {
      const row = document.createElement('tr');
      row.tabIndex = 0;
      row.dataset.nodeId = node.id;
      const name = cell(row, node.name);
      name.style.paddingLeft = (8 + node.depth * 16) + 'px';
      cell(row, node.kind);
      cell(row, node.status, 'status-' + node.status);
      cell(row, node.duration);
      cell(row, node.key, 'key');
      cell(row, node.source, 'source');
      row.addEventListener('click', () => inspect(node.id));
      row.addEventListener('keydown', (e) => { if (e.key === 'Enter') inspect(node.id); });
      return row;
    });
    body.replaceChildren(...rows);
  });
  vscode.postMessage({ method: 'graph/ready' });
})();
</script>
</body>
</html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
