import type { ManagedTransaction } from 'neo4j-driver';
import { type IngestReader, type NodeState, planIngest, type WritePlan } from '../ingestPlanner';
import type { IngestOutcome, IngestRequestRows } from '../runStore';
import { nodeProps, nodeStateMap, recordToNodeState, toInteger, toNumber } from './neo4jRows';

/**
 * Ingest on Neo4j: one write transaction reads what the shared planner asks for, then applies
 * its plan with a handful of batched UNWIND queries. Everything, planning included, happens
 * inside the transaction function, so the driver may re-run it after a transient error.
 */
export async function ingestInTransaction(tx: ManagedTransaction, requests: readonly IngestRequestRows[]): Promise<IngestOutcome[]> {
  const reader = new TransactionReader(tx);
  const { plan, outcomes } = await planIngest(requests, reader);
  await applyPlan(tx, plan, reader.lastSiblings);
  return outcomes;
}

/** The last sibling in (seq, id) order of one sibling list: the end of its NEXT chain. */
interface LastSibling {
  seq: number;
  id: string;
}

/**
 * Where each sibling list keeps its last sibling: on the parent node (`lastChildSeq`,
 * `lastChildId`), or for the roots of a run on the run (`lastRootSeq`, `lastRootId`). The reader
 * picks these up while loading the parents' and runs' state anyway, which saves two queries.
 */
interface LastSiblings {
  ofParent: Map<string, LastSibling>;
  ofRunRoots: Map<string, LastSibling>;
}

// Taking each run's write lock first serialises concurrent ingests of one run (several sidecars
// may share a Neo4j): everything read after it is committed state, so two transactions never
// number nodes or extend a NEXT chain from the same stale base. Sorted ids avoid lock cycles.
const LOCK_RUNS = `
UNWIND $runIds AS runId
MATCH (r:Run {id: runId})
SET r.writeLock = true
REMOVE r.writeLock
RETURN r.id AS id, r.nodeCount AS nodeCount, r.lastRootSeq AS lastSeq, r.lastRootId AS lastId`;

const NODE_STATES = `
UNWIND $ids AS id
MATCH (n:Node {id: id})
RETURN ${nodeStateMap('n')} AS state, n.lastChildSeq AS lastSeq, n.lastChildId AS lastId`;

// Ordered by size(hops), not length(p): building a path value per row is ~30 times slower on a
// 1,000-deep chain.
const STORED_ANCESTORS = `
MATCH (:Node {id: $id})-[hops:CHILD_OF*1..]->(a:Node)
RETURN ${nodeStateMap('a')} AS state
ORDER BY size(hops)`;

const CREATE_NODES = `
UNWIND $rows AS row
MATCH (r:Run {id: row.runId})
CREATE (n:Node)-[:IN_RUN]->(r)
SET n = row`;

const UPDATE_NODES = `
UNWIND $rows AS row
MATCH (n:Node {id: row.id})
SET n += row.set`;

const CREATE_CHILD_OF = `
UNWIND $edges AS edge
MATCH (child:Node {id: edge.childId})
MATCH (parent:Node {id: edge.parentId})
CREATE (child)-[:CHILD_OF]->(parent)`;

const ADD_RUN_DELTAS = `
UNWIND $deltas AS delta
MATCH (r:Run {id: delta.runId})
SET r.nodeCount = r.nodeCount + delta.nodeCount,
    r.tokensIn = r.tokensIn + delta.tokensIn,
    r.tokensOut = r.tokensOut + delta.tokensOut,
    r.costUsd = r.costUsd + delta.costUsd`;

const LINK_NEXT = `
UNWIND $links AS link
MATCH (a:Node {id: link.from})
MATCH (b:Node {id: link.to})
CREATE (a)-[:NEXT]->(b)`;

const SET_LAST_CHILD = `
UNWIND $lasts AS last
MATCH (p:Node {id: last.key})
SET p.lastChildSeq = last.seq, p.lastChildId = last.id`;

const SET_LAST_ROOT = `
UNWIND $lasts AS last
MATCH (r:Run {id: last.key})
SET r.lastRootSeq = last.seq, r.lastRootId = last.id`;

/**
 * Rebuilds the NEXT chain of whole sibling lists (the slow path, for a sibling that sorts before
 * the current last one). `siblingsOf` is `parentId` (children of a node) or `rootOf` (roots of a
 * run): a fixed property name, never input.
 */
const relinkSiblings = (siblingsOf: 'parentId' | 'rootOf') => `
UNWIND $keys AS key
CALL (key) {
  MATCH (:Node {${siblingsOf}: key})-[old:NEXT]->()
  DELETE old
}
CALL (key) {
  MATCH (c:Node {${siblingsOf}: key})
  WITH c ORDER BY c.seq, c.id
  WITH collect(c) AS siblings
  UNWIND range(0, size(siblings) - 2) AS i
  WITH siblings[i] AS a, siblings[i + 1] AS b
  CREATE (a)-[:NEXT]->(b)
}`;

class TransactionReader implements IngestReader {
  readonly lastSiblings: LastSiblings = { ofParent: new Map(), ofRunRoots: new Map() };

  constructor(private readonly tx: ManagedTransaction) {}

  async runNodeCounts(runIds: readonly string[]): Promise<Map<string, number>> {
    const result = await this.tx.run(LOCK_RUNS, { runIds: [...runIds].sort() });
    const counts = new Map<string, number>();
    for (const record of result.records) {
      const id = record.get('id') as string;
      counts.set(id, toNumber(record.get('nodeCount')) ?? 0);
      const last = lastSibling(record.get('lastSeq'), record.get('lastId'));
      if (last) this.lastSiblings.ofRunRoots.set(id, last);
    }
    return counts;
  }

