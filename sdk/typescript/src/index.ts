/**
 * Runtrail for Node/TypeScript workflows: `await startRun()`, wrap steps, `await finish()`.
 * See ../README.md and ../../README.md (the contract shared with the Python SDK).
 */
import { currentFrame } from './nodeContext';
import {
  type Choice,
  chooseLabel,
  type DecisionOption,
  decisionOptions,
  type FinishOptions,
  type NodeOptions,
  nodeProblem,
  RunHandle,
  runUnrecorded,
} from './run';
import { isDisabled, resolveSettings, type StartRunOptions } from './settings';
import type { StepResult } from './usage';
import { warnOnce } from './warnings';

export { type Usage, type UsageCounts, usage } from './usage';
export type { Choice, DecisionOption, FinishOptions, NodeOptions, StartRunOptions, StepResult };
export { RunHandle };

/** The run module-level calls record into when they are not inside a node of another run. */
let latestRun: RunHandle | undefined;

/**
 * Starts recording a run (or joins RUNTRAIL_RUN_ID when the runner started one). Later calls to
 * `step`, `llm`, `tool`, `decide` and `log` record into it, from anywhere in the process.
 */
export async function startRun(options: StartRunOptions = {}): Promise<RunHandle> {
  const run = new RunHandle(resolveSettings(options));
  // Current at once, so steps called before the promise settles are already recorded.
  latestRun = run;
  await run.start();
  return run;
}

/** A `step` node around `fn` (sync or async); returns what `fn` returns. */
export function step<R>(name: string, fn: () => R, options?: NodeOptions): Promise<StepResult<R>> {
  return recordNode('step', name, fn, options, step);
}

/** An `llm` node; `fn` may return `usage(output, {tokensIn, tokensOut, costUsd})` to record its cost. */
export function llm<R>(name: string, fn: () => R, options?: NodeOptions): Promise<StepResult<R>> {
  return recordNode('llm', name, fn, options, llm);
}

/** A `tool` node around `fn`. */
export function tool<R>(name: string, fn: () => R, options?: NodeOptions): Promise<StepResult<R>> {
  return recordNode('tool', name, fn, options, tool);
}

/**
 * A `decision` node recording every option and the one `choose` picked (it returns a label or
 * an option); resolves to the chosen label.
 */
export function decide<L extends string>(
  name: string,
  options: readonly Choice<L>[],
  choose: (options: DecisionOption<L>[]) => Choice<L> | Promise<Choice<L>>,
): Promise<L> {
  const run = activeRun();
  if (run) return run.recordDecision(name, options, choose, decide);
  let normalized: DecisionOption<L>[];
  try {
    normalized = decisionOptions(name, options, choose);
  } catch (error) {
    return Promise.reject(error);
  }
  warnOutsideRun(`decide(${JSON.stringify(name)})`);
  return chooseLabel(name, normalized, choose);
}

/** A finished `log` node under the current node. */
export function log(message: string, attributes?: Record<string, unknown>): void {
  const run = activeRun();
  if (run) run.recordLog(message, attributes, log);
  else warnOutsideRun('log()');
}

/** Delivers what is buffered and sets the run's status (`ok` by default) when this process created it. */
export async function finish(options: FinishOptions = {}): Promise<void> {
  const run = latestRun;
  if (!run) return;
  await run.finish(options);
  if (latestRun === run) latestRun = undefined;
}

function recordNode<R>(
  kind: string,
  name: string,
  fn: () => R,
  options: NodeOptions | undefined,
  boundary: typeof step,
): Promise<StepResult<R>> {
  const run = activeRun();
  if (run) return run.recordNode(kind, name, fn, options, boundary);
  const problem = nodeProblem(kind, name, fn, options);
  if (problem) return Promise.reject(new TypeError(problem));
  warnOutsideRun(`${kind}(${JSON.stringify(name)})`);
  return runUnrecorded(fn, options?.retries);
}

/** The run of the node we are inside, else the latest started one, while it is open. */
function activeRun(): RunHandle | undefined {
  const owner = currentFrame()?.owner;
  if (owner instanceof RunHandle && owner.open) return owner;
  return latestRun?.open ? latestRun : undefined;
}

function warnOutsideRun(call: string): void {
  if (isDisabled()) return;
  warnOnce('outside-run', `${call} ran outside a run (call \`await startRun()\` first): nothing is recorded.`);
}
