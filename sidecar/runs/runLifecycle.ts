import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import { type CreateRunRequest, type FinishRunRequest, terminalStatuses } from '../../protocol/runs';
import { DomainError } from '../errors';
import type { RunPatch, RunRow } from '../store/runStore';

/** A new run id: time-ordered prefix (base36 ms) plus randomness, so ids sort roughly by start. */
export function newRunId(now = Date.now()): string {
  return `run_${now.toString(36)}${randomBytes(6).toString('hex')}`;
}

export function newRunRow(body: z.output<typeof CreateRunRequest>, now: number): RunRow {
  return {
    id: body.id ?? newRunId(now),
    workflow: body.workflow,
    status: 'running',
    startedAt: body.startedAt ?? now,
    endedAt: null,
    durationMs: null,
    error: null,
    command: body.command === undefined ? null : JSON.stringify(body.command),
    cwd: body.cwd ?? null,
    gitRepo: body.git?.repo ?? null,
    gitBranch: body.git?.branch ?? null,
    gitCommit: body.git?.commit ?? null,
    gitDirty: body.git?.dirty ?? null,
    labels: body.labels ?? [],
    replayOf: body.replayOf ?? null,
    forkedFromNode: body.forkedFromNode ?? null,
    nodeCount: 0,
    tokensIn: 0,
    tokensOut: 0,
    costUsd: 0,
  };
}

/**
 * What a PATCH changes. A run finishes once: finishing it again with the same status is a no-op
 * (clients retry), with another status a conflict; it never goes back to running.
 */
export function finishPatch(run: RunRow, body: z.output<typeof FinishRunRequest>, now: number): RunPatch {
  const patch: RunPatch = {};
  const finished = terminalStatuses.includes(run.status);
  if (body.status !== undefined && body.status !== run.status) {
    if (finished) {
      throw new DomainError('conflict', `Run ${run.id} already finished as ${run.status}; it cannot become ${body.status}.`, {
        status: run.status,
      });
    }
    patch.status = body.status;
    if (body.status !== 'running') {
      const endedAt = Math.max(body.endedAt ?? now, run.startedAt);
      patch.endedAt = endedAt;
      patch.durationMs = endedAt - run.startedAt;
    }
  }
  if (body.error !== undefined && !(finished && run.error !== null)) patch.error = body.error === null ? null : JSON.stringify(body.error);
  if (body.labels !== undefined) patch.labels = body.labels;
  return patch;
}
