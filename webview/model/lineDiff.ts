/**
 * A line diff of two JSON values as the inspector shows them side by side (issue 8 "with a JSON
 * diff"): both pretty-printed with sorted object keys (the sidecar compares outputs ignoring key
 * order, so the view must too), then Myers' O((n+m)·d) diff on lines after trimming the common
 * head and tail. Past `maxEdits` differences it stops looking for the shortest script and marks
 * the whole middle as changed: still correct, just coarser, and never quadratic on big payloads.
 */
export type LineOp = 'same' | 'removed' | 'added';

export interface DiffLine {
  readonly op: LineOp;
  readonly text: string;
}

export interface LineDiff {
  /** a's lines, `removed` where b does not have them. */
  readonly a: readonly DiffLine[];
  /** b's lines, `added` where a does not have them. */
  readonly b: readonly DiffLine[];
  readonly changed: boolean;
}

export function prettyJson(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return value;
  return JSON.stringify(sortKeys(value), null, 2) ?? String(value);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value as Record<string, unknown>).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

export function jsonLineDiff(a: unknown, b: unknown, maxEdits = 500): LineDiff {
  return lineDiff(prettyJson(a).split('\n'), prettyJson(b).split('\n'), maxEdits);
}

export function lineDiff(a: readonly string[], b: readonly string[], maxEdits = 500): LineDiff {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const midA = a.slice(head, a.length - tail);
  const midB = b.slice(head, b.length - tail);
  const keptA = myersKept(midA, midB, maxEdits);
  const outA: DiffLine[] = a.slice(0, head).map((text) => ({ op: 'same', text }));
  const outB: DiffLine[] = b.slice(0, head).map((text) => ({ op: 'same', text }));
  // keptA[i] = index in midB that midA[i] is matched with, or -1 (removed).
  const keptB = new Int32Array(midB.length).fill(-1);
  keptA.forEach((j, i) => {
    if (j >= 0) keptB[j] = i;
  });
  for (let i = 0; i < midA.length; i++) outA.push({ op: (keptA[i] ?? -1) >= 0 ? 'same' : 'removed', text: midA[i] as string });
  for (let j = 0; j < midB.length; j++) outB.push({ op: (keptB[j] ?? -1) >= 0 ? 'same' : 'added', text: midB[j] as string });
  for (const text of a.slice(a.length - tail)) outA.push({ op: 'same', text });
  for (const text of b.slice(b.length - tail)) outB.push({ op: 'same', text });
  const changed = outA.some((line) => line.op !== 'same') || outB.some((line) => line.op !== 'same');
  return { a: outA, b: outB, changed };
}

/**
 * Myers' greedy shortest edit script, keeping each round's frontier to trace the path back.
 * Returns for each line of `a` the index of its matching line in `b`, or -1.
 */
function myersKept(a: readonly string[], b: readonly string[], maxEdits: number): Int32Array {
  const n = a.length;
  const m = b.length;
  const kept = new Int32Array(n).fill(-1);
  if (n === 0 || m === 0) return kept;
  const max = Math.min(n + m, maxEdits);
  const offset = max + 1;
  let v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= max && found < 0; d++) {
    trace.push(v.slice());
    const next = v.slice();
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && (v[offset + k - 1] ?? 0) < (v[offset + k + 1] ?? 0))
          ? (v[offset + k + 1] ?? 0)
          : (v[offset + k - 1] ?? 0) + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      next[offset + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
    v = next;
  }
  if (found < 0) return kept; // too different: everything in the middle counts as changed
  // Walk back from (n, m) through the saved frontiers, recording the diagonal (kept) moves.
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    const prev = trace[d] as Int32Array;
    const k = x - y;
    const down = k === -d || (k !== d && (prev[offset + k - 1] ?? 0) < (prev[offset + k + 1] ?? 0));
    const prevK = down ? k + 1 : k - 1;
    const prevX = prev[offset + prevK] ?? 0;
    const prevY = prevX - prevK;
    const startX = down ? prevX : prevX + 1;
    const startY = startX - k;
    while (x > startX && y > startY) {
      x--;
      y--;
      kept[x] = y;
    }
    x = prevX;
    y = prevY;
  }
  while (x > 0 && y > 0) {
    x--;
    y--;
    kept[x] = y;
  }
  return kept;
}
