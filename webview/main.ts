/**
 * Entry point of the graph UI bundle (DESIGN.md "Webview"). The graph, inspector and timeline
 * arrive with the run-graph issue; until then the bundle only proves the browser build and the
 * boundary (no node, no vscode imports) and says what it is.
 */
function mount(root: HTMLElement): void {
  const heading = document.createElement('h1');
  heading.textContent = 'Runtrail';
  const note = document.createElement('p');
  note.textContent = 'The run graph is not built yet.';
  root.replaceChildren(heading, note);
}

const root = document.getElementById('app');
if (root !== null) mount(root);
