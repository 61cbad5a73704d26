import type { ErrorInfo, Status } from './records';
import type { Warn } from './warnings';

/** A node of the run being replayed, as `GET /api/runs/:runId/recorded` returns it. */
export interface RecordedNode {
  readonly id: string;
  readonly key: string;
  readonly kind?: string;
  readonly status?: Status;
  readonly output?: unknown;
  readonly error?: ErrorInfo | null;
  /** The sidecar's verdict: this node may be served from the recording (finished, and before the fork point). */
  readonly replay: boolean;
}

/**
 * The `recorded(key)` seam every step asks before running its function (DESIGN.md "Runner,
 * replay, fork"). When the runner sets RUNTRAIL_REPLAY_OF, the recording is fetched once at
 * startRun (with RUNTRAIL_REPLAY_UNTIL as `?until=`, so the sidecar decides what lies before the
 * fork point); a step whose key it holds with `replay: true` is served from it, one whose key it
 * lacks runs live and is marked diverged. A sidecar without the route (404) means: run
 * everything live.
 */
export class Recording {
  private constructor(
    readonly replayOf: string,
    private readonly byKey: ReadonlyMap<string, RecordedNode>,
  ) {}

  static async load(
    url: string,
    token: string | undefined,
    replayOf: string,
    until: string | undefined,
    warn: Warn,
  ): Promise<Recording | undefined> {
    const query = until ? `?until=${encodeURIComponent(until)}` : '';
    let response: Response;
    try {
      response = await fetch(`${url}/api/runs/${encodeURIComponent(replayOf)}/recorded${query}`, {
        headers: token ? { authorization: `Bearer ${token}` } : {},
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      warn(
        'replay',
        `could not fetch the recording of run ${replayOf} (${error instanceof Error ? error.message : String(error)}); every step runs live.`,
      );
      return undefined;
    }
    if (response.status === 404) {
      await response.body?.cancel();
      return undefined;
    }
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      warn(
        'replay',
        `could not fetch the recording of run ${replayOf} (${response.status} ${sidecarMessage(text)}); every step runs live.`,
      );
      return undefined;
    }
    const body = (await response.json().catch(() => undefined)) as { nodes?: unknown } | undefined;
    return new Recording(replayOf, recordedByKey(body?.nodes));
  }

  recorded(key: string): RecordedNode | undefined {
    return this.byKey.get(key);
  }

  /** The finished nodes recorded under `key` (children, grandchildren, …), in the recording's order. */
  descendants(key: string): RecordedNode[] {
    const prefix = `${key}/`;
    return [...this.byKey.values()].filter((n) => n.key.startsWith(prefix) && (n.status === 'ok' || n.status === 'error'));
  }
}

/** `/plan#0/search#2` → parent key `/plan#0` and name `search`. */
export function splitKey(key: string): { parentKey: string; name: string } {
  const slash = key.lastIndexOf('/');
  const segment = key.slice(slash + 1);
  const hash = segment.lastIndexOf('#');
  return { parentKey: key.slice(0, Math.max(0, slash)), name: hash > 0 ? segment.slice(0, hash) : segment };
}

/** The nodes of a `/recorded` answer by key (the first of a key wins); malformed entries are skipped. */
export function recordedByKey(nodes: unknown): Map<string, RecordedNode> {
  const byKey = new Map<string, RecordedNode>();
  for (const raw of Array.isArray(nodes) ? nodes : []) {
    const node = raw as Partial<RecordedNode> | null;
    if (typeof node !== 'object' || node === null || typeof node.id !== 'string' || typeof node.key !== 'string') continue;
    if (byKey.has(node.key)) continue;
    // An answer without `replay` (an older sidecar) serves what finished ok, as before.
    const replay = typeof node.replay === 'boolean' ? node.replay : (node.status ?? 'ok') === 'ok';
    byKey.set(node.key, { ...node, id: node.id, key: node.key, replay });
  }
  return byKey;
}

/**
 * RUNTRAIL_OVERRIDES: `{"<decision key>": "<option label>"}`. Anything else is warned about once
 * and ignored, so a bad variable costs the override, never the workflow.
 */
export function parseOverrides(raw: string | undefined, warn: Warn): ReadonlyMap<string, string> {
  const overrides = new Map<string, string>();
  if (raw === undefined || raw.trim() === '') return overrides;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    warn('overrides', 'RUNTRAIL_OVERRIDES is not a JSON object of decision key to option label; it is ignored.');
    return overrides;
  }
  for (const [key, label] of Object.entries(parsed)) {
    if (typeof label === 'string') overrides.set(key, label);
    else warn(`overrides:${key}`, `RUNTRAIL_OVERRIDES[${JSON.stringify(key)}] is not an option label (a string); it is ignored.`);
  }
  return overrides;
}

const builtinErrors: Record<string, new (message?: string) => Error> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

/**
 * The error a replayed step throws in place of the one it recorded: the same built-in class when
 * the recorded type is one, else an Error carrying the recorded name; the message is kept. The
 * original class cannot be rebuilt (it may not even exist any more), so callers that branch on the
 * error should branch on `name` and `message`.
 */
export function replayedError(error: ErrorInfo | null | undefined): Error {
  const message = typeof error?.message === 'string' ? error.message : 'the recorded step failed';
  const type = typeof error?.type === 'string' && error.type.length > 0 ? error.type : 'Error';
  const Builtin = Object.hasOwn(builtinErrors, type) ? builtinErrors[type] : undefined;
  const replayed = Builtin ? new Builtin(message) : new Error(message);
  if (!Builtin) replayed.name = type;
  return replayed;
}

function sidecarMessage(text: string): string {
  try {
    const message = (JSON.parse(text) as { error?: { message?: unknown } }).error?.message;
    if (typeof message === 'string') return message;
  } catch {
    // not the sidecar's error shape
  }
  return text.trim().slice(0, 200);
}
