import type { NodeDelta } from '../host';

/**
 * Live deltas wait here until the next animation frame: a burst of 200 upserts becomes one graph
 * update and at most one layout. Deltas for the same node are merged field by field (a later field
 * wins) and keep the position of the first, so creation order survives.
 */
export class DeltaQueue {
  private pending = new Map<string, Record<string, unknown>>();

  get size(): number {
    return this.pending.size;
  }

  push(delta: NodeDelta): void {
    const key = `${delta.runId}\u0000${delta.id}`;
    const existing = this.pending.get(key);
    if (existing === undefined) this.pending.set(key, { ...delta });
    else Object.assign(existing, delta);
  }

  drain(): NodeDelta[] {
    const out = [...this.pending.values()] as NodeDelta[];
    this.pending = new Map();
    return out;
  }
}
