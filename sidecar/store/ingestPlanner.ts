import { terminalStatuses } from '../../protocol/runs';
import { DomainError } from '../errors';
import type { IngestOutcome, IngestRecord, IngestRequestRows, NodeRow } from './runStore';

/**
 * The rules of ingest, shared by both stores (DESIGN.md "Write path"). A store opens a write
 * transaction, hands `planIngest` a reader over that transaction, and applies the returned plan
 * in the same transaction. Here:
 * - upsert by id; fields never go backwards: a finished node keeps its status and end, and its
 *   payloads can only be filled, not replaced; startedAt, seq and parentId keep their first value;
 * - a parent that has not arrived yet is created as a placeholder and filled when it arrives;
 * - a changed parentId is a conflict (409), a parent in another run is unprocessable (422), an
 *   edge that would close a cycle is a conflict (409);
 * - each request is all-or-nothing; a rejected request is left out of the plan and the others of
 *   the group go ahead.
 */

/** What ingest needs to know about a stored node: everything but the payloads. */
export interface NodeState {
  id: string;
  runId: string;
  parentId: string | null;
  key: string | null;
  kind: string;
  name: string | null;
  status: NodeRow['status'];
  seq: number | null;
  startedAt: number | null;
  endedAt: number | null;
  tokensIn: number | null;
  tokensOut: number | null;
  costUsd: number | null;
  replayed: boolean;
  diverged: boolean;
  placeholder: boolean;
  hasInput: boolean;
  hasOutput: boolean;
  hasError: boolean;
  hasAttributes: boolean;
  hasSource: boolean;
}

/** Reads the store inside the ingest transaction. */
export interface IngestReader {
  /** nodeCount of each run that exists; missing runs are absent from the map. */
  runNodeCounts(runIds: readonly string[]): Promise<Map<string, number>>;
  nodeStates(ids: readonly string[]): Promise<Map<string, NodeState>>;
  /** The stored ancestors of `id`, its parent first, up to a node without a parent. */
  storedAncestors(id: string): Promise<NodeState[]>;
}

export interface WritePlan {
  /** Nodes that did not exist: full rows, placeholders included. */
  creates: NodeRow[];
  /** Existing nodes: only the fields that change. */
  updates: Array<{ id: string; set: Partial<NodeRow> }>;
  /** New CHILD_OF edges (child -> parent), for created and updated nodes alike. */
  edges: Array<{ childId: string; parentId: string }>;
  /**
   * Nodes whose place among their siblings became known (a real record arrived): parentId null
   * means a root of the run. Stores that keep NEXT chains link these.
   */
  placed: Array<{ id: string; runId: string; parentId: string | null; seq: number }>;
  runDeltas: Array<{ runId: string; nodeCount: number; tokensIn: number; tokensOut: number; costUsd: number }>;
}

interface Working {
  state: NodeState;
  /** Created in this group (not in the store yet). */
  isNew: boolean;
  /** For new nodes the full row; for stored ones only the changed fields. */
  row: Partial<NodeRow>;
  newParent: string | undefined;
  placed: boolean;
}

interface Problem {
  index: number;
  id: string;
  code: 'conflict' | 'unprocessable';
  reason: string;
}

