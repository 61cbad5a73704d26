import * as vscode from 'vscode';
import { type SidecarConnection, type SidecarMode, type SidecarState, SidecarUnavailableError } from '../services';
import {
  currentHost,
  type RuntrailSettings,
  readSettings,
  resolveDataDir,
  secretKeys,
  sidecarEnvironment,
  sidecarSettingSections,
} from '../settings';
import { AutoSidecar } from './autoSidecar';
import { ExternalSidecar } from './externalSidecar';
import { LiveEventsHub } from './liveEvents';
import { RuntrailClient } from './runtrailClient';
import { type LinkState, MisconfiguredLink, type SidecarEndpoint, type SidecarLink } from './sidecarLink';
import type { LogLevel } from './sidecarLog';

/**
 * The one object that owns the sidecar (CONVENTIONS.md "one class owns the sidecar process"):
 * reads the settings and secrets, runs the auto or external link (autoSidecar.ts,
 * externalSidecar.ts: the process logic, testable without VS Code), follows live events while it
 * runs, and tells the user — once, in words they can act on — when it cannot. Settings that
 * change the sidecar restart it; `shutdown()` is what `deactivate()` waits for.
 */

export interface StartOptions {
  /** `notification` when the user asked (a command), `window` (status bar) for automatic starts. */
  readonly progress?: 'window' | 'notification';
}

export class SidecarManager implements SidecarConnection {
  private readonly stateEmitter = new vscode.EventEmitter<SidecarState>();
  readonly onDidChangeState = this.stateEmitter.event;
  readonly events: LiveEventsHub;

