import { applyNodeDelta, emptyNodeSummary } from '../../protocol/nodeDelta';
import { type FlatTree, type NodeSummary, type Run, RunStatus, terminalStatuses } from '../../protocol/runs';
import { booleanOption, type CliContext, type CommandSpec, stringsOption } from './cliContext';
import { CliError, exitCodes, UsageError } from './cliError';
import { type SidecarClient, SidecarHttpError } from './sidecarClient';
import { followEvents } from './sseStream';
import { formatDuration, ProgressLine } from './terminal';
import { errorText, type NodeView, nodeLine, runSummary } from './treeRender';

/**
 * `runtrail run <workflow>`: starts a workflow declared in runtrail.json through the sidecar's
 * runner, follows its events live, and exits with the run's outcome (0 ok, 1 error, 130
 * cancelled). The first Ctrl-C cancels the run and waits for it to end; a second stops waiting.
 */
export const runCommand: CommandSpec = {
  name: 'run',
  summary: 'start a declared workflow and follow it live',
  usage: '<workflow> [--input <name=value>]... [--label <label>]... [--quiet]',
  description:
    "Starts a workflow from the workspace's runtrail.json (the sidecar's RUNTRAIL_WORKSPACE or working folder) and prints its nodes as they start and finish. Exit code: 0 when the run ends ok, 1 on error, 130 when cancelled. Ctrl-C cancels the run.",
  positionals: [{ name: 'workflow', required: true }],
  options: {
    input: { type: 'string', multiple: true, short: 'i', value: 'name=value', description: 'a workflow input (repeatable)' },
    label: { type: 'string', multiple: true, short: 'l', value: 'label', description: 'a label for the run (repeatable)' },
    quiet: { type: 'boolean', short: 'q', description: 'print only the final summary line' },
  },
  examples: ['runtrail run triage --input issue=examples/issue-42.md', 'runtrail run nightly --label ci --quiet'],
  async run(ctx, args) {
    const workflow = args.positionals[0] as string;
    const inputs = parseInputs(stringsOption(args, 'input'));
    const labels = stringsOption(args, 'label');
    const client = ctx.client();
    const run = await startRun(client, workflow, inputs, labels);
    return followRun(ctx, client, run, booleanOption(args, 'quiet'));
  },
};

/**
 * Prints a started run's nodes live until it ends (Ctrl-C cancels it); resolves with the exit code
 * for its outcome: 0 ok, 1 error, 130 cancelled. `run` and `replay` both end with it.
 */
export function followRun(ctx: CliContext, client: SidecarClient, run: Run, quiet: boolean): Promise<number> {
  return new LiveRun(ctx, client, run, quiet).follow();
}

/** `--input name=value` flags as the runner's inputs; the value may itself contain `=`. */
export function parseInputs(flags: readonly string[]): Record<string, string> {
  const inputs: Record<string, string> = {};
  for (const flag of flags) {
    const equals = flag.indexOf('=');
    if (equals <= 0) throw new UsageError(`--input ${JSON.stringify(flag)} is not name=value`, 'run');
    inputs[flag.slice(0, equals)] = flag.slice(equals + 1);
  }
  return inputs;
}

async function startRun(client: SidecarClient, workflow: string, inputs: Record<string, string>, labels: string[]): Promise<Run> {
  try {
    return await client.startWorkflow(workflow, {
      ...(Object.keys(inputs).length > 0 ? { inputs } : {}),
      ...(labels.length > 0 ? { labels } : {}),
    });
  } catch (error) {
    if (!(error instanceof SidecarHttpError)) throw error;
    if (error.status === 404) throw await unknownWorkflow(client, workflow, error);
    // Bad inputs are the caller's to fix, like a bad flag.
    if (error.status === 400) throw new CliError(error.message, exitCodes.usage);
    throw error;
  }
}

/** `no workflow "x" in /w/runtrail.json (declared: a, b)`, when the sidecar can list them. */
async function unknownWorkflow(client: SidecarClient, workflow: string, original: SidecarHttpError): Promise<CliError> {
  try {
    const list = await client.listWorkflows();
    if (list.workflows.some((w) => w.name === workflow)) return original;
    const where = list.configFile ? ` in ${list.configFile}` : '';
    const declared = list.workflows.length > 0 ? `declared: ${list.workflows.map((w) => w.name).join(', ')}` : 'none declared';
    return new CliError(`no workflow ${JSON.stringify(workflow)}${where} (${declared})`);
  } catch {
    return original;
  }
}

/** A node as followed: its summary (protocol/nodeDelta.ts rules) and what was printed of it. */
interface LiveNode {
  summary: NodeSummary;
  printedStart: boolean;
  printedEnd: boolean;
  /** Cached once the chain up to a root is known. */
  depth: number | undefined;
}

