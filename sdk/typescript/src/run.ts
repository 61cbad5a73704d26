import { randomBytes } from 'node:crypto';
import { readGitContext } from './gitContext';
import { childKey, recordedName } from './keys';
import { childFrame, currentFrame, type NodeFrame, rootFrame, runInFrame } from './nodeContext';
import { toAttributes, toErrorInfo, toJsonValue } from './payload';
import { onProcessExit } from './processExit';
import { type FinishRunBody, isValidId, type NodeRecord, type SourceLocation, type Status } from './records';
import { parseOverrides, type RecordedNode, Recording, replayedError, splitKey } from './replay';
import type { Settings } from './settings';
import { callerLocation } from './sourceLocation';
import { Transport } from './transport';
import { isUsage, type StepResult, validCounts } from './usage';
import { warnOnce } from './warnings';

export interface NodeOptions {
  /** Recorded as the node's input (JSON; anything else as its string form). */
  readonly input?: unknown;
  readonly attributes?: Record<string, unknown>;
  /** Run the function again up to this many more times when it throws; each attempt is its own node. */
  readonly retries?: number;
  /** The model an `llm` node called, kept in its attributes. */
  readonly model?: string;
}

export interface DecisionOption<L extends string = string> {
  readonly label: L;
  readonly score?: number;
  readonly rationale?: string;
}

export type Choice<L extends string> = L | DecisionOption<L>;

export interface FinishOptions {
  /** Default `ok`, or `error` when an error is given. */
  readonly status?: Exclude<Status, 'running'>;
  readonly error?: unknown;
}

// biome-ignore lint/complexity/noBannedTypes: the public function a source location is taken below.
type Boundary = Function;

/** How long finish() and process exit wait for the sidecar; startRun waits less for the run's creation. */
const flushTimeoutMs = 5_000;
const startTimeoutMs = 3_000;

/**
 * One run as this process reports it. `startRun()` returns it; the module-level functions
 * (`step`, `llm`, …) record into the run of the node they are called under, else into the latest
 * started run. Every method runs the workflow's function whatever happens to the recording.
 */
export class RunHandle {
  readonly id: string;
  readonly workflow: string;
  /** True when this process created the run; false when it joined one (RUNTRAIL_RUN_ID). */
  readonly created: boolean;
  /** False when RUNTRAIL_DISABLED is set (or the settings cannot work): functions run, nothing is sent. */
  readonly recording: boolean;
  readonly url: string;
  private readonly transport: Transport | undefined;
  private readonly root: NodeFrame = rootFrame(this);
  private readonly startedAt = Date.now();
  private seq = 0;
  private finishing = false;
  private replay: Recording | undefined;
  /** RUNTRAIL_OVERRIDES: decision key → the label to take instead of asking `choose`. */
  private readonly overrides: ReadonlyMap<string, string>;
  private readonly detachExit: (() => void) | undefined;

  constructor(private readonly settings: Settings) {
    this.created = settings.joinRunId === undefined;
    this.id = settings.joinRunId ?? newRunId();
    this.workflow = settings.workflow;
    this.url = settings.url;
    this.recording = !settings.disabled;
    this.overrides = settings.disabled ? new Map() : parseOverrides(settings.overrides, warnOnce);
    if (settings.problem) warnOnce('settings', `${settings.problem}; nothing is recorded.`);
    if (!this.recording) return;
    this.transport = new Transport({ url: settings.url, token: settings.token, runId: this.id });
    this.detachExit = onProcessExit({
      beforeExit: async (code) => {
        if (!this.finishing) await this.finish(code === 0 ? {} : { status: 'error', error: `process exited with code ${code}` });
      },
      exit: (code, uncaught) => this.exitNow(code, uncaught),
    });
  }

  /** True until finish(): new nodes are recorded into this run. */
  get open(): boolean {
    return !this.finishing;
  }