export async function planIngest(
  requests: readonly IngestRequestRows[],
  reader: IngestReader,
): Promise<{ plan: WritePlan; outcomes: IngestOutcome[] }> {
  const runIds = [...new Set(requests.map((r) => r.runId))];
  const ids = new Set<string>();
  for (const request of requests) {
    for (const record of request.records) {
      ids.add(record.id);
      if (typeof record.parentId === 'string') ids.add(record.parentId);
    }
  }
  const [nodeCounts, loaded] = await Promise.all([reader.runNodeCounts(runIds), reader.nodeStates([...ids])]);
  const nextSeq = new Map(nodeCounts);
  const committed = new Map<string, Working>();
  /** Nodes that got children in accepted requests of this group. */
  const groupParents = new Set<string>();
  const runDeltas = new Map<string, { nodeCount: number; tokensIn: number; tokensOut: number; costUsd: number }>();
  const outcomes: IngestOutcome[] = [];

  for (const request of requests) {
    if (!nodeCounts.has(request.runId)) {
      outcomes.push({ ok: false, error: new DomainError('not_found', `No run ${request.runId}: create it with POST /api/runs first.`) });
      continue;
    }
    const overlay = new Map<string, Working>();
    const lookup = (id: string): Working | undefined => {
      const existing = overlay.get(id) ?? committed.get(id);
      if (existing) return existing;
      const state = loaded.get(id);
      return state && { state, isNew: false, row: {}, newParent: undefined, placed: false };
    };
    const touch = (id: string): Working | undefined => {
      let working = overlay.get(id);
      if (working) return working;
      const base = lookup(id);
      if (!base) return undefined;
      working = { state: { ...base.state }, isNew: base.isNew, row: { ...base.row }, newParent: base.newParent, placed: base.placed };
      overlay.set(id, working);
      return working;
    };
    const create = (state: NodeState): Working => {
      const working: Working = { state, isNew: true, row: {}, newParent: undefined, placed: false };
      overlay.set(state.id, working);
      return working;
    };

    const problems: Problem[] = [];
    let created = 0;
    let seqCounter = nextSeq.get(request.runId) ?? 0;

    request.records.forEach((record, index) => {
      const problem = (code: Problem['code'], reason: string) => problems.push({ index, id: record.id, code, reason });
      let node = lookup(record.id);
      if (node && node.state.runId !== request.runId) {
        problem('conflict', `node ${record.id} belongs to run ${node.state.runId}`);
        return;
      }
      const parentId = record.parentId;
      if (typeof parentId === 'string') {
        if (parentId === record.id) {
          problem('conflict', `node ${record.id} cannot be its own parent`);
          return;
        }
        const parent = lookup(parentId);
        if (parent && parent.state.runId !== request.runId) {
          problem('unprocessable', `parent ${parentId} of node ${record.id} is in run ${parent.state.runId}, not ${request.runId}`);
          return;
        }
      }
      if (node && !node.state.placeholder && record.parentId !== undefined && record.parentId !== node.state.parentId) {
        const was = node.state.parentId === null ? 'a root' : `under ${node.state.parentId}`;
        problem(
          'conflict',
          `parentId of node ${record.id} is immutable: it was reported ${was}, now ${record.parentId === null ? 'as a root' : `under ${record.parentId}`}`,
        );
        return;
      }

      if (typeof parentId === 'string' && !lookup(parentId)) {
        create(placeholderState(parentId, request.runId));
        created++;
      }
      if (!node) {
        node = create(placeholderState(record.id, request.runId));
        created++;
      } else {
        node = touch(record.id) as Working;
      }
      const becomesReal = node.state.placeholder;
      if (becomesReal) {
        node.state.placeholder = false;
        set(node, 'placeholder', false);
        if (typeof parentId === 'string') {
          node.state.parentId = parentId;
          set(node, 'parentId', parentId);
          node.newParent = parentId;
        }
        const seq = record.seq ?? seqCounter++;
        node.state.seq = seq;
        set(node, 'seq', seq);
        node.placed = true;
        node.state.startedAt = record.startedAt ?? request.receivedAt;
        set(node, 'startedAt', node.state.startedAt);
      }
      mergeRecord(node, record, request.receivedAt);
    });

    // Only an edge into a node that already has children can close a cycle: walk up from those
    // nodes, remembering every node proven to reach a root, so the whole check is linear even
    // for a 10,000-deep chain sent in one request.
    const parentsInRequest = new Set(request.records.flatMap((r) => (typeof r.parentId === 'string' ? [r.parentId] : [])));
    const reachesRoot = new Set<string>();
    for (const [id, working] of overlay) {
      const mayHaveChildren = !working.isNew || parentsInRequest.has(id) || groupParents.has(id);
      if (working.newParent === undefined || !mayHaveChildren) continue;
      const cycle = await findCycle(id, lookup, loaded, reader, reachesRoot);
      if (cycle) {
        const index = request.records.findIndex((r) => r.id === id);
        problems.push({
          index,
          id,
          code: 'conflict',
          reason: `parent ${working.newParent} of node ${id} would close a cycle: ${cycle.join(' -> ')}`,
        });
        break;
      }
    }

    if (problems.length > 0) {
      nextSeq.set(request.runId, seqCounter);
      outcomes.push({ ok: false, error: rejection(request.runId, problems) });
      continue;
    }

    const delta = runDeltas.get(request.runId) ?? { nodeCount: 0, tokensIn: 0, tokensOut: 0, costUsd: 0 };
    delta.nodeCount += created;
    for (const [id, working] of overlay) {
      const before = committed.get(id)?.state ?? loaded.get(id);
      delta.tokensIn += (working.state.tokensIn ?? 0) - (before?.tokensIn ?? 0);
      delta.tokensOut += (working.state.tokensOut ?? 0) - (before?.tokensOut ?? 0);
      delta.costUsd += (working.state.costUsd ?? 0) - (before?.costUsd ?? 0);
      committed.set(id, working);
    }
    runDeltas.set(request.runId, delta);
    nextSeq.set(request.runId, seqCounter);
    for (const parent of parentsInRequest) groupParents.add(parent);
    outcomes.push({ ok: true, accepted: request.records.length, created });
  }

  return { plan: toPlan(committed, runDeltas), outcomes };
}

