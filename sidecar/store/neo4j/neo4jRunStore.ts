import neo4j, { type ManagedTransaction } from 'neo4j-driver';
import type { ServiceHealth } from '../../../protocol/health';
import { invalid } from '../../errors';
import type {
  IngestOutcome,
  IngestRequestRows,
  NodeFilter,
  NodeRow,
  NodeSearchCursor,
  RunCursor,
  RunFilter,
  RunPatch,
  RunRow,
  RunStore,
  SiblingCursor,
  StatsFilter,
  WorkflowStatsRow,
} from '../runStore';
import type { Neo4jClient } from './neo4jClient';
import { ingestInTransaction } from './neo4jIngest';
import {
  listToNode,
  nodeMap,
  nodeSummaryList,
  nodeSummaryMap,
  recordToNode,
  recordToRun,
  runMap,
  runProps,
  toInteger,
  toNumber,
} from './neo4jRows';
import { awaitIndexes, schemaStatements } from './neo4jSchema';

/** Nodes (or edges) deleted per inner transaction when a run is deleted: bounds the transaction state. */
const DELETE_BATCH = 10_000;
/** Deepest subtree asked for; the bound is inlined into the query (see `subtreeQuery`). */
const MAX_SUBTREE_DEPTH = 100_000;
/** Generations of replays followed up or down a run family (a bound only a cycle of replayOf reaches). */
const MAX_FAMILY_DEPTH = 1_000;

// `justCreated` tells a fresh MERGE from a found one; it never outlives the query.
const CREATE_RUN = `
MERGE (r:Run {id: $id})
  ON CREATE SET r += $props, r.justCreated = true
WITH r, r.justCreated IS NOT NULL AS created
REMOVE r.justCreated
RETURN ${runMap('r')} AS run, created`;

const GET_RUN = `MATCH (r:Run {id: $id}) RETURN ${runMap('r')} AS run`;

const FAMILY_LEVEL = `MATCH (r:Run) WHERE r.replayOf IN $ids RETURN ${runMap('r')} AS run`;

const UPDATE_RUN = `MATCH (r:Run {id: $id}) SET r += $patch RETURN ${runMap('r')} AS run`;

// Auto-commit only (CALL … IN TRANSACTIONS): a 100,000-node run is deleted in bounded batches.
// CHILD_OF goes first: a node deleted with DETACH takes its children's edges with it, so a
// 100,000-wide parent would otherwise put 100,000 deletions into one batch (measured 2.5 times
// slower overall). Without CHILD_OF, a node has at most three relationships left.
const DELETE_RUN_CHILD_OF = `
MATCH (:Node {runId: $id})-[edge:CHILD_OF]->()
CALL (edge) { DELETE edge } IN TRANSACTIONS OF ${DELETE_BATCH} ROWS`;

const DELETE_RUN_NODES = `
MATCH (n:Node {runId: $id})
CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF ${DELETE_BATCH} ROWS`;

// Locking the run first lets an ingest that is committing now finish; its nodes (a batch at most)
// are deleted here with the run, and a later ingest finds no run.
const DELETE_RUN = `
MATCH (r:Run {id: $id})
SET r.writeLock = true
WITH r
CALL (r) {
  MATCH (n:Node {runId: r.id})
  DETACH DELETE n
}
DETACH DELETE r
RETURN count(*) AS deleted`;

const COUNT_NODES = `
MATCH (n:Node {runId: $runId})
WHERE n.placeholder = false
RETURN n.status AS status, n.kind AS kind, count(*) AS count`;

const GET_NODE = `MATCH (n:Node {id: $id}) RETURN ${nodeMap('n')} AS node`;

// By the runId property and index, not by expanding the run's IN_RUN relationships.
const LIST_RUN_NODES = `
MATCH (n:Node {runId: $runId})
RETURN ${nodeSummaryList('n')} AS node
ORDER BY n.seq, n.id`;

// Ascending ORDER BY puts nulls last: nodes without a seq come after the others.
const LIST_KEYED_NODES = `
MATCH (n:Node {runId: $runId})
WHERE n.key IS NOT NULL
RETURN ${nodeSummaryMap('n', 'output: n.output, attributes: n.attributes')} AS node
ORDER BY n.seq, n.id`;