  /** Reads git, creates the run (or joins it) and loads a replay's recording. */
  async start(): Promise<void> {
    const transport = this.transport;
    if (!transport) return;
    const { replayOf } = this.settings;
    const [git, replay] = await Promise.all([
      this.created ? readGitContext() : undefined,
      replayOf ? Recording.load(this.settings.url, this.settings.token, replayOf, this.settings.replayUntil, warnOnce) : undefined,
    ]);
    this.replay = replay;
    if (!this.created) return;
    transport.createRun({
      id: this.id,
      workflow: this.workflow,
      command: [process.execPath, ...process.execArgv, ...process.argv.slice(1)].slice(0, 256).map((arg) => arg.slice(0, 4096)),
      cwd: process.cwd(),
      ...(git ? { git } : {}),
      ...(this.settings.labels?.length ? { labels: this.settings.labels } : {}),
      startedAt: this.startedAt,
      ...(replayOf && isValidId(replayOf) ? { replayOf } : {}),
    });
    // Creating the run now surfaces a wrong token or a missing sidecar at once, not at exit.
    await transport.flush(startTimeoutMs);
  }

  step<R>(name: string, fn: () => R, options?: NodeOptions): Promise<StepResult<R>> {
    return this.recordNode('step', name, fn, options, this.step);
  }

  llm<R>(name: string, fn: () => R, options?: NodeOptions): Promise<StepResult<R>> {
    return this.recordNode('llm', name, fn, options, this.llm);
  }

  tool<R>(name: string, fn: () => R, options?: NodeOptions): Promise<StepResult<R>> {
    return this.recordNode('tool', name, fn, options, this.tool);
  }

  decide<L extends string>(
    name: string,
    options: readonly Choice<L>[],
    choose: (options: DecisionOption<L>[]) => Choice<L> | Promise<Choice<L>>,
  ): Promise<L> {
    return this.recordDecision(name, options, choose, this.decide);
  }

  log(message: string, attributes?: Record<string, unknown>): void {
    this.recordLog(message, attributes, this.log);
  }

  /** Delivers what is buffered and, for a run this process created, sets its status. Idempotent. */
  async finish(options: FinishOptions = {}): Promise<void> {
    if (options.status !== undefined && !['ok', 'error', 'cancelled'].includes(options.status)) {
      throw new TypeError(`finish(): status must be "ok", "error" or "cancelled", not ${JSON.stringify(options.status)}`);
    }
    if (this.finishing) return;
    this.finishing = true;
    const transport = this.transport;
    if (!transport) return;
    if (this.created) transport.finishRun(this.finishBody(options.status ?? (options.error === undefined ? 'ok' : 'error'), options.error));
    await transport.flush(flushTimeoutMs);
    transport.reportUndelivered();
    this.detachExit?.();
  }

  /** @internal The body of `step`/`llm`/`tool`; `boundary` is the public function the workflow called. */
  recordNode<R>(kind: string, name: string, fn: () => R, options: NodeOptions | undefined, boundary: Boundary): Promise<StepResult<R>> {
    const problem = nodeProblem(kind, name, fn, options);
    if (problem) return Promise.reject(new TypeError(problem));
    if (!this.transport || this.finishing) return runUnrecorded(fn, options?.retries);
    const source = callerLocation(boundary);
    return this.attempts(kind, recordedName(name), fn, options ?? {}, source, this.parentFrame());
  }

  /** @internal The body of `decide`. */
  recordDecision<L extends string>(
    name: string,
    options: readonly Choice<L>[],
    choose: (options: DecisionOption<L>[]) => Choice<L> | Promise<Choice<L>>,
    boundary: Boundary,
  ): Promise<L> {
    let normalized: DecisionOption<L>[];
    try {
      normalized = decisionOptions(name, options, choose);
    } catch (error) {
      return Promise.reject(error);
    }
    if (!this.transport || this.finishing) return chooseLabel(name, normalized, choose);
    const source = callerLocation(boundary);
    return this.decision(recordedName(name), normalized, choose, source, this.parentFrame());
  }

  /** @internal The body of `log`. */
  recordLog(message: string, attributes: Record<string, unknown> | undefined, boundary: Boundary): void {
    if (!this.transport || this.finishing) return;
    const text = typeof message === 'string' ? message : String(message);
    const parent = this.parentFrame();
    const name = logName(text);
    const now = Date.now();
    this.transport.send({
      id: newNodeId(),
      parentId: parent.nodeId,
      key: childKey(parent.key, name, parent.children.next(name)),
      kind: 'log',
      name,
      status: 'ok',
      seq: this.seq++,
      startedAt: now,
      endedAt: now,
      output: toJsonValue(text, this.settings.maxFieldBytes),
      attributes: toAttributes(attributes, this.settings.maxFieldBytes),
      source: callerLocation(boundary),
    });
  }