/** Beyond this many levels, deeper nodes are not indented further (a 1,000-deep run stays legible). */
const maxIndent = 40;

/** One followed run: node state from the events, the lines printed so far, the progress line. */
class LiveRun {
  private readonly nodes = new Map<string, LiveNode>();
  private readonly progress: ProgressLine;
  private readonly startedAt = Date.now();
  private finished: Run | undefined;
  private deleted = false;
  private cancelling = false;
  private eventsSeen = 0;
  /** The last line printed, when it was a node's start line (its end line may replace it). */
  private lastStart: { id: string; text: string } | undefined;

  constructor(
    private readonly ctx: CliContext,
    private readonly client: SidecarClient,
    private readonly run: Run,
    private readonly quiet: boolean,
  ) {
    this.progress = new ProgressLine(ctx.stdout, () => this.progressText());
  }

  async follow(): Promise<number> {
    const c = this.ctx.colors;
    const stopFollowing = new AbortController();
    const onSigint = () => {
      if (this.cancelling) {
        stopFollowing.abort();
        return;
      }
      this.cancelling = true;
      this.note(`Cancelling ${this.run.id}… (Ctrl-C again to stop waiting)`);
      this.client.cancelRun(this.run.id).catch((error: unknown) => this.note(`could not cancel: ${(error as Error).message}`));
    };
    process.on('SIGINT', onSigint);
    if (!this.quiet) {
      const hint = this.ctx.stdout.isTTY ? c.dim('  (Ctrl-C cancels)') : '';
      this.print(`${c.bold('▶')} ${c.bold(this.run.workflow)}  ${this.run.id}${hint}`);
    }
    // A command that could not be spawned gives a run that is over before it is followed.
    if (terminalStatuses.includes(this.run.status)) this.finished = this.run;
    else if (!this.quiet) this.progress.start();
    try {
      // `0-0`: everything the relay still holds for this run, so events published between the
      // POST and this subscription are not lost (a fast run may be over already).
      const events = followEvents(this.client, {
        runId: this.run.id,
        lastEventId: '0-0',
        signal: stopFollowing.signal,
        onReconnecting: (reason) => this.note(`${reason}; reconnecting…`),
        onReconnected: () => this.note('reconnected'),
      });
      for await (const event of this.finished === undefined ? events : []) {
        this.eventsSeen++;
        if (event.event === 'node') this.apply(JSON.parse(event.data) as Record<string, unknown>);
        else if (event.event === 'run') this.onRunEvent(JSON.parse(event.data) as Record<string, unknown>);
        else if (event.event === 'reset') await this.reload(this.eventsSeen > 1);
        else if (event.event === 'paused') this.note(`live updates paused (${reasonOf(event.data)}); waiting for them to resume`);
        else if (event.event === 'resumed') this.note('live updates resumed');
        if (this.finished !== undefined || this.deleted) break;
      }
    } finally {
      process.off('SIGINT', onSigint);
      this.progress.stop();
    }

    if (this.deleted) throw new CliError(`run ${this.run.id} was deleted while it ran`);
    if (this.finished === undefined) {
      this.ctx.stderr.write(`Stopped following ${this.run.id}; it may still be running: runtrail show ${this.run.id}\n`);
      return exitCodes.cancelled;
    }
    // The last nodes may have been committed around the run's end: the stored tree has them all.
    const final = await this.reload(false).catch(() => undefined);
    const run = final ?? this.finished;
    const error = errorText(run.error, 400);
    if (error !== undefined && !this.quiet) this.print(c.red(`error: ${error}`));
    this.print(runSummary(run, c));
    return run.status === 'ok' ? exitCodes.ok : run.status === 'cancelled' ? exitCodes.cancelled : exitCodes.failed;
  }

  /** Applies one node upsert delta (the store's rules: protocol/nodeDelta.ts) and prints what changed. */
  private apply(delta: Record<string, unknown>): void {
    const id = typeof delta.id === 'string' ? delta.id : undefined;
    if (id === undefined) return;
    const existing = this.nodes.get(id);
    const summary = applyNodeDelta(existing?.summary, { ...delta, runId: this.run.id, id });
    const node = existing ?? this.track(summary);
    node.summary = summary;
    // A parent named before its own record arrives: known as a placeholder until then.
    if (summary.parentId !== null && !this.nodes.has(summary.parentId)) {
      this.track(emptyNodeSummary(this.run.id, summary.parentId, true));
    }
    if (!node.printedEnd) this.printNode(node);
  }

  private track(summary: NodeSummary): LiveNode {
    const node: LiveNode = { summary, printedStart: false, printedEnd: false, depth: undefined };
    this.nodes.set(summary.id, node);
    return node;
  }