// Real nodes only (placeholders have no seq), whole, in sibling order.
// One range seek on (runId, seq) from the cursor on, read in index order and stopped after a page
// (PartialTop): ordering by runId too is what lets the planner use the index's order. The tie on
// seq is a CASE, not an OR: an OR is planned as a union of two seeks, which loses the order and
// sorts every remaining node on every page (bench/interop: 50,000 nodes exported in 6.1 s before, 1.9 s now).
const listNodesWithPayloadsQuery = (paged: boolean) => `
MATCH (n:Node)
USING INDEX n:Node(runId, seq)
WHERE n.runId = $runId AND ${paged ? 'n.seq >= $afterSeq AND CASE WHEN n.seq > $afterSeq THEN true ELSE n.id > $afterId END' : 'n.seq IS NOT NULL'}
RETURN ${nodeMap('n')} AS node
ORDER BY n.runId, n.seq, n.id
LIMIT $limit`;

// The root is the ancestor without a parent (a placeholder parent counts as one); only that one
// row builds its path.
const PATH_TO_ROOT = `
MATCH p = (:Node {id: $id})-[:CHILD_OF*0..]->(root:Node)
WHERE root.parentId IS NULL
RETURN [n IN reverse(nodes(p)) | ${nodeSummaryMap('n')}] AS path`;

/**
 * Variable-length bounds cannot be parameters in Cypher, so the depth (validated to an integer in
 * 0..MAX_SUBTREE_DEPTH by the caller) is inlined. `deeper` says whether a level below exists.
 * Depth is size(hops), not length(p): building a path value per row is ~30 times slower on a
 * 1,000-deep chain.
 */
const subtreeQuery = (depth: number) => `
MATCH (top:Node {id: $id})
CALL (top) {
  MATCH (top)<-[hops:CHILD_OF*0..${depth}]-(d:Node)
  WITH d, size(hops) AS depth
  ORDER BY depth, d.seq, d.id
  LIMIT $limitPlusOne
  RETURN collect(${nodeSummaryMap('d', 'depth: depth')}) AS rows
}
RETURN rows, EXISTS { (top)<-[:CHILD_OF*${depth + 1}]-(:Node) } AS deeper`;

// Children by the denormalised parentId (or rootOf for the roots of a run) with the composite
// index, so a page of a 100,000-wide parent reads one page of index entries: ordering by the
// (constant) first index property too lets the planner take the index order instead of sorting
// every sibling. `siblingsOf` is a fixed property name, never input.
const childrenQuery = (siblingsOf: 'parentId' | 'rootOf', paged: boolean) => `
MATCH (c:Node)
USING INDEX c:Node(${siblingsOf}, seq)
WHERE c.${siblingsOf} = $key AND c.runId = $runId
  AND ${paged ? 'c.seq >= $afterSeq AND (c.seq > $afterSeq OR c.id > $afterId)' : 'c.seq IS NOT NULL'}
RETURN ${nodeSummaryMap('c')} AS node
ORDER BY c.${siblingsOf}, c.seq, c.id
LIMIT $limit`;

const STATS_COLUMNS = `
WITH r.workflow AS workflow,
     count(r) AS runs,
     collect(r.status) AS statuses,
     percentileCont(r.durationMs, 0.5) AS p50,
     percentileCont(r.durationMs, 0.95) AS p95,
     sum(r.tokensIn) AS tokensIn,
     sum(r.tokensOut) AS tokensOut,
     sum(r.costUsd) AS costUsd,
     max(r.startedAt) AS lastRunAt
RETURN workflow, runs, statuses, p50, p95, tokensIn, tokensOut, costUsd, lastRunAt
ORDER BY workflow`;

const where = (conditions: readonly string[]) => (conditions.length === 0 ? '' : `WHERE ${conditions.join('\n  AND ')}`);

/** The RunStore on Neo4j (DESIGN.md "Data model"); the conformance suite is test/integration/store. */
export class Neo4jRunStore implements RunStore {
  readonly kind = 'neo4j';

  constructor(private readonly client: Neo4jClient) {}

  async init(): Promise<void> {
    for (const statement of schemaStatements) {
      await this.client.runAutoCommit('schema', 'WRITE', statement);
    }
    await this.client.runAutoCommit('schema', 'READ', awaitIndexes, { timeoutSeconds: neo4j.int(300) });
  }

  check(): Promise<ServiceHealth> {
    return this.client.check();
  }

  close(): Promise<void> {
    return this.client.close();
  }

  async createRun(run: RunRow): Promise<{ run: RunRow; created: boolean }> {
    return this.client.run('create-run', 'WRITE', async (tx) => {
      const result = await tx.run(CREATE_RUN, { id: run.id, props: runProps(run) });
      const record = result.records[0];
      if (!record) throw new Error(`MERGE returned no run for ${run.id}`);
      return { run: recordToRun(record.get('run')), created: record.get('created') === true };
    });
  }

