/// <reference types="vscode" />
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

/**
 * Helpers for the suites that run inside the extension host (loaded by ./index.ts). They see the
 * extension only as VS Code shows it to others: its manifest, its commands, what `activate()`
 * returns, and the processes it starts. Types here are structural on purpose: the tests must not
 * import extension/ code, or they would test their own copy of it instead of the installed bundle.
 */

export const extensionId = 'runtrail.runtrail';

/** Values handed to the outer run through the results file (see ./index.ts). */
export const hostFacts: Record<string, unknown> = {};

type SidecarState =
  | { readonly kind: 'stopped'; readonly reason?: string }
  | { readonly kind: 'starting' }
  | { readonly kind: 'running'; readonly url: string; readonly store: string; readonly relay: string }
  | { readonly kind: 'failed'; readonly reason: string };

/**
 * What `activate()` returns for tests: the sidecar connection and the Runs view's data provider,
 * which VS Code's API offers no other way to reach.
 */
export interface RuntrailTestApi {
  readonly sidecar?: {
    readonly state: SidecarState;
    readonly onDidChangeState: vscode.Event<SidecarState>;
  };
  readonly runsProvider?: vscode.TreeDataProvider<unknown>;
}

export function runtrailExtension(): vscode.Extension<RuntrailTestApi | undefined> {
  const extension = vscode.extensions.getExtension<RuntrailTestApi | undefined>(extensionId);
  if (!extension) throw new Error(`${extensionId} is not installed in this VS Code`);
  return extension;
}

/** The test API from an activated extension; fails with what is missing. */
export async function testApi(): Promise<Required<RuntrailTestApi>> {
  const api = await runtrailExtension().activate();
  if (!api?.sidecar || !api.runsProvider) {
    const has = api ? Object.keys(api).join(', ') || 'nothing' : 'undefined';
    throw new Error(`activate() must return { sidecar, runsProvider } for the tests; it returned ${has}`);
  }
  return api as Required<RuntrailTestApi>;
}

export function workspaceRoot(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the tests need a workspace folder open');
  return folder.uri.fsPath;
}

/**
 * Polls `probe` until it returns something other than undefined. For conditions no event
 * announces (a process appearing in /proc, a tree refreshed by a debounced event); bounded.
 */
export async function eventually<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what}: not after ${timeoutMs} ms${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Resolves with the sidecar's state once it is `running`; rejects when it fails or after `timeoutMs`. */
export function whenRunning(
  sidecar: NonNullable<RuntrailTestApi['sidecar']>,
  timeoutMs = 30_000,
): Promise<Extract<SidecarState, { kind: 'running' }>> {
  return new Promise((resolve, reject) => {
    const check = (state: SidecarState): boolean => {
      if (state.kind === 'running') {
        finish();
        resolve(state);
        return true;
      }
      if (state.kind === 'failed') {
        finish();
        reject(new Error(`the sidecar failed: ${state.reason}`));
        return true;
      }
      return false;
    };
    const subscription = sidecar.onDidChangeState(check);
    const timer = setTimeout(() => {
      finish();
      reject(new Error(`the sidecar is not running after ${timeoutMs} ms (state ${JSON.stringify(sidecar.state)})`));
    }, timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      subscription.dispose();
    };
    check(sidecar.state);
  });
}

interface ProcessInfo {
  readonly pid: number;
  readonly ppid: number;
  readonly state: string;
  readonly argv: string[];
}

function readProcess(pid: number): ProcessInfo | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is parenthesised and may hold spaces: the fields after it are state, ppid.
    const [state = '', ppid = ''] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    return { pid, ppid: Number(ppid), state, argv };
  } catch {
    return undefined;
  }
}

/** Alive and not a zombie waiting to be reaped. */
export function processAlive(pid: number): boolean {
  const info = readProcess(pid);
  return info !== undefined && info.state !== 'Z';
}

/** Children of this extension host running the sidecar bundle. */
export function sidecarChildren(): ProcessInfo[] {
  const children: ProcessInfo[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const info = readProcess(Number(entry));
    if (info && info.ppid === process.pid && info.state !== 'Z' && info.argv.some((arg) => arg.endsWith('sidecar.js'))) children.push(info);
  }
  return children;
}

/**
 * Where the sidecar child listens and its token, from the discovery file it writes into its data
 * folder (`<RUNTRAIL_DATA_DIR>/sidecar.json`), as the CLI and the SDKs find it.
 */
