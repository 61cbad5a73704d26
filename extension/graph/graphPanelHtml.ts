/**
 * The run graph panel's page, pure (no vscode). It carries no run data but the run id (escaped,
 * in `data-run-id`): everything else arrives by message and the UI writes it as text. The CSP
 * allows only the nonce'd bundle from the extension's dist/ (the panel's only local resource
 * root), its stylesheet, and images from there or data: URLs.
 */
export interface GraphPageOptions {
  readonly nonce: string;
  /** `webview.cspSource`. */
  readonly cspSource: string;
  readonly runId: string;
  /** `webview.asWebviewUri(dist/webview.js)` as a string. */
  readonly scriptUri: string;
  /** `dist/webview.css` when the build wrote one. */
  readonly styleUri?: string;
}

export function graphPanelHtml(options: GraphPageOptions): string {
  const { nonce, cspSource } = options;
  const csp = [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  const style = options.styleUri ? `\n<link rel="stylesheet" href="${escapeHtml(options.styleUri)}" nonce="${nonce}">` : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Run ${escapeHtml(options.runId)}</title>${style}
</head>
<body data-run-id="${escapeHtml(options.runId)}">
<div id="app"></div>
<script nonce="${nonce}" src="${escapeHtml(options.scriptUri)}"></script>
</body>
</html>`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