  getRun(id: string): Promise<RunRow | undefined> {
    return this.client.run('get-run', 'READ', (tx) => readRun(tx, GET_RUN, { id }));
  }

  updateRun(id: string, patch: RunPatch): Promise<RunRow | undefined> {
    return this.client.run('update-run', 'WRITE', (tx) => readRun(tx, UPDATE_RUN, { id, patch: runProps(patch) }));
  }

  async deleteRun(id: string): Promise<boolean> {
    await this.client.runAutoCommit('delete-run-edges', 'WRITE', DELETE_RUN_CHILD_OF, { id });
    await this.client.runAutoCommit('delete-run-nodes', 'WRITE', DELETE_RUN_NODES, { id });
    return this.client.run('delete-run', 'WRITE', async (tx) => {
      const result = await tx.run(DELETE_RUN, { id });
      return (toNumber(result.records[0]?.get('deleted')) ?? 0) > 0;
    });
  }

  async listRuns(filter: RunFilter, limit: number, after?: RunCursor): Promise<RunRow[]> {
    const conditions = ['r.startedAt IS NOT NULL'];
    const params: Record<string, unknown> = { limit: count(limit) };
    if (filter.workflow !== undefined) {
      conditions.push('r.workflow = $workflow');
      params.workflow = filter.workflow;
    }
    if (filter.status !== undefined) {
      conditions.push('r.status = $status');
      params.status = filter.status;
    }
    if (filter.branch !== undefined) {
      conditions.push('r.gitBranch = $branch');
      params.branch = filter.branch;
    }
    if (filter.label !== undefined) {
      conditions.push('$label IN r.labels');
      params.label = filter.label;
    }
    if (filter.text !== undefined) {
      conditions.push(
        '(toLower(r.id) CONTAINS toLower($text) OR toLower(r.workflow) CONTAINS toLower($text) OR toLower(r.command) CONTAINS toLower($text))',
      );
      params.text = filter.text;
    }
    if (after !== undefined) {
      conditions.push('r.startedAt <= $afterStartedAt', '(r.startedAt < $afterStartedAt OR r.id < $afterId)');
      params.afterStartedAt = toInteger(after.startedAt);
      params.afterId = after.id;
    }
    const query = `
MATCH (r:Run)
${where(conditions)}
RETURN ${runMap('r')} AS run
ORDER BY r.startedAt DESC, r.id DESC
LIMIT $limit`;
    return this.client.run('list-runs', 'READ', async (tx) => {
      const result = await tx.run(query, params);
      return result.records.map((record) => recordToRun(record.get('run')));
    });
  }

  runFamily(runId: string): Promise<RunRow[] | undefined> {
    // Runs carry replayOf as a property, not a relationship: walk it one generation per query
    // (families are a handful of runs deep), up to the original, then down level by level.
    return this.client.run('run-family', 'READ', async (tx) => {
      const start = await readRun(tx, GET_RUN, { id: runId });
      if (!start) return undefined;
      let root = start;
      const seen = new Set([root.id]);
      while (root.replayOf !== null && !seen.has(root.replayOf) && seen.size < MAX_FAMILY_DEPTH) {
        const parent = await readRun(tx, GET_RUN, { id: root.replayOf });
        if (!parent) break;
        seen.add(parent.id);
        root = parent;
      }
      const family = new Map([[root.id, root]]);
      let level = [root.id];
      for (let depth = 0; level.length > 0 && depth < MAX_FAMILY_DEPTH; depth++) {
        const result = await tx.run(FAMILY_LEVEL, { ids: level });
        level = [];
        for (const record of result.records) {
          const run = recordToRun(record.get('run'));
          if (family.has(run.id)) continue;
          family.set(run.id, run);
          level.push(run.id);
        }
      }
      return [...family.values()];
    });
  }

  countNodes(runId: string): Promise<{ byStatus: Record<string, number>; byKind: Record<string, number> }> {
    return this.client.run('count-nodes', 'READ', async (tx) => {
      const result = await tx.run(COUNT_NODES, { runId });
      const byStatus: Record<string, number> = {};
      const byKind: Record<string, number> = {};
      for (const record of result.records) {
        const n = toNumber(record.get('count')) ?? 0;
        const status = record.get('status') as string;
        const kind = record.get('kind') as string;
        byStatus[status] = (byStatus[status] ?? 0) + n;
        byKind[kind] = (byKind[kind] ?? 0) + n;
      }
      return { byStatus, byKind };
    });
  }