  private printNode(node: LiveNode): void {
    if (node.summary.placeholder || this.quiet) return;
    const finished = terminalStatuses.includes(node.summary.status);
    if (node.summary.kind === 'log') {
      // A log line is whole when it arrives: print it once.
      if (!node.printedStart) this.print(this.indent(node) + nodeLine(this.view(node), this.ctx.colors));
      node.printedStart = node.printedEnd = true;
      return;
    }
    if (!finished && !node.printedStart) {
      const text = this.indent(node) + nodeLine(this.view(node), this.ctx.colors);
      this.print(text);
      this.lastStart = { id: node.summary.id, text };
      node.printedStart = true;
    } else if (finished && !node.printedEnd) {
      const text = this.indent(node) + nodeLine(this.view(node), this.ctx.colors);
      // `● step plan` directly followed by `✓ step plan 1.2s`: on a TTY the second replaces the first.
      const replaced = this.lastStart?.id === node.summary.id && this.progress.replaceLast(this.lastStart.text, text);
      if (!replaced) this.print(text);
      node.printedStart = node.printedEnd = true;
    }
  }

  private view({ summary }: LiveNode): NodeView {
    return {
      id: summary.id,
      kind: summary.kind,
      name: summary.name,
      status: summary.status,
      // A start line is printed as the node starts: its elapsed time would only say how late.
      startedAt: undefined,
      durationMs: summary.durationMs,
      tokensIn: summary.tokensIn,
      tokensOut: summary.tokensOut,
      error: summary.error ?? undefined,
    };
  }

  /** Two spaces per level of the parent chain known so far. */
  private indent(node: LiveNode): string {
    return '  '.repeat(Math.min(this.depthOf(node), maxIndent));
  }

  private depthOf(node: LiveNode): number {
    if (node.depth !== undefined) return node.depth;
    let depth = 0;
    let complete = true;
    let current = node;
    const seen = new Set<string>();
    while (current.summary.parentId) {
      const parent = this.nodes.get(current.summary.parentId);
      if (parent === undefined || seen.has(parent.summary.id)) break;
      seen.add(parent.summary.id);
      depth++;
      if (parent.depth !== undefined) {
        depth += parent.depth;
        break;
      }
      if (parent.summary.placeholder) complete = false;
      current = parent;
    }
    if (complete && !node.summary.placeholder) node.depth = depth;
    return depth;
  }

  private onRunEvent(data: Record<string, unknown>): void {
    if (data.id !== this.run.id) return;
    if (data.deleted === true) {
      this.deleted = true;
      return;
    }
    const status = RunStatus.safeParse(data.status);
    if (status.success && terminalStatuses.includes(status.data)) this.finished = data as unknown as Run;
  }

  /**
   * The stored tree, applied as if its nodes had come as events (nothing is printed twice): after
   * a `reset` (the relay no longer has what we missed), and at the end.
   */
  private async reload(announce: boolean): Promise<Run> {
    if (announce) this.note('some live updates were lost; reloaded the run from the store');
    let tree: FlatTree;
    try {
      tree = await this.client.flatTree(this.run.id);
    } catch (error) {
      if (error instanceof SidecarHttpError && error.status === 404) {
        this.deleted = true;
        return this.run;
      }
      throw error;
    }
    for (const node of tree.nodes) {
      if (node.placeholder) continue;
      this.apply({ ...node, error: node.error ?? undefined });
    }
    if (terminalStatuses.includes(tree.run.status)) this.finished ??= tree.run;
    return tree.run;
  }

  private progressText(): string {
    let count = 0;
    let running = 0;
    for (const { summary } of this.nodes.values()) {
      if (summary.placeholder) continue;
      count++;
      if (summary.status === 'running') running++;
    }
    const parts = [`${count} node${count === 1 ? '' : 's'}`, `${running} running`, formatDuration(Date.now() - this.startedAt)];
    if (this.cancelling) parts.push('cancelling…');
    return parts.join(' · ');
  }

  private print(text: string): void {
    this.lastStart = undefined;
    this.progress.print(text);
  }

  /** Something about the stream rather than the run: dimmed, and on stderr when stdout is piped. */
  private note(text: string): void {
    if (this.ctx.stdout.isTTY && !this.quiet) this.print(this.ctx.colors.dim(text));
    else this.ctx.stderr.write(`runtrail: ${text}\n`);
  }
}

function reasonOf(data: string): string {
  try {
    const reason = (JSON.parse(data) as { reason?: unknown }).reason;
    return typeof reason === 'string' ? reason : 'no reason given';
  } catch {
    return 'no reason given';
  }
}
