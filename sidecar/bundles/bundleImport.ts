import { createHash } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import { BundleParseError, BundleReader, type ImportResponse, type ParsedBundle, type ParsedBundleNode } from '../../protocol/bundle';
import { Id } from '../../protocol/runs';
import { DomainError } from '../errors';
import type { IngestQueue } from '../ingest/ingestQueue';
import type { Relay } from '../relay/relay';
import { runDeletedEvent, runEvent } from '../relay/relayEvents';
import { finishPatch, newRunRow } from '../runs/runLifecycle';
import { toRun } from '../store/rowMapping';
import type { RunRow, RunStore } from '../store/runStore';
import { nodePages } from './bundleExport';
import { ingestRecordOf, nodeLine, nodeRowOf, runLine, runRowOf } from './bundleLines';

/** Records per ingest request while importing: well under the queue's batch and request limits. */
const importChunk = 1_000;

export interface ImportDeps {
  readonly store: RunStore;
  readonly ingest: IngestQueue;
  readonly relay: Relay;
  readonly maxFieldBytes: number;
}

/**
 * Splits a byte stream into lines as it arrives (UTF-8 safe across chunks), so a bundle is parsed
 * line by line and never held as one string. Stops with 413 beyond `limitBytes`.
 */
export async function* readLines(
  stream: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
  limitBytes: number,
): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let size = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    size += buffer.length;
    if (size > limitBytes) {
      throw new DomainError(
        'payload_too_large',
        `The bundle is larger than ${limitBytes.toLocaleString('en')} bytes, the import limit: split the run or raise the limit.`,
        { limitBytes },
      );
    }
    pending += decoder.write(buffer);
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      yield pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      newline = pending.indexOf('\n');
    }
  }
  pending += decoder.end();
  if (pending !== '') yield pending;
}

/**
 * Validates a whole bundle before anything is written: every line against the format, ids unique,
 * no cycle, edges implied by the nodes, payloads within the field limit. Any problem is a 400 (413
 * for a payload over the limit) naming the line and the field.
 */
export async function readBundle(lines: AsyncIterable<string>, maxFieldBytes: number): Promise<ParsedBundle> {
  const reader = new BundleReader();
  try {
    for await (const line of lines) {
      const node = reader.add(line);
      if (node !== undefined) checkPayloadSizes(node, reader.lineNumber, maxFieldBytes);
    }
    return reader.finish();
  } catch (error) {
    if (error instanceof BundleParseError) {
      throw new DomainError('invalid', `Invalid bundle: ${error.message}. Nothing was imported.`, {
        line: error.line,
        ...(error.field === undefined ? {} : { field: error.field }),
      });
    }
    throw error;
  }
}

function checkPayloadSizes(node: ParsedBundleNode, line: number, maxFieldBytes: number): void {
  for (const field of ['input', 'output', 'error', 'attributes'] as const) {
    const value = node[field];
    if (value === undefined) continue;
    const bytes = Buffer.byteLength(JSON.stringify(value), 'utf8');
    if (bytes > maxFieldBytes) {
      throw new DomainError(
        'payload_too_large',
        `Invalid bundle: line ${line}: node.${field} of node ${node.id} is ${bytes.toLocaleString('en')} bytes as JSON; the limit is ${maxFieldBytes.toLocaleString('en')} bytes (RUNTRAIL_MAX_FIELD_BYTES). Nothing was imported.`,
        { line, field: `node.${field}`, bytes, limitBytes: maxFieldBytes },
      );
    }
  }
}

/**
 * The bundle under another run id: the run gets `as`, every node id (and parentId) becomes
 * `<as>:<id>` (node ids are unique across runs, so a second copy needs new ones). replayOf and
 * forkedFromNode still name the original run and its node.
 */
export function reId(bundle: ParsedBundle, as: string): ParsedBundle {
  const mapId = (id: string, line: number, field: string) => {
    const next = `${as}:${id}`;
    if (!Id.safeParse(next).success) {
      throw new DomainError(
        'invalid',
        `Invalid bundle for ?as=${as}: line ${line}: ${field} ${next} is longer than 128 characters: choose a shorter run id. Nothing was imported.`,
        { line, field },
      );
    }
    return next;
  };
  return {
    ...bundle,
    run: { ...bundle.run, id: as },
    nodes: bundle.nodes.map((node, i) => ({
      ...node,
      id: mapId(node.id, 3 + i, 'node.id'),
      parentId: node.parentId === null ? null : mapId(node.parentId, 3 + i, 'node.parentId'),
    })),
    // Edges were checked against the nodes already; imported runs derive them again.
    edges: [],
  };
}