  private async attempts<R>(
    kind: string,
    name: string,
    fn: () => R,
    options: NodeOptions,
    source: SourceLocation | undefined,
    parent: NodeFrame,
  ): Promise<StepResult<R>> {
    const retries = options.retries ?? 0;
    const input = toJsonValue(options.input, this.settings.maxFieldBytes);
    for (let attempt = 1; ; attempt++) {
      const attributes = {
        ...options.attributes,
        ...(options.model === undefined ? {} : { model: options.model }),
        ...(retries > 0 ? { attempt } : {}),
      };
      const node = this.openNode(kind, name, parent, source, input, attributes);
      const recorded = this.replayable(node);
      if (recorded) {
        // Served from the recording: the body does not run; a recorded failure fails again, and
        // retries go on to the next attempt as they did the first time.
        const replayedAttributes = { ...attributes, replays: recorded.id };
        if (recorded.status === 'error') {
          const error = replayedError(recorded.error);
          this.closeNode(node, {
            status: 'error',
            error: copiedError(recorded.error, error),
            replayed: true,
            attributes: replayedAttributes,
          });
          this.copyDescendants(node, recorded);
          if (attempt > retries) throw error;
          continue;
        }
        this.closeNode(node, { status: 'ok', output: toJsonValue(recorded.output), replayed: true, attributes: replayedAttributes });
        this.copyDescendants(node, recorded);
        return recorded.output as StepResult<R>;
      }
      try {
        const value = await runInFrame(node.frame, fn);
        const output = isUsage(value) ? value.output : value;
        this.closeNode(node, {
          status: 'ok',
          output: toJsonValue(output, this.settings.maxFieldBytes),
          ...(isUsage(value) ? validCounts(value) : {}),
        });
        return output as StepResult<R>;
      } catch (error) {
        this.closeNode(node, { status: 'error', error: toErrorInfo(error, this.settings.maxFieldBytes) });
        if (attempt > retries) throw error;
      }
    }
  }

  private async decision<L extends string>(
    name: string,
    options: DecisionOption<L>[],
    choose: (options: DecisionOption<L>[]) => Choice<L> | Promise<Choice<L>>,
    source: SourceLocation | undefined,
    parent: NodeFrame,
  ): Promise<L> {
    const recordedOptions = toJsonValue(options, this.settings.maxFieldBytes);
    const node = this.openNode('decision', name, parent, source, { options: recordedOptions }, undefined);
    const overridden = this.overriddenChoice(node, name, options);
    if (overridden !== undefined) {
      this.closeNode(node, {
        status: 'ok',
        output: { chosen: overridden },
        attributes: { options: recordedOptions, chosen: overridden, overridden: true },
      });
      return overridden;
    }
    const recorded = this.replayable(node);
    if (recorded) {
      if (recorded.status === 'error') {
        const error = replayedError(recorded.error);
        this.closeNode(node, {
          status: 'error',
          error: copiedError(recorded.error, error),
          replayed: true,
          attributes: { options: recordedOptions, replays: recorded.id },
        });
        throw error;
      }
      const chosen = (recorded.output as { chosen?: unknown } | null | undefined)?.chosen;
      const option = options.find((o) => o.label === chosen);
      if (option) {
        this.closeNode(node, {
          status: 'ok',
          output: { chosen: option.label },
          replayed: true,
          attributes: { options: recordedOptions, chosen: option.label, replays: recorded.id },
        });
        this.copyDescendants(node, recorded);
        return option.label;
      }
      // The recorded choice is no longer an option: the code changed, so choose live.
      this.transport?.send({ id: node.id, diverged: true });
    }
    try {
      const chosen = await runInFrame(node.frame, () => chooseLabel(name, options, choose));
      this.closeNode(node, { status: 'ok', output: { chosen }, attributes: { options: recordedOptions, chosen } });
      return chosen;
    } catch (error) {
      this.closeNode(node, { status: 'error', error: toErrorInfo(error, this.settings.maxFieldBytes) });
      throw error;
    }
  }

