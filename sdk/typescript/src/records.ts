/**
 * What the SDK sends, mirroring protocol/runs.ts (`CreateRunRequest`, `NodeRecord`,
 * `FinishRunRequest`). Restated here because the SDK ships without zod or any other area's code.
 */

export type Status = 'running' | 'ok' | 'error' | 'cancelled';

export interface ErrorInfo {
  readonly message: string;
  readonly type?: string;
  readonly stack?: string;
}

/** Where a node was emitted; `line` and `column` are 1-based. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column?: number;
  readonly function?: string;
}

export interface GitContext {
  readonly repo?: string;
  readonly branch?: string;
  readonly commit?: string;
  readonly dirty?: boolean;
}

export interface CreateRunBody {
  readonly id: string;
  readonly workflow: string;
  readonly command?: string[];
  readonly cwd?: string;
  readonly git?: GitContext;
  readonly labels?: string[];
  readonly startedAt?: number;
  readonly replayOf?: string;
}

export interface FinishRunBody {
  readonly status: Status;
  readonly error?: ErrorInfo;
  readonly endedAt?: number;
}

/** One upsert of a node: the first record for an id creates it, later ones fill fields in. */
export interface NodeRecord {
  id: string;
  parentId?: string | null;
  key?: string;
  kind?: string;
  name?: string;
  status?: Status;
  seq?: number;
  startedAt?: number;
  endedAt?: number;
  input?: unknown;
  output?: unknown;
  error?: ErrorInfo;
  attributes?: Record<string, unknown>;
  tokensIn?: number;
  tokensOut?: number;
  costUsd?: number;
  source?: SourceLocation;
  replayed?: boolean;
  diverged?: boolean;
}

/** Same pattern as protocol's `Id`: what the sidecar accepts as a run or node id. */
export const idPattern = /^[A-Za-z0-9][A-Za-z0-9._:@-]*$/;
export const maxIdLength = 128;

export function isValidId(id: string): boolean {
  return id.length <= maxIdLength && idPattern.test(id);
}
