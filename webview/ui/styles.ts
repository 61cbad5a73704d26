/**
 * The UI's stylesheet, adopted as a constructable stylesheet: the pages' CSP (`style-src 'self'
 * 'nonce-…'`) blocks inline <style> elements we would create, but not adopted sheets, and this way
 * neither host has to serve a second file. Colours come from VS Code's theme variables; the browser
 * (`.rt-browser` on <html>) gets the same `--vscode-*` names from a light and a dark palette, so
 * the toolkit components and the canvas follow prefers-color-scheme too.
 */
const css = `
:root.rt-browser {
  color-scheme: light dark;
  --vscode-font-family: system-ui, -apple-system, "Segoe UI", Ubuntu, sans-serif;
  --vscode-font-size: 13px;
  --vscode-editor-font-family: ui-monospace, "SF Mono", Menlo, Consolas, "DejaVu Sans Mono", monospace;
  --vscode-editor-background: #ffffff;
  --vscode-editor-foreground: #1f1f1f;
  --vscode-foreground: #3b3b3b;
  --vscode-descriptionForeground: #6e6e6e;
  --vscode-sideBar-background: #f8f8f8;
  --vscode-panel-border: #e5e5e5;
  --vscode-widget-border: #d0d0d0;
  --vscode-editorWidget-background: #f3f3f3;
  --vscode-focusBorder: #005fb8;
  --vscode-editor-findMatchHighlightBackground: rgba(234, 92, 0, 0.33);
  --vscode-editor-findMatchBorder: #b85b00;
  --vscode-badge-background: #cccccc;
  --vscode-badge-foreground: #3b3b3b;
  --vscode-testing-iconPassed: #388a34;
  --vscode-testing-iconFailed: #e51400;
  --vscode-testing-iconQueued: #007acc;
  --vscode-testing-iconSkipped: #848484;
  --vscode-button-background: #005fb8;
  --vscode-button-foreground: #ffffff;
  --vscode-button-hoverBackground: #0258a8;
  --vscode-button-secondaryBackground: #e5e5e5;
  --vscode-button-secondaryForeground: #3b3b3b;
  --vscode-button-secondaryHoverBackground: #cccccc;
  --vscode-input-background: #ffffff;
  --vscode-input-foreground: #3b3b3b;
  --vscode-input-border: #cecece;
  --vscode-input-placeholderForeground: #767676;
  --vscode-textLink-foreground: #005fb8;
  --vscode-textCodeBlock-background: #f2f2f2;
  --vscode-list-hoverBackground: #f2f2f2;
  --vscode-toolbar-hoverBackground: rgba(184, 184, 184, 0.31);
}
@media (prefers-color-scheme: dark) {
  :root.rt-browser {
    --vscode-editor-background: #1f1f1f;
    --vscode-editor-foreground: #cccccc;
    --vscode-foreground: #cccccc;
    --vscode-descriptionForeground: #9d9d9d;
    --vscode-sideBar-background: #181818;
    --vscode-panel-border: #2b2b2b;
    --vscode-widget-border: #454545;
    --vscode-editorWidget-background: #202020;
    --vscode-focusBorder: #0078d4;
    --vscode-badge-background: #616161;
    --vscode-badge-foreground: #f8f8f8;
    --vscode-testing-iconPassed: #73c991;
    --vscode-testing-iconFailed: #f14c4c;
    --vscode-testing-iconQueued: #3794ff;
    --vscode-testing-iconSkipped: #848484;
    --vscode-button-background: #0078d4;
    --vscode-button-hoverBackground: #026ec1;
    --vscode-button-secondaryBackground: #313131;
    --vscode-button-secondaryForeground: #cccccc;
    --vscode-button-secondaryHoverBackground: #3c3c3c;
    --vscode-input-background: #313131;
    --vscode-input-foreground: #cccccc;
    --vscode-input-border: #3c3c3c;
    --vscode-input-placeholderForeground: #989898;
    --vscode-textLink-foreground: #4daafc;
    --vscode-textCodeBlock-background: #2b2b2b;
    --vscode-list-hoverBackground: #2a2d2e;
    --vscode-toolbar-hoverBackground: rgba(90, 93, 94, 0.31);
  }
}
:root {
  --rt-background: var(--vscode-editor-background);
  --rt-foreground: var(--vscode-editor-foreground);
  --rt-muted: var(--vscode-descriptionForeground);
  --rt-box: var(--vscode-editorWidget-background);
  --rt-border: var(--vscode-widget-border, var(--vscode-panel-border));
  --rt-edge: var(--vscode-descriptionForeground);
  --rt-focus: var(--vscode-focusBorder);
  --rt-match: var(--vscode-editor-findMatchHighlightBackground);
  --rt-current-match: var(--vscode-editor-findMatchBorder, #ea5c00);
  --rt-badge: var(--vscode-badge-background);
  --rt-ok: var(--vscode-testing-iconPassed);
  --rt-error: var(--vscode-testing-iconFailed);
  --rt-running: var(--vscode-testing-iconQueued, var(--vscode-charts-blue));
  --rt-cancelled: var(--vscode-testing-iconSkipped, var(--vscode-disabledForeground));
}
html, body { height: 100%; margin: 0; padding: 0; }
body {
  background: var(--vscode-editor-background);
  color: var(--vscode-foreground);
  font-family: var(--vscode-font-family);
  font-size: var(--vscode-font-size, 13px);
  overflow: hidden;
}
#app { height: 100%; }
.rt-shell { display: grid; grid-template-rows: auto 1fr auto; height: 100%; }
.rt-toolbar { display: flex; align-items: center; gap: 6px; padding: 6px 8px; border-bottom: 1px solid var(--vscode-panel-border); flex-wrap: wrap; }
.rt-toolbar .rt-title { font-weight: 600; margin-right: 8px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; max-width: 30ch; }
.rt-toolbar .rt-spacer { flex: 1; }
.rt-status { color: var(--vscode-descriptionForeground); font-size: 12px; white-space: nowrap; }
.rt-search { width: 220px; }
.rt-main { display: grid; grid-template-columns: 1fr 6px var(--rt-inspector-width, 380px); min-height: 0; }
.rt-graph { position: relative; min-width: 0; min-height: 0; overflow: hidden; }
.graph-canvas { display: block; outline: none; cursor: grab; }
.graph-canvas:focus-visible { box-shadow: inset 0 0 0 1px var(--vscode-focusBorder); }
.rt-splitter { cursor: col-resize; background: var(--vscode-panel-border); }
.rt-inspector { overflow: auto; padding: 8px 12px; background: var(--vscode-sideBar-background, var(--vscode-editor-background)); min-width: 0; }
.rt-inspector h2 { font-size: 14px; margin: 4px 0 2px; word-break: break-word; }
.rt-inspector h3 { font-size: 11px; text-transform: uppercase; letter-spacing: 0.04em; color: var(--vscode-descriptionForeground); margin: 14px 0 4px; display: flex; align-items: center; gap: 6px; }
.rt-inspector .rt-empty { color: var(--vscode-descriptionForeground); }
.rt-facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 10px; font-size: 12px; }
.rt-facts dt { color: var(--vscode-descriptionForeground); }
.rt-facts dd { margin: 0; word-break: break-all; }
.rt-pill { display: inline-block; padding: 0 6px; border-radius: 8px; font-size: 11px; color: var(--vscode-editor-background); }
.rt-pill.ok { background: var(--rt-ok); } .rt-pill.error { background: var(--rt-error); }
.rt-pill.running { background: var(--rt-running); } .rt-pill.cancelled { background: var(--rt-cancelled); }
.rt-json { font-family: var(--vscode-editor-font-family); font-size: 12px; background: var(--vscode-textCodeBlock-background); padding: 6px 8px; border-radius: 3px; overflow-x: auto; white-space: pre-wrap; word-break: break-word; }
.rt-json details { margin-left: 14px; }
.rt-json details > summary { margin-left: -14px; cursor: pointer; list-style-position: outside; }
.rt-json .k { color: var(--vscode-symbolIcon-propertyForeground, var(--vscode-textLink-foreground)); }
.rt-json .s { color: var(--vscode-debugTokenExpression-string, #ce9178); }
.rt-json .n { color: var(--vscode-debugTokenExpression-number, #b5cea8); }
.rt-json .b { color: var(--vscode-debugTokenExpression-boolean, #569cd6); }
.rt-json .dim { color: var(--vscode-descriptionForeground); }
.rt-stack { font-family: var(--vscode-editor-font-family); font-size: 11px; white-space: pre-wrap; color: var(--rt-error); margin: 4px 0; }
.rt-options { list-style: none; padding: 0; margin: 0; }
.rt-options li { padding: 4px 6px; border-left: 3px solid var(--vscode-panel-border); margin: 4px 0; }
.rt-options li.chosen { border-left-color: var(--rt-ok); }
.rt-options li.not-taken { opacity: 0.55; }
.rt-options .rationale { color: var(--vscode-descriptionForeground); font-size: 12px; }
.rt-timeline { display: flex; align-items: center; gap: 8px; padding: 4px 8px; border-top: 1px solid var(--vscode-panel-border); }
.rt-timeline input[type=range] { flex: 1; accent-color: var(--vscode-focusBorder); }
.rt-timeline select { background: var(--vscode-input-background); color: var(--vscode-input-foreground); border: 1px solid var(--vscode-input-border, transparent); }
.rt-diffbar { display: flex; align-items: center; gap: 6px; padding: 4px 8px; border-bottom: 1px solid var(--vscode-panel-border); flex-wrap: wrap; font-size: 12px; }
.rt-diff-removed { margin: 0; padding-left: 16px; flex-basis: 100%; color: var(--vscode-gitDecoration-deletedResourceForeground, #f85149); }
.rt-diff-removed:empty { display: none; }
.rt-change.added { color: var(--vscode-gitDecoration-addedResourceForeground, #2ea043); }
.rt-change.changed { color: var(--vscode-gitDecoration-modifiedResourceForeground, #d29922); }
.rt-change-side { margin-top: 4px; min-width: 0; }
.rt-change.removed { color: var(--vscode-gitDecoration-deletedResourceForeground, #f85149); }
.rt-change-pair { font-size: 11px; color: var(--vscode-descriptionForeground); word-break: break-all; }
.rt-linediff { display: grid; grid-template-columns: 1fr 1fr; gap: 6px; }
.rt-linediff pre { margin: 2px 0 0; font-family: var(--vscode-editor-font-family, monospace); font-size: 11px; overflow-x: auto; }
.rt-change-label { font-size: 11px; color: var(--vscode-descriptionForeground); }
.rt-line { white-space: pre; }
.rt-line.removed { background: rgba(248, 81, 73, 0.22); }
.rt-line.added { background: rgba(46, 160, 67, 0.22); }
.rt-panes { display: flex; min-width: 0; min-height: 0; }
.rt-panes > .rt-graph { flex: 1 1 0; }
.rt-panes.rt-comparing > .rt-pane-a { border-right: 2px solid var(--vscode-panel-border); }
.rt-pane-label { position: absolute; top: 4px; left: 8px; z-index: 1; font-size: 11px; padding: 1px 6px; border-radius: 3px; background: var(--vscode-badge-background, #4d4d4d); color: var(--vscode-badge-foreground, #fff); pointer-events: none; max-width: calc(100% - 16px); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.rt-graph:not(.rt-pane-b) > .rt-pane-label.rt-b-label { display: none; }
.rt-compare-title { font-size: 12px; }
.rt-banner { padding: 4px 8px; background: var(--vscode-inputValidation-warningBackground, #5a4b00); color: var(--vscode-foreground); font-size: 12px; }
.rt-runlist { padding: 16px; overflow: auto; }
.rt-runlist a { color: var(--vscode-textLink-foreground); }
.rt-runlist li { margin: 4px 0; }
.rt-sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
.rt-fallback-button { background: var(--vscode-button-secondaryBackground); color: var(--vscode-button-secondaryForeground); border: none; padding: 3px 8px; cursor: pointer; }
`;

export function adoptStyles(): void {
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(css);
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
}