  async nodeStates(ids: readonly string[]): Promise<Map<string, NodeState>> {
    const result = await this.tx.run(NODE_STATES, { ids });
    const states = new Map<string, NodeState>();
    for (const record of result.records) {
      const state = recordToNodeState(record.get('state'));
      states.set(state.id, state);
      const last = lastSibling(record.get('lastSeq'), record.get('lastId'));
      if (last) this.lastSiblings.ofParent.set(state.id, last);
    }
    return states;
  }

  async storedAncestors(id: string): Promise<NodeState[]> {
    const result = await this.tx.run(STORED_ANCESTORS, { id });
    return result.records.map((record) => recordToNodeState(record.get('state')));
  }
}

function lastSibling(seq: unknown, id: unknown): LastSibling | undefined {
  const n = toNumber(seq);
  return n === null || typeof id !== 'string' ? undefined : { seq: n, id };
}

async function applyPlan(tx: ManagedTransaction, plan: WritePlan, lastSiblings: LastSiblings): Promise<void> {
  // Placed roots get `rootOf` so the roots of a run have an index of their own.
  const rootOf = new Map(plan.placed.filter((p) => p.parentId === null).map((p) => [p.id, p.runId]));
  const withRootOf = (id: string, props: Record<string, unknown>) => {
    const runId = rootOf.get(id);
    return runId === undefined ? props : { ...props, rootOf: runId };
  };

  if (plan.creates.length > 0) {
    await tx.run(CREATE_NODES, { rows: plan.creates.map((row) => withRootOf(row.id, nodeProps(row))) });
  }
  if (plan.updates.length > 0) {
    await tx.run(UPDATE_NODES, { rows: plan.updates.map(({ id, set }) => ({ id, set: withRootOf(id, nodeProps(set)) })) });
  }
  if (plan.edges.length > 0) {
    await tx.run(CREATE_CHILD_OF, { edges: plan.edges });
  }
  if (plan.runDeltas.length > 0) {
    const deltas = plan.runDeltas.map((d) => ({
      runId: d.runId,
      nodeCount: toInteger(d.nodeCount),
      tokensIn: toInteger(d.tokensIn),
      tokensOut: toInteger(d.tokensOut),
      costUsd: d.costUsd,
    }));
    await tx.run(ADD_RUN_DELTAS, { deltas });
  }
  await linkSiblings(tx, plan.placed, lastSiblings);
}

const before = (a: LastSibling, b: LastSibling) => a.seq < b.seq || (a.seq === b.seq && a.id < b.id);

/**
 * Keeps NEXT between consecutive siblings in (seq, id) order. Fast path, the common case: the new
 * siblings all sort after the current last one, so they are appended to the chain (O(1) per node,
 * whatever the width). Slow path: a sibling lands in the middle, and that list is relinked whole.
 */
async function linkSiblings(tx: ManagedTransaction, placed: WritePlan['placed'], lastSiblings: LastSiblings): Promise<void> {
  const lists = new Map<string, { parentId: string | null; runId: string; added: LastSibling[] }>();
  for (const { id, runId, parentId, seq } of placed) {
    const listKey = parentId === null ? `run\u0000${runId}` : `node\u0000${parentId}`;
    let list = lists.get(listKey);
    if (!list) {
      list = { parentId, runId, added: [] };
      lists.set(listKey, list);
    }
    list.added.push({ seq, id });
  }

  const links: Array<{ from: string; to: string }> = [];
  const relinkParents: string[] = [];
  const relinkRuns: string[] = [];
  const lastChildren: Array<LastSibling & { key: string }> = [];
  const lastRoots: Array<LastSibling & { key: string }> = [];
  for (const { parentId, runId, added } of lists.values()) {
    added.sort((a, b) => (before(a, b) ? -1 : 1));
    const first = added[0] as LastSibling;
    const newest = added[added.length - 1] as LastSibling;
    const last = parentId === null ? lastSiblings.ofRunRoots.get(runId) : lastSiblings.ofParent.get(parentId);
    if (last === undefined || before(last, first)) {
      if (last) links.push({ from: last.id, to: first.id });
      for (let i = 1; i < added.length; i++) links.push({ from: (added[i - 1] as LastSibling).id, to: (added[i] as LastSibling).id });
    } else if (parentId === null) {
      relinkRuns.push(runId);
    } else {
      relinkParents.push(parentId);
    }
    const end = last !== undefined && before(newest, last) ? last : newest;
    if (parentId === null) lastRoots.push({ key: runId, ...end });
    else lastChildren.push({ key: parentId, ...end });
  }

  if (links.length > 0) await tx.run(LINK_NEXT, { links });
  if (relinkParents.length > 0) await tx.run(relinkSiblings('parentId'), { keys: relinkParents });
  if (relinkRuns.length > 0) await tx.run(relinkSiblings('rootOf'), { keys: relinkRuns });
  const asIntegers = (lasts: typeof lastChildren) => lasts.map((l) => ({ ...l, seq: toInteger(l.seq) }));
  if (lastChildren.length > 0) await tx.run(SET_LAST_CHILD, { lasts: asIntegers(lastChildren) });
  if (lastRoots.length > 0) await tx.run(SET_LAST_ROOT, { lasts: asIntegers(lastRoots) });
}