  ingest(requests: readonly IngestRequestRows[]): Promise<IngestOutcome[]> {
    return this.client.run('ingest', 'WRITE', (tx) => ingestInTransaction(tx, requests));
  }

  getNode(id: string): Promise<NodeRow | undefined> {
    return this.client.run('get-node', 'READ', async (tx) => {
      const result = await tx.run(GET_NODE, { id });
      const record = result.records[0];
      return record ? recordToNode(record.get('node')) : undefined;
    });
  }

  listRunNodes(runId: string): Promise<NodeRow[]> {
    return this.client.run('list-run-nodes', 'READ', async (tx) => {
      const result = await tx.run(LIST_RUN_NODES, { runId });
      return result.records.map((record) => listToNode(record.get('node')));
    });
  }

  listKeyedNodes(runId: string): Promise<NodeRow[]> {
    return this.client.run('list-keyed-nodes', 'READ', async (tx) => {
      const result = await tx.run(LIST_KEYED_NODES, { runId });
      return result.records.map((record) => recordToNode(record.get('node')));
    });
  }

  listNodesWithPayloads(runId: string, limit: number, after?: SiblingCursor): Promise<NodeRow[]> {
    const params: Record<string, unknown> = { runId, limit: count(limit) };
    if (after !== undefined) {
      params.afterSeq = toInteger(after.seq);
      params.afterId = after.id;
    }
    return this.client.run('list-nodes-with-payloads', 'READ', async (tx) => {
      const result = await tx.run(listNodesWithPayloadsQuery(after !== undefined), params);
      return result.records.map((record) => recordToNode(record.get('node')));
    });
  }

  pathToRoot(nodeId: string): Promise<NodeRow[] | undefined> {
    return this.client.run('path-to-root', 'READ', async (tx) => {
      const result = await tx.run(PATH_TO_ROOT, { id: nodeId });
      const record = result.records[0];
      return record ? (record.get('path') as Record<string, unknown>[]).map(recordToNode) : undefined;
    });
  }

  async subtree(
    nodeId: string,
    depth: number,
    limit: number,
  ): Promise<{ rows: Array<NodeRow & { depth: number }>; truncated: boolean } | undefined> {
    if (!Number.isInteger(depth) || depth < 0 || depth > MAX_SUBTREE_DEPTH) {
      throw invalid(`depth must be an integer from 0 to ${MAX_SUBTREE_DEPTH}, got ${depth}`);
    }
    const query = subtreeQuery(depth);
    return this.client.run('subtree', 'READ', async (tx) => {
      const result = await tx.run(query, { id: nodeId, limitPlusOne: count(limit + 1) });
      const record = result.records[0];
      if (!record) return undefined;
      const all = (record.get('rows') as Record<string, unknown>[]).map((m) => ({ ...recordToNode(m), depth: toNumber(m.depth) ?? 0 }));
      const rows = all.slice(0, limit);
      return { rows, truncated: all.length > limit || record.get('deeper') === true };
    });
  }

  async children(runId: string, parentId: string | null, limit: number, after?: SiblingCursor): Promise<NodeRow[]> {
    const query = childrenQuery(parentId === null ? 'rootOf' : 'parentId', after !== undefined);
    const params: Record<string, unknown> = { key: parentId ?? runId, runId, limit: count(limit) };
    if (after !== undefined) {
      params.afterSeq = toInteger(after.seq);
      params.afterId = after.id;
    }
    return this.client.run('children', 'READ', async (tx) => {
      const result = await tx.run(query, params);
      return result.records.map((record) => recordToNode(record.get('node')));
    });
  }

