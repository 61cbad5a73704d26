import type { SidecarState } from '../services';
import type { SidecarEndpoint } from './sidecarLink';

/**
 * What the status bar item says about the sidecar (pure, so it is tested without VS Code):
 * its text with a codicon, the tooltip lines (Markdown), and how loud to be.
 */

export interface StatusText {
  readonly text: string;
  readonly tooltip: readonly string[];
  readonly severity: 'normal' | 'warning' | 'error';
}

export function storeLabel(store: string): string {
  if (store === 'sqlite') return 'embedded';
  if (store === 'neo4j') return 'Neo4j';
  return store;
}

function storeDescription(store: string, dataDir: string | undefined): string {
  if (store === 'sqlite') return `embedded SQLite${dataDir === undefined ? '' : ` in \`${dataDir}\``}`;
  if (store === 'neo4j') return 'Neo4j';
  return store === 'unknown' ? 'not reported' : store;
}

function relayDescription(relay: string): string {
  if (relay === 'memory') return 'in-process';
  if (relay === 'redis') return 'Redis Streams';
  return relay === 'unknown' ? 'not reported' : relay;
}

function originDescription(endpoint: SidecarEndpoint | undefined): string {
  switch (endpoint?.origin) {
    case 'spawned':
      return `run by this window (pid ${endpoint.pid})`;
    case 'attached':
      return `shared: already running on this data folder (pid ${endpoint.pid}), not stopped by VS Code`;
    case 'external':
      return 'external (runtrail.sidecar.url)';
    default:
      return '';
  }
}

export function describeStatus(state: SidecarState, endpoint: SidecarEndpoint | undefined): StatusText {
  const click = '_Click for start, stop, restart, logs and mode._';
  switch (state.kind) {
    case 'running': {
      const label = state.store === 'unknown' ? (state.mode === 'external' ? 'external' : 'running') : storeLabel(state.store);
      return {
        text: `$(pulse) Runtrail: ${label}`,
        tooltip: [
          '**Runtrail sidecar: running**',
          `URL: ${state.url}`,
          `Store: ${storeDescription(state.store, endpoint?.dataDir)}`,
          `Relay: ${relayDescription(state.relay)}`,
          `Sidecar: ${originDescription(endpoint) || state.mode}`,
          click,
        ],
        severity: 'normal',
      };
    }
    case 'starting':
      return {
        text: '$(loading~spin) Runtrail: starting',
        tooltip: [`**Runtrail sidecar: starting** (${state.mode === 'external' ? 'connecting to the external sidecar' : 'auto'})`, click],
        severity: 'normal',
      };
    case 'failed':
      return {
        text: '$(warning) Runtrail: failed',
        tooltip: ['**Runtrail sidecar: failed**', escapeMarkdown(state.reason), click],
        severity: state.mode === 'external' ? 'warning' : 'error',
      };
    case 'stopped':
      return {
        text: '$(circle-slash) Runtrail: stopped',
        tooltip: ['**Runtrail sidecar: stopped**', ...(state.reason === undefined ? [] : [escapeMarkdown(state.reason)]), click],
        severity: 'normal',
      };
  }
}

/** Sidecar messages quote paths and settings; keep Markdown from reading `*` or `_` in them. */
function escapeMarkdown(text: string): string {
  return text.replace(/([\\`*_[\]<>])/g, '\\$1');
}