  /** Starts a node: its key and seq are taken now, synchronously, so call order decides them. */
  private openNode(
    kind: string,
    name: string,
    parent: NodeFrame,
    source: SourceLocation | undefined,
    input: unknown,
    attributes: Record<string, unknown> | undefined,
  ): OpenNode {
    const id = newNodeId();
    const key = childKey(parent.key, name, parent.children.next(name));
    this.transport?.send({
      id,
      parentId: parent.nodeId,
      key,
      kind,
      name,
      status: 'running',
      seq: this.seq++,
      startedAt: Date.now(),
      input,
      attributes: attributes && Object.keys(attributes).length > 0 ? toAttributes(attributes, this.settings.maxFieldBytes) : undefined,
      source,
    });
    return { id, key, frame: childFrame(this, id, key) };
  }

  private closeNode(node: OpenNode, fields: Omit<NodeRecord, 'id'>): void {
    this.transport?.send({ id: node.id, endedAt: Date.now(), ...fields });
  }

  /**
   * The recorded node this one may be served from, or undefined to run live. A key the recording
   * lacks means the code took another path than the original run: the node is marked diverged.
   * A key it holds with `replay: false` lies at or after the fork point: live, unmarked.
   */
  private replayable(node: OpenNode): RecordedNode | undefined {
    if (!this.replay) return undefined;
    const found = this.replay.recorded(node.key);
    if (!found) {
      this.transport?.send({ id: node.id, diverged: true });
      return undefined;
    }
    return found.replay ? found : undefined;
  }

  /**
   * A replayed step's body does not run, so neither do the steps inside it: their recorded nodes
   * are copied under it (marked replayed), so the replay has the same keys as the original.
   */
  private copyDescendants(node: OpenNode, recorded: RecordedNode): void {
    if (!this.replay || !this.transport) return;
    const idsByKey = new Map([[recorded.key, node.id]]);
    for (const child of this.replay.descendants(recorded.key)) {
      const { parentKey, name } = splitKey(child.key);
      const parentId = idsByKey.get(parentKey);
      if (parentId === undefined) continue;
      const id = newNodeId();
      idsByKey.set(child.key, id);
      const now = Date.now();
      this.transport.send({
        id,
        parentId,
        key: child.key,
        kind: child.kind ?? 'step',
        name,
        status: child.status,
        seq: this.seq++,
        startedAt: now,
        endedAt: now,
        ...(child.status === 'error'
          ? { error: copiedError(child.error, replayedError(child.error)) }
          : { output: toJsonValue(child.output) }),
        replayed: true,
        attributes: { replays: child.id },
      });
    }
  }

  /** The label RUNTRAIL_OVERRIDES names for this decision, when it is one of its options. */
  private overriddenChoice<L extends string>(node: OpenNode, name: string, options: DecisionOption<L>[]): L | undefined {
    const label = this.overrides.get(node.key);
    if (label === undefined) return undefined;
    const option = options.find((o) => o.label === label);
    if (!option) {
      warnOnce(
        `override:${node.key}`,
        `RUNTRAIL_OVERRIDES asks decide(${JSON.stringify(name)}) at ${node.key} for ${JSON.stringify(label)}, which is not one of its options (${options.map((o) => JSON.stringify(o.label)).join(', ')}); it chooses as usual.`,
      );
      return undefined;
    }
    return option.label;
  }

  private parentFrame(): NodeFrame {
    const frame = currentFrame();
    return frame?.owner === this ? frame : this.root;
  }

  private finishBody(status: Exclude<Status, 'running'>, error: unknown): FinishRunBody {
    return {
      status,
      ...(error === undefined ? {} : { error: toErrorInfo(error, this.settings.maxFieldBytes) }),
      endedAt: Date.now(),
    };
  }

  /** The process is exiting without an event loop: post what is left synchronously. */
  private exitNow(code: number, uncaught: unknown): void {
    const finish =
      this.created && !this.finishing
        ? this.finishBody(code === 0 ? 'ok' : 'error', code === 0 ? undefined : (uncaught ?? `process exited with code ${code}`))
        : undefined;
    this.finishing = true;
    this.transport?.flushSync(finish);
  }
}

interface OpenNode {
  readonly id: string;
  readonly key: string;
  readonly frame: NodeFrame;
}