  async searchNodes(filter: NodeFilter, limit: number, after?: NodeSearchCursor): Promise<Array<NodeRow & { workflow: string }>> {
    const conditions = ['n.placeholder = false'];
    const params: Record<string, unknown> = { limit: count(limit) };
    if (filter.runId !== undefined) {
      conditions.push('n.runId = $runId');
      params.runId = filter.runId;
    }
    if (filter.kind !== undefined) {
      conditions.push('n.kind = $kind');
      params.kind = filter.kind;
    }
    if (filter.status !== undefined) {
      conditions.push('n.status = $status');
      params.status = filter.status;
    }
    if (filter.workflow !== undefined) {
      conditions.push('r.workflow = $workflow');
      params.workflow = filter.workflow;
    }
    if (filter.text !== undefined) {
      conditions.push(
        `(${['name', 'key', 'error', 'input', 'output'].map((field) => `toLower(n.${field}) CONTAINS toLower($text)`).join(' OR ')})`,
      );
      params.text = filter.text;
    }
    if (after !== undefined) {
      conditions.push('n.startedAt <= $afterStartedAt', '(n.startedAt < $afterStartedAt OR n.id < $afterId)');
      params.afterStartedAt = toInteger(after.startedAt);
      params.afterId = after.id;
    }
    const query = `
MATCH (n:Node)-[:IN_RUN]->(r:Run)
${where(conditions)}
RETURN ${nodeSummaryMap('n')} AS node, r.workflow AS workflow
ORDER BY n.startedAt DESC, n.id DESC
LIMIT $limit`;
    return this.client.run('search-nodes', 'READ', async (tx) => {
      const result = await tx.run(query, params);
      return result.records.map((record) => ({ ...recordToNode(record.get('node')), workflow: record.get('workflow') as string }));
    });
  }

  stats(filter: StatsFilter): Promise<WorkflowStatsRow[]> {
    const conditions: string[] = [];
    const params: Record<string, unknown> = {};
    if (filter.workflow !== undefined) {
      conditions.push('r.workflow = $workflow');
      params.workflow = filter.workflow;
    }
    if (filter.since !== undefined) {
      conditions.push('r.startedAt >= $since');
      params.since = toInteger(filter.since);
    }
    if (filter.until !== undefined) {
      conditions.push('r.startedAt < $until');
      params.until = toInteger(filter.until);
    }
    const query = `MATCH (r:Run)\n${where(conditions)}${STATS_COLUMNS}`;
    return this.client.run('stats', 'READ', async (tx) => {
      const result = await tx.run(query, params);
      return result.records.map((record) => {
        const byStatus: Record<string, number> = {};
        for (const status of record.get('statuses') as string[]) byStatus[status] = (byStatus[status] ?? 0) + 1;
        return {
          workflow: record.get('workflow') as string,
          runs: toNumber(record.get('runs')) ?? 0,
          byStatus,
          p50DurationMs: toNumber(record.get('p50')),
          p95DurationMs: toNumber(record.get('p95')),
          tokensIn: toNumber(record.get('tokensIn')) ?? 0,
          tokensOut: toNumber(record.get('tokensOut')) ?? 0,
          costUsd: toNumber(record.get('costUsd')) ?? 0,
          lastRunAt: toNumber(record.get('lastRunAt')),
        };
      });
    });
  }

  /**
   * Not part of the port: checks that the NEXT chain of one sibling list (a node's children, or
   * the roots of the run when `parentId` is null) links every sibling once, in (seq, id) order.
   * Returns the problem found, or undefined. For benchmarks and debugging.
   */
  async verifySiblingChain(runId: string, parentId: string | null): Promise<string | undefined> {
    const siblings = await this.client.run('verify-siblings', 'READ', async (tx) => {
      const result = await tx.run(
        `MATCH (c:Node) WHERE ${parentId === null ? 'c.rootOf = $runId' : 'c.parentId = $parentId'}
         OPTIONAL MATCH (c)-[:NEXT]->(next:Node)
         RETURN c.id AS id, c.seq AS seq, collect(next.id) AS next
         ORDER BY seq, id`,
        { runId, parentId },
      );
      return result.records.map((record) => ({ id: record.get('id') as string, next: record.get('next') as string[] }));
    });
    for (const [i, sibling] of siblings.entries()) {
      const expected = siblings[i + 1]?.id;
      const actual = sibling.next.join(',');
      if (actual !== (expected ?? '')) return `${sibling.id} -[:NEXT]-> ${actual || 'nothing'}, expected ${expected ?? 'nothing'}`;
    }
    return undefined;
  }
}

async function readRun(tx: ManagedTransaction, query: string, params: Record<string, unknown>): Promise<RunRow | undefined> {
  const result = await tx.run(query, params);
  const record = result.records[0];
  return record ? recordToRun(record.get('run')) : undefined;
}

/** A LIMIT as the Neo4j Integer Cypher requires (a JS number would arrive as a float). */
function count(limit: number): ReturnType<typeof neo4j.int> {
  if (!Number.isInteger(limit) || limit < 0) throw invalid(`limit must be a non-negative integer, got ${limit}`);
  return neo4j.int(limit);
}