function placeholderState(id: string, runId: string): NodeState {
  return {
    id,
    runId,
    parentId: null,
    key: null,
    kind: 'step',
    name: null,
    status: 'running',
    seq: null,
    startedAt: null,
    endedAt: null,
    tokensIn: null,
    tokensOut: null,
    costUsd: null,
    replayed: false,
    diverged: false,
    placeholder: true,
    hasInput: false,
    hasOutput: false,
    hasError: false,
    hasAttributes: false,
    hasSource: false,
  };
}

function set<K extends keyof NodeRow>(working: Working, field: K, value: NodeRow[K]): void {
  working.row[field] = value;
}

const isTerminal = (status: NodeRow['status']) => terminalStatuses.includes(status);

/** Applies one record's fields to a (real, placed) node under the never-backwards rules. */
function mergeRecord(node: Working, record: IngestRecord, receivedAt: number): void {
  const state = node.state;
  const wasTerminal = isTerminal(state.status);

  for (const field of ['key', 'kind', 'name'] as const) {
    const value = record[field];
    if (value !== undefined && value !== state[field]) {
      state[field] = value;
      set(node, field, value);
    }
  }

  if (!wasTerminal) {
    // A record that ends the node without saying how ends it ok, or error when it carries one.
    const status = record.status ?? (record.endedAt !== undefined ? (record.error !== undefined ? 'error' : 'ok') : undefined);
    if (status !== undefined && status !== state.status) {
      state.status = status;
      set(node, 'status', status);
    }
    if (isTerminal(state.status) && state.endedAt === null) {
      state.endedAt = Math.max(record.endedAt ?? receivedAt, state.startedAt ?? 0);
      set(node, 'endedAt', state.endedAt);
      if (state.startedAt !== null) set(node, 'durationMs', state.endedAt - state.startedAt);
    }
  }

  // Payloads: replaced freely while running, only filled in once finished.
  const payloads = [
    ['input', 'hasInput'],
    ['output', 'hasOutput'],
    ['error', 'hasError'],
    ['attributes', 'hasAttributes'],
  ] as const;
  for (const [field, flag] of payloads) {
    const value = record[field];
    if (value !== undefined && (!wasTerminal || !state[flag])) {
      state[flag] = true;
      set(node, field, value);
    }
  }
  for (const field of ['tokensIn', 'tokensOut', 'costUsd'] as const) {
    const value = record[field];
    if (value !== undefined && (!wasTerminal || state[field] === null) && value !== state[field]) {
      state[field] = value;
      set(node, field, value);
    }
  }
  if (record.source !== undefined && (!wasTerminal || !state.hasSource)) {
    state.hasSource = true;
    set(node, 'file', record.source.file);
    set(node, 'line', record.source.line);
    set(node, 'column', record.source.column ?? null);
    set(node, 'function', record.source.function ?? null);
  }
  for (const flag of ['replayed', 'diverged'] as const) {
    if (record[flag] === true && !state[flag]) {
      state[flag] = true;
      set(node, flag, true);
    }
  }
}