/** What the bundle's run and nodes serialize to, as export would write them (header aside). */
function bundleDigest(bundle: ParsedBundle): string {
  const hash = createHash('sha256');
  const none = new Set<string>();
  hash.update(runLine(runRowOf(bundle.run), none));
  for (const node of bundle.nodes) hash.update(nodeLine(nodeRowOf(node, bundle.run.id), none));
  return hash.digest('hex');
}

async function storedDigest(store: RunStore, run: RunRow): Promise<string> {
  const hash = createHash('sha256');
  const none = new Set<string>();
  hash.update(runLine(run, none));
  for await (const page of nodePages(store, run.id)) for (const row of page) hash.update(nodeLine(row, none));
  return hash.digest('hex');
}

/** Counts the edges the bundle implies (what it holds for other tools). */
function edgeCount(bundle: ParsedBundle): number {
  const parents = new Set<string | null>();
  let childOf = 0;
  for (const node of bundle.nodes) {
    if (node.parentId !== null) childOf++;
    parents.add(node.parentId);
  }
  const next = bundle.nodes.length - parents.size;
  return childOf + next + (bundle.run.replayOf === null ? 0 : 1) + (bundle.run.forkedFromNode === null ? 0 : 1);
}

/**
 * Loads a validated bundle through the same paths as live data: the run lifecycle (create, then
 * finish) and the ingest queue (planner rules, relay events). The same content again is a no-op
 * (200); another run under that id is a 409. Should a write fail halfway, the run is deleted again.
 */
export async function importBundle(
  deps: ImportDeps,
  parsed: ParsedBundle,
  options: { readonly as?: string },
): Promise<{ created: boolean; body: ImportResponse }> {
  const bundle = options.as === undefined ? parsed : reId(parsed, options.as);
  const { store, ingest, relay } = deps;
  const body: ImportResponse = { runId: bundle.run.id, nodes: bundle.nodes.length, edges: edgeCount(bundle) };
  const asHint = `import it under another id with ?as=<newRunId> (runtrail import --as <newRunId>), or delete run ${bundle.run.id} first`;

  const existing = await store.getRun(bundle.run.id);
  if (existing !== undefined) return { created: false, body: await sameOrConflict(existing) };

  const wanted = runRowOf(bundle.run);
  const { run: createdRow, created } = await store.createRun(
    newRunRow(
      {
        id: wanted.id,
        workflow: wanted.workflow,
        startedAt: wanted.startedAt,
        command: bundle.run.command ?? undefined,
        cwd: wanted.cwd ?? undefined,
        git: {
          repo: wanted.gitRepo ?? undefined,
          branch: wanted.gitBranch ?? undefined,
          commit: wanted.gitCommit ?? undefined,
          dirty: wanted.gitDirty ?? undefined,
        },
        labels: wanted.labels,
        replayOf: wanted.replayOf ?? undefined,
        forkedFromNode: wanted.forkedFromNode ?? undefined,
      },
      Date.now(),
    ),
  );
  // Another import (or a client) created it between the two calls.
  if (!created) return { created: false, body: await sameOrConflict(createdRow) };
  relay.publish([runEvent(toRun(createdRow))]);

  try {
    for (let start = 0; start < bundle.nodes.length; start += importChunk) {
      const records = bundle.nodes.slice(start, start + importChunk).map(ingestRecordOf);
      const outcome = await ingest.submit({ runId: wanted.id, records, receivedAt: Date.now() });
      if (!outcome.ok) {
        const error = outcome.error;
        throw new DomainError(
          error.code,
          error.code === 'conflict' || error.code === 'unprocessable'
            ? `Cannot import run ${wanted.id}: ${error.message.replace(/\.$/, '')} (node ids are unique across runs: ${asHint}). Nothing was imported.`
            : `Cannot import run ${wanted.id}: ${error.message}`,
          error.details,
          error.retryAfterSeconds,
        );
      }
    }
    const patch = finishPatch(
      createdRow,
      {
        status: wanted.status,
        error: bundle.run.error ?? undefined,
        endedAt: wanted.endedAt ?? undefined,
      },
      Date.now(),
    );
    if (Object.keys(patch).length > 0) {
      const finished = await store.updateRun(wanted.id, patch);
      if (finished) relay.publish([runEvent(toRun(finished))]);
    }
  } catch (error) {
    // Leave nothing half-imported behind; should the store be down, the run stays and a retry
    // reports it (409) — the message says to delete it.
    try {
      if (await store.deleteRun(wanted.id)) relay.publish([runDeletedEvent(wanted.id)]);
    } catch {
      // Reported through the original error.
    }
    throw error;
  }
  return { created: true, body };

  async function sameOrConflict(stored: RunRow): Promise<ImportResponse> {
    if ((await storedDigest(store, stored)) === bundleDigest(bundle)) return body;
    throw new DomainError('conflict', `Run ${bundle.run.id} already exists with other content: ${asHint}.`, { runId: bundle.run.id });
  }
}
