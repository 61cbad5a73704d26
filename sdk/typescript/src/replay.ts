import type { Warn } from './warnings';

/** A node of the run being replayed, as `GET /api/runs/:runId/recorded` returns it. */
export interface RecordedNode {
  readonly id: string;
  readonly key: string;
  readonly output?: unknown;
}

/**
 * The `recorded(key)` seam every step asks before running its function (DESIGN.md "Runner,
 * replay, fork"). When the runner sets RUNTRAIL_REPLAY_OF, the recording is fetched once at
 * startRun; a step whose key it holds is served the recorded output, one whose key it lacks runs
 * live and is marked diverged. A sidecar without the route (404) means: run everything live.
 */
export class Recording {
  private constructor(
    readonly replayOf: string,
    private readonly byKey: ReadonlyMap<string, RecordedNode>,
  ) {}

  static async load(url: string, token: string | undefined, replayOf: string, warn: Warn): Promise<Recording | undefined> {
    let response: Response;
    try {
      response = await fetch(`${url}/api/runs/${encodeURIComponent(replayOf)}/recorded`, {
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
      await response.body?.cancel();
      warn('replay', `could not fetch the recording of run ${replayOf} (${response.status}); every step runs live.`);
      return undefined;
    }
    const body = (await response.json().catch(() => undefined)) as { nodes?: unknown } | undefined;
    const byKey = new Map<string, RecordedNode>();
    for (const node of Array.isArray(body?.nodes) ? body.nodes : []) {
      if (isRecordedNode(node) && !byKey.has(node.key)) byKey.set(node.key, node);
    }
    return new Recording(replayOf, byKey);
  }

  recorded(key: string): RecordedNode | undefined {
    return this.byKey.get(key);
  }
}

function isRecordedNode(value: unknown): value is RecordedNode {
  const node = value as Partial<RecordedNode> | null;
  return typeof node === 'object' && node !== null && typeof node.id === 'string' && typeof node.key === 'string';
}