/**
 * Follows parent links up from `start` (edges of the group first, then the store) and returns the
 * ids around the loop when the walk comes back to a node it passed; undefined when it reaches a
 * root. Nodes on a walk that reached a root are added to `reachesRoot` and end later walks early.
 */
async function findCycle(
  start: string,
  lookup: (id: string) => Working | undefined,
  loaded: Map<string, NodeState>,
  reader: IngestReader,
  reachesRoot: Set<string>,
): Promise<string[] | undefined> {
  const path: string[] = [];
  const onPath = new Set<string>();
  let current: string | null = start;
  while (current !== null && !reachesRoot.has(current)) {
    if (onPath.has(current)) return [...path.slice(path.indexOf(current)), current];
    onPath.add(current);
    path.push(current);
    const node = lookup(current);
    if (node === undefined) break;
    const next: string | null = node.state.parentId;
    if (next !== null && lookup(next) === undefined) {
      // Beyond what the group loaded: fetch the rest of the stored chain in one query.
      for (const ancestor of await reader.storedAncestors(current)) loaded.set(ancestor.id, ancestor);
    }
    current = next;
  }
  for (const id of path) reachesRoot.add(id);
  return undefined;
}

function rejection(runId: string, problems: Problem[]): DomainError {
  // A conflict (409) outranks an unprocessable reference (422): fixing it needs the client's state.
  const code = problems.some((p) => p.code === 'conflict') ? 'conflict' : 'unprocessable';
  const first = problems[0] as Problem;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  return new DomainError(
    code,
    `Rejected the whole batch for run ${runId}: nodes[${first.index}]: ${first.reason}${more}. Nothing of it was written.`,
    {
      records: problems.map(({ index, id, reason }) => ({ index, id, reason })),
    },
  );
}

function toPlan(
  committed: Map<string, Working>,
  runDeltas: Map<string, { nodeCount: number; tokensIn: number; tokensOut: number; costUsd: number }>,
): WritePlan {
  const plan: WritePlan = { creates: [], updates: [], edges: [], placed: [], runDeltas: [] };
  for (const [id, working] of committed) {
    if (working.isNew) plan.creates.push(fullRow(working));
    else if (Object.keys(working.row).length > 0) plan.updates.push({ id, set: working.row });
    if (working.newParent !== undefined) plan.edges.push({ childId: id, parentId: working.newParent });
    if (working.placed && working.state.seq !== null) {
      plan.placed.push({ id, runId: working.state.runId, parentId: working.state.parentId, seq: working.state.seq });
    }
  }
  for (const [runId, delta] of runDeltas) plan.runDeltas.push({ runId, ...delta });
  return plan;
}

function fullRow(working: Working): NodeRow {
  const s = working.state;
  const r = working.row;
  return {
    id: s.id,
    runId: s.runId,
    parentId: s.parentId,
    key: s.key,
    kind: s.kind,
    name: s.name,
    status: s.status,
    seq: s.seq,
    startedAt: s.startedAt,
    endedAt: s.endedAt,
    durationMs: s.startedAt !== null && s.endedAt !== null ? s.endedAt - s.startedAt : null,
    input: r.input ?? null,
    output: r.output ?? null,
    error: r.error ?? null,
    attributes: r.attributes ?? null,
    tokensIn: s.tokensIn,
    tokensOut: s.tokensOut,
    costUsd: s.costUsd,
    file: r.file ?? null,
    line: r.line ?? null,
    column: r.column ?? null,
    function: r.function ?? null,
    replayed: s.replayed,
    diverged: s.diverged,
    placeholder: s.placeholder,
  };
}