  private link: SidecarLink | undefined;
  private linkSubscription: { dispose(): void } | undefined;
  private linkMode: SidecarMode = 'auto';
  private current: SidecarState = { kind: 'stopped' };
  private client: RuntrailClient | undefined;
  private clientToken: string | undefined;
  private settingsValue: RuntrailSettings;
  /** Latest start/stop/restart: an older one that resumes after an await does nothing more. */
  private operation = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private lastNotified: string | undefined;
  private shuttingDown: Promise<void> | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly output: vscode.LogOutputChannel,
  ) {
    this.settingsValue = this.readSettings().settings;
    this.events = new LiveEventsHub({ log: (level, message) => this.log(level, message) });
    this.disposables.push(
      this.stateEmitter,
      vscode.workspace.onDidChangeConfiguration((event) => {
        const changed = sidecarSettingSections.filter((section) => event.affectsConfiguration(section));
        if (changed.length > 0) this.scheduleRestart(`settings changed (${changed.join(', ')})`);
        else if (event.affectsConfiguration('runtrail')) this.settingsValue = this.readSettings().settings;
      }),
      context.secrets.onDidChange((event) => {
        const settings = this.settingsValue;
        if (event.key === secretKeys.neo4jPassword && settings.sidecar.mode === 'auto' && settings.neo4j.uri !== undefined) {
          this.scheduleRestart('the Neo4j password changed');
        } else if (event.key === secretKeys.sidecarToken && settings.sidecar.mode === 'external') {
          this.scheduleRestart('the sidecar token changed');
        }
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => {
        if (this.settingsValue.sidecar.mode === 'auto' && this.link instanceof AutoSidecar) {
          this.scheduleRestart('the first workspace folder changed (it holds runtrail.json)');
        }
      }),
    );
  }

  get state(): SidecarState {
    return this.current;
  }

  /** The current `runtrail.*` settings (H2's views read codeLens and runs.groupBy here too). */
  get settings(): RuntrailSettings {
    return this.settingsValue;
  }

  /** Where the running sidecar is and how it came to be (status bar tooltip, menu). */
  get endpoint(): SidecarEndpoint | undefined {
    const state = this.link?.state;
    return state?.kind === 'running' ? state.endpoint : undefined;
  }

  /** The link's own state, with failure causes and details the services.ts state leaves out. */
  get linkState(): LinkState {
    return this.link?.state ?? { kind: 'stopped' };
  }

  /** The id of the sidecar process this window spawned, if any (tests check it is gone after deactivate). */
  get spawnedPid(): number | undefined {
    return this.link instanceof AutoSidecar ? this.link.pid : undefined;
  }

  api(): RuntrailClient {
    const state = this.current;
    const endpoint = this.endpoint;
    if (state.kind === 'running' && endpoint !== undefined) {
      if (this.client?.url !== endpoint.url || this.clientToken !== endpoint.token) {
        this.client = new RuntrailClient(endpoint.url, endpoint.token);
        this.clientToken = endpoint.token;
      }
      return this.client;
    }
    if (state.kind === 'starting' || state.kind === 'running')
      throw new SidecarUnavailableError('The Runtrail sidecar is starting: try again in a moment.');
    if (state.kind === 'failed') throw new SidecarUnavailableError(state.reason);
    throw new SidecarUnavailableError(
      `The Runtrail sidecar is not running${state.reason === undefined ? '' : ` (${state.reason})`}: run "Runtrail: Start Sidecar".`,
    );
  }

  async start(options: StartOptions = {}): Promise<void> {
    if (this.shuttingDown !== undefined) return;
    const operation = ++this.operation;
    if (this.link === undefined || this.link.state.kind === 'stopped' || this.link.state.kind === 'failed') {
      // A fresh link reads the settings and secrets as they are now.
      await this.replaceLink();
      if (operation !== this.operation) return;
    }
    await this.withProgress(options, 'Starting the Runtrail sidecar', () => this.link?.start() ?? Promise.resolve());
  }

  async stop(): Promise<void> {
    ++this.operation;
    this.clearRestartTimer();
    await this.link?.stop('stopped from the command palette');
  }

  async restart(options: StartOptions = {}): Promise<void> {
    if (this.shuttingDown !== undefined) return;
    const operation = ++this.operation;
    this.clearRestartTimer();
    await this.withProgress(options, 'Restarting the Runtrail sidecar', async () => {
      this.setState({ kind: 'starting', mode: this.settingsValue.sidecar.mode });
      await this.replaceLink();
      if (operation !== this.operation) return;
      await this.link?.start();
    });
  }

  /** Stops everything and resolves once a spawned sidecar has exited: what deactivate() returns. */
  shutdown(): Promise<void> {
    this.shuttingDown ??= (async () => {
      ++this.operation;
      this.clearRestartTimer();
      this.events.disconnect();
      try {
        await this.link?.stop('VS Code is closing the extension');
      } finally {
        this.linkSubscription?.dispose();
        this.events.dispose();
        for (const disposable of this.disposables) disposable.dispose();
      }
    })();
    return this.shuttingDown;
  }

  dispose(): void {
    void this.shutdown();
  }

  private readSettings() {
    return readSettings(vscode.workspace.getConfiguration('runtrail'));
  }

  /** Builds the link the settings ask for (after stopping the old one). */
  private async replaceLink(): Promise<void> {
    const old = this.link;
    // The old link stops quietly: the state shown stays what the caller set (starting).
    this.linkSubscription?.dispose();
    this.link = undefined;
    this.events.disconnect();
    if (old !== undefined && old.state.kind !== 'stopped') await old.stop('restarting');
    const { settings, problems } = this.readSettings();
    this.settingsValue = settings;
    const mode = settings.sidecar.mode;
    const logger = {
      log: (level: LogLevel, message: string) => this.log(level, message),
      sidecarLine: (line: { level: LogLevel; text: string }) => this.output[line.level](`[sidecar] ${line.text}`),
    };
    let link: SidecarLink;
    if (mode === 'external') {
      const storedToken = await this.readSecret(secretKeys.sidecarToken);
      const urlProblem = problems.find((problem) => problem.setting === 'runtrail.sidecar.url');
      if (urlProblem !== undefined || settings.sidecar.url === undefined) {
        link = new MisconfiguredLink(urlProblem?.message ?? 'runtrail.sidecar.url is empty.', 'runtrail.sidecar.url');
      } else {
        link = new ExternalSidecar({ ...logger, url: settings.sidecar.url, token: storedToken ?? settings.sidecar.token });
      }
    } else {
      const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
      const host = currentHost(folder?.scheme === 'file' ? folder.fsPath : undefined);
      const neo4jPassword = settings.neo4j.uri === undefined ? undefined : await this.readSecret(secretKeys.neo4jPassword);
      const environment = sidecarEnvironment(settings, { neo4jPassword }, host);
      if (environment.ignored.length > 0) {
        this.log(
          'info',
          `ignoring ${environment.ignored.join(', ')} from VS Code's environment: the extension's sidecar is configured by the runtrail.* settings`,
        );
      }
      link = new AutoSidecar({
        ...logger,
        bundle: this.context.asAbsolutePath('dist/sidecar.js'),
        execPath: process.execPath,
        env: environment.env,
        cwd: host.workspaceFolder ?? host.home,
        dataDir: resolveDataDir(settings.dataDir, host),
        problems: [...problems.filter((problem) => problem.setting !== 'runtrail.sidecar.url'), ...environment.problems],
      });
    }
    this.link = link;
    this.linkMode = mode;
    this.linkSubscription = link.onDidChangeState((state) => this.onLinkState(state));
  }

  /** A secret storage that cannot be read (no keyring) must not keep the sidecar from starting. */
  private async readSecret(key: string): Promise<string | undefined> {
    try {
      return await this.context.secrets.get(key);
    } catch (error) {
      this.log('warn', `cannot read ${key} from VS Code's secret storage: ${(error as Error).message}`);
      return undefined;
    }
  }

  private onLinkState(state: LinkState): void {
    const mode = this.linkMode;
    let next: SidecarState;
    switch (state.kind) {
      case 'running':
        next = { kind: 'running', mode, url: state.endpoint.url, store: state.endpoint.store, relay: state.endpoint.relay };
        this.events.connect(state.endpoint.url, state.endpoint.token);
        this.lastNotified = undefined;
        break;
      case 'starting':
        next = { kind: 'starting', mode };
        if (state.detail !== undefined) this.log('info', state.detail);
        break;
      case 'failed':
        next = { kind: 'failed', mode, reason: state.reason };
        // An external sidecar that is away may come back: keep the event stream retrying with it.
        if (state.cause !== 'unreachable') this.events.disconnect();
        this.notifyFailure(state);
        break;
      case 'stopped':
        next = { kind: 'stopped', reason: state.reason };
        this.events.disconnect();
        break;
    }
    this.setState(next);
  }

  private setState(state: SidecarState): void {
    this.current = state;
    this.stateEmitter.fire(state);
  }

  /** One notification per distinct failure, with the actions that can fix it. */
  private notifyFailure(state: Extract<LinkState, { kind: 'failed' }>): void {
    if (this.shuttingDown !== undefined || this.lastNotified === state.reason) return;
    this.lastNotified = state.reason;
    const actions: string[] = [];
    if (state.cause === 'crashes') actions.push('Retry');
    if (state.cause === 'unauthorized') actions.push('Set Token');
    if (state.setting?.startsWith('runtrail.neo4j.user') && state.reason.includes('Set Neo4j Password')) actions.push('Set Neo4j Password');
    if (state.setting !== undefined && state.cause !== 'unauthorized') actions.push('Open Settings');
    actions.push('Show Logs');
    void vscode.window.showErrorMessage(state.reason, ...actions).then((action) => {
      switch (action) {
        case 'Retry':
          void this.start({ progress: 'notification' });
          return;
        case 'Set Token':
          void vscode.commands.executeCommand('runtrail.sidecar.setToken');
          return;
        case 'Set Neo4j Password':
          void vscode.commands.executeCommand('runtrail.sidecar.setNeo4jPassword');
          return;
        case 'Open Settings':
          void vscode.commands.executeCommand('workbench.action.openSettings', state.setting);
          return;
        case 'Show Logs':
          this.output.show(true);
          return;
      }
    });
  }

  /** Settings arrive keystroke by keystroke from the JSON editor: restart once they settle. */
  private scheduleRestart(why: string): void {
    this.clearRestartTimer();
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.shuttingDown !== undefined) return;
      this.lastNotified = undefined;
      if (this.current.kind === 'stopped' && this.link !== undefined) {
        this.log('info', `${why}: applied at the next start (the sidecar is stopped)`);
        this.settingsValue = this.readSettings().settings;
        return;
      }
      this.log('info', `${why}: restarting the sidecar`);
      void this.restart();
    }, 750);
  }

  private clearRestartTimer(): void {
    if (this.restartTimer !== undefined) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
  }

  private withProgress(options: StartOptions, title: string, task: () => Promise<void>): Promise<void> {
    const location = options.progress === 'notification' ? vscode.ProgressLocation.Notification : vscode.ProgressLocation.Window;
    return Promise.resolve(vscode.window.withProgress({ location, title }, task));
  }

  private log(level: LogLevel, message: string): void {
    this.output[level](message);
  }
}
