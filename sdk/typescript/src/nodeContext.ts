import { AsyncLocalStorage } from 'node:async_hooks';
import { Occurrences } from './keys';

/**
 * The node a piece of code runs under. Each step's function runs inside its own frame, so nested
 * calls find their parent however many awaits, timers or parallel branches lie between them.
 * `owner` is the run the node belongs to (typed loosely to keep this module free of run.ts).
 */
export interface NodeFrame {
  readonly owner: object;
  /** null for a run's root frame: its children are root nodes. */
  readonly nodeId: string | null;
  readonly key: string;
  readonly children: Occurrences;
}

const storage = new AsyncLocalStorage<NodeFrame>();

export function currentFrame(): NodeFrame | undefined {
  return storage.getStore();
}

/** Calls `fn` synchronously inside `frame`; whatever it starts (promises, timers) inherits it. */
export function runInFrame<T>(frame: NodeFrame, fn: () => T): T {
  return storage.run(frame, fn);
}

export function rootFrame(owner: object): NodeFrame {
  return { owner, nodeId: null, key: '', children: new Occurrences() };
}

export function childFrame(owner: object, nodeId: string, key: string): NodeFrame {
  return { owner, nodeId, key, children: new Occurrences() };
}
