import { GraphApp, type GraphHook } from './app';
import type { Host } from './host';
import { BrowserHost } from './hosts/browserHost';
import { createVsCodeHost } from './hosts/vscodeHost';
import { adoptStyles } from './ui/styles';
import { register as registerToolkit } from './ui/toolkit';

/**
 * Entry point of the graph UI bundle (DESIGN.md "Webview"): picks the host — VS Code when the
 * webview API is there, the sidecar's REST + SSE otherwise — and mounts the graph of the run the
 * page was opened on, or a list of runs to choose from (browser only).
 */
declare global {
  interface Window {
    /** Read-only test hook (webview/README.md "Test hook"): what the graph holds and drew. */
    __runtrailGraph?: GraphHook;
  }
}

// The toolkit's focus-visible probe inserts a <style> and reads its nonce from this meta tag; the
// nonce of our own <script> is the page's (readable only while the bundle first runs).
const scriptNonce = (document.currentScript as HTMLScriptElement | null)?.nonce;
if (scriptNonce && document.querySelector('meta[property="csp-nonce"]') === null) {
  const meta = document.createElement('meta');
  meta.setAttribute('property', 'csp-nonce');
  meta.setAttribute('content', scriptNonce);
  document.head.append(meta);
}

function chooseHost(): Host {
  return typeof (globalThis as { acquireVsCodeApi?: unknown }).acquireVsCodeApi === 'function' ? createVsCodeHost() : new BrowserHost();
}

async function mount(root: HTMLElement): Promise<void> {
  const host = chooseHost();
  if (host.kind === 'browser') document.documentElement.classList.add('rt-browser');
  adoptStyles();
  registerToolkit();
  const runId = host.initialRunId();
  if (runId === undefined) {
    await showRunList(host, root);
    return;
  }
  const app = new GraphApp(host, root, runId);
  Object.defineProperty(window, '__runtrailGraph', { value: app.hook, configurable: true });
  await app.start();
}

async function showRunList(host: Host, root: HTMLElement): Promise<void> {
  const section = document.createElement('section');
  section.className = 'rt-runlist';
  const heading = document.createElement('h1');
  heading.textContent = 'Runtrail runs';
  section.append(heading);
  root.replaceChildren(section);
  try {
    const runs = await host.listRuns();
    if (runs.length === 0) {
      section.append(text('p', 'No runs yet.'));
      return;
    }
    const list = document.createElement('ul');
    for (const run of runs) {
      const item = document.createElement('li');
      const link = document.createElement('a');
      link.href = `?run=${encodeURIComponent(run.id)}`;
      link.textContent = `${run.workflow} · ${run.id}`;
      item.append(link, document.createTextNode(` — ${run.status}, ${run.nodeCount} nodes, ${run.startedAt}`));
      list.append(item);
    }
    section.append(list);
  } catch (cause) {
    section.append(text('p', `Could not list runs: ${cause instanceof Error ? cause.message : String(cause)}`));
  }
}

function text(tag: string, value: string): HTMLElement {
  const element = document.createElement(tag);
  element.textContent = value;
  return element;
}

const root = document.getElementById('app') ?? document.body;
void mount(root);
