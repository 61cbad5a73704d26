import { createHash } from 'node:crypto';

/** The sidecar's limits on a node's `key` and `name` (protocol/runs.ts `NodeRecord`). */
export const maxKeyLength = 4096;
export const maxNameLength = 1000;

/**
 * A node's key: parent key + `/` + name + `#` + occurrence of that name under that parent,
 * counted from 0 (`/plan#0/search#2`); roots have parent key `""`. Two runs of the same code give
 * the same keys, which is what replay and diff match on.
 *
 * A key that would outgrow the sidecar's limit (very deep trees) keeps its last segment behind a
 * digest of the whole path, so it stays deterministic and unique without being rejected.
 */
export function childKey(parentKey: string, name: string, occurrence: number): string {
  const key = `${parentKey}/${name}#${occurrence}`;
  if (key.length <= maxKeyLength) return key;
  const digest = createHash('sha256').update(key).digest('hex').slice(0, 32);
  return `/~${digest}/${name}#${occurrence}`;
}

/** The name as recorded (and keyed): the sidecar takes at most 1,000 characters. */
export function recordedName(name: string): string {
  return name.length <= maxNameLength ? name : name.slice(0, maxNameLength);
}

/**
 * Occurrence counters of one parent: how many children of each name it has started. Taken
 * synchronously when a step is called, so steps started together (Promise.all) are numbered in
 * call order whatever order they finish in.
 */
export class Occurrences {
  private readonly counts = new Map<string, number>();

  next(name: string): number {
    const occurrence = this.counts.get(name) ?? 0;
    this.counts.set(name, occurrence + 1);
    return occurrence;
  }
}