/** The recorded error as the replayed node records it (the recorded one when there is one). */
function copiedError(recorded: RecordedNode['error'], thrown: Error): NodeRecord['error'] {
  if (recorded && typeof recorded.message === 'string') return recorded;
  return { message: thrown.message, type: thrown.name };
}

/** Runs a step's function, retries included, without recording it (disabled, outside a run, after finish). */
export async function runUnrecorded<R>(fn: () => R, retries = 0): Promise<StepResult<R>> {
  for (let attempt = 1; ; attempt++) {
    try {
      const value = await fn();
      return (isUsage(value) ? value.output : value) as StepResult<R>;
    } catch (error) {
      if (attempt > retries) throw error;
    }
  }
}

/** Asks `choose` and checks that its answer is one of the options. */
export async function chooseLabel<L extends string>(
  name: string,
  options: DecisionOption<L>[],
  choose: (options: DecisionOption<L>[]) => Choice<L> | Promise<Choice<L>>,
): Promise<L> {
  const picked: unknown = await choose(options.map((option) => ({ ...option })));
  const label = typeof picked === 'string' ? picked : (picked as { label?: unknown } | null)?.label;
  const option = options.find((o) => o.label === label);
  if (!option) {
    throw new Error(
      `decide(${JSON.stringify(name)}): choose() returned ${describeValue(picked)}, which is not one of the options (${options.map((o) => JSON.stringify(o.label)).join(', ')}).`,
    );
  }
  return option.label;
}

/** Options as `{label, score?, rationale?}`; strings become labels. Throws a TypeError naming what is wrong. */
export function decisionOptions<L extends string>(name: string, options: readonly Choice<L>[], choose: unknown): DecisionOption<L>[] {
  const where = `decide(${JSON.stringify(name)})`;
  if (typeof name !== 'string' || name.length === 0) throw new TypeError('decide(): name must be a non-empty string.');
  if (typeof choose !== 'function') throw new TypeError(`${where}: choose must be a function that returns one of the options.`);
  if (!Array.isArray(options) || options.length === 0)
    throw new TypeError(`${where}: options must be a non-empty array of labels or {label, score?, rationale?}.`);
  const seen = new Set<string>();
  return options.map((option, index) => {
    const normalized: DecisionOption<L> = typeof option === 'string' ? { label: option } : option;
    const { label, score, rationale } = (normalized ?? {}) as Partial<DecisionOption<L>>;
    if (typeof label !== 'string' || label.length === 0)
      throw new TypeError(`${where}: option ${index} has no label (a non-empty string).`);
    if (score !== undefined && (typeof score !== 'number' || !Number.isFinite(score))) {
      throw new TypeError(`${where}: option ${JSON.stringify(label)} has a score that is not a finite number.`);
    }
    if (rationale !== undefined && typeof rationale !== 'string')
      throw new TypeError(`${where}: option ${JSON.stringify(label)} has a rationale that is not a string.`);
    if (seen.has(label)) throw new TypeError(`${where}: option label ${JSON.stringify(label)} appears twice; labels must be unique.`);
    seen.add(label);
    return { label, ...(score === undefined ? {} : { score }), ...(rationale === undefined ? {} : { rationale }) };
  });
}

/** What is wrong with a step call, in one sentence, or undefined. */
export function nodeProblem(kind: string, name: unknown, fn: unknown, options: NodeOptions | undefined): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return `${kind}(): name must be a non-empty string.`;
  const where = `${kind}(${JSON.stringify(name)})`;
  if (typeof fn !== 'function') return `${where}: the second argument must be the function to run.`;
  const retries = options?.retries;
  if (retries !== undefined && (!Number.isInteger(retries) || retries < 0)) return `${where}: retries must be a whole number ≥ 0.`;
  return undefined;
}

function logName(message: string): string {
  const firstLine = message.trim().split('\n', 1)[0]?.trim() ?? '';
  return firstLine.length === 0 ? 'log' : firstLine.slice(0, 200);
}

function describeValue(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** 32 random hex characters, made once per node so a re-sent record is an idempotent upsert. */
function newNodeId(): string {
  return randomBytes(16).toString('hex');
}

/** Time-ordered like the sidecar's own ids (base36 ms), then randomness. */
function newRunId(): string {
  return `run_${Date.now().toString(36)}${randomBytes(8).toString('hex')}`;
}