export function sidecarEndpoint(pid: number): { url: string; token: string } {
  const environ = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  const env = Object.fromEntries(environ.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
  const dataDir = env.RUNTRAIL_DATA_DIR ?? path.join(env.XDG_DATA_HOME || path.join(env.HOME ?? '/', '.local/share'), 'runtrail');
  const discovery = JSON.parse(fs.readFileSync(path.join(dataDir, 'sidecar.json'), 'utf8')) as {
    url: string;
    pid: number;
    tokenFile: string | null;
  };
  if (discovery.pid !== pid) throw new Error(`${dataDir}/sidecar.json names pid ${discovery.pid}, not the child ${pid}`);
  const token = env.RUNTRAIL_TOKEN ?? (discovery.tokenFile ? fs.readFileSync(discovery.tokenFile, 'utf8').trim() : '');
  return { url: discovery.url, token };
}

/** A JSON request to the sidecar as a workflow would send it; throws on anything but 2xx. */
export async function sidecarRequest<T>(
  endpoint: { url: string; token: string },
  method: string,
  route: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(`${endpoint.url}${route}`, {
    method,
    headers: { authorization: `Bearer ${endpoint.token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** One element of a TreeDataProvider with the TreeItem it renders as. */
export interface TreeEntry {
  readonly element: unknown;
  readonly item: vscode.TreeItem;
  readonly label: string;
}

export async function treeChildren(provider: vscode.TreeDataProvider<unknown>, parent?: unknown): Promise<TreeEntry[]> {
  const elements = (await provider.getChildren(parent)) ?? [];
  return Promise.all(
    elements.map(async (element) => {
      const item = await provider.getTreeItem(element);
      const label = typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
      return { element, item, label };
    }),
  );
}

/**
 * The first entry, breadth-first down to `maxDepth`, that `match` accepts. Collapsed items are
 * expanded by asking for their children, as the view does when a user clicks the twistie.
 */
export async function findInTree(
  provider: vscode.TreeDataProvider<unknown>,
  match: (entry: TreeEntry) => boolean,
  maxDepth = 3,
): Promise<TreeEntry | undefined> {
  let level: Array<unknown | undefined> = [undefined];
  for (let depth = 0; depth < maxDepth && level.length > 0; depth++) {
    const next: unknown[] = [];
    for (const parent of level) {
      for (const entry of await treeChildren(provider, parent)) {
        if (match(entry)) return entry;
        if (entry.item.collapsibleState !== vscode.TreeItemCollapsibleState.None && entry.item.collapsibleState !== undefined)
          next.push(entry.element);
      }
    }
    level = next;
  }
  return undefined;
}

/** Whether a tree entry stands for `id` (a run or node id): in its item id, tooltip or element. */
export function entryMentions(entry: TreeEntry, id: string): boolean {
  const tooltip = typeof entry.item.tooltip === 'string' ? entry.item.tooltip : (entry.item.tooltip?.value ?? '');
  let element = '';
  try {
    element = JSON.stringify(entry.element) ?? '';
  } catch {
    // Circular elements: the item fields must do.
  }
  return [entry.item.id ?? '', tooltip, element].some((text) => text.includes(id));
}

/** The sidecar child's endpoint once the connection reports it running. */
export async function runningSidecar(): Promise<{ url: string; token: string; pid: number; store: string }> {
  const { sidecar } = await testApi();
  const state = await whenRunning(sidecar);
  const [child] = await eventually(() => {
    const children = sidecarChildren();
    return children.length > 0 ? children : undefined;
  }, 'a sidecar process among the extension host children');
  if (!child) throw new Error('no sidecar child');
  return { ...sidecarEndpoint(child.pid), pid: child.pid, store: state.store };
}

export interface RecordedRun {
  readonly runId: string;
  readonly status: string;
}

let greetRun: Promise<RecordedRun> | undefined;

/**
 * One run of the workspace's `greet` workflow (test/fixtures/vscode/workspace/agent.mjs, name
 * "Ada"), started through the sidecar's runner API and finished; shared by the suites. Its nodes
 * are `<runId>-greet` (root), `<runId>-compose` and `<runId>-shout`.
 */
export function recordedGreetRun(): Promise<RecordedRun> {
  greetRun ??= (async () => {
    const endpoint = await runningSidecar();
    const run = await sidecarRequest<{ id: string }>(endpoint, 'POST', '/api/workflows/greet/runs', { inputs: { name: 'Ada' } });
    const finished = await eventually(async () => {
      const current = await sidecarRequest<{ status: string }>(endpoint, 'GET', `/api/runs/${run.id}`);
      return current.status === 'running' ? undefined : current;
    }, `run ${run.id} of greet finishes`);
    if (finished.status !== 'ok') throw new Error(`the greet run ended ${finished.status}: ${JSON.stringify(finished)}`);
    return { runId: run.id, status: finished.status };
  })();
  return greetRun;
}
