import neo4j, { type Driver, type Integer, type ManagedTransaction } from 'neo4j-driver';
import { nodeSummaryList } from '../../sidecar/store/neo4j/neo4jRows';
import type { BenchNode } from './nodeBatches';

/**
 * The Neo4j ceiling: the same records written straight through neo4j-driver, the least the
 * sidecar must do per batch. One driver for the process and a session per transaction (like the
 * sidecar's Neo4jClient), one write transaction per batch holding two UNWIND statements: create
 * the nodes with their IN_RUN relationship, then their CHILD_OF relationships (parents found by
 * id through the Node.id uniqueness constraint the sidecar created). What the sidecar does on
 * top (run lock, reading node states for the planner, NEXT sibling chain, last-child markers,
 * run counters, HTTP, validation) is what the HTTP/direct ratio prices.
 */

const CREATE_RUN = `
CREATE (:Run {id: $id, workflow: 'bench-direct', status: 'running', startedAt: $startedAt,
              nodeCount: 0, tokensIn: 0, tokensOut: 0, costUsd: 0.0, labels: []})`;

const CREATE_NODES = `
UNWIND $rows AS row
MATCH (r:Run {id: row.runId})
CREATE (n:Node)-[:IN_RUN]->(r)
SET n = row`;

const CREATE_CHILD_OF = `
UNWIND $edges AS edge
MATCH (child:Node {id: edge.childId})
MATCH (parent:Node {id: edge.parentId})
CREATE (child)-[:CHILD_OF]->(parent)`;

// The cheapest form measured for a whole run: a list per row (a map per row cost the driver about
// four times the decoding CPU), by the runId index, in sibling order like the sidecar's.
const LIST_RUN_NODES = `
MATCH (n:Node {runId: $runId})
RETURN ${nodeSummaryList('n')} AS node
ORDER BY n.seq, n.id`;

type NodeProps = Record<string, string | number | boolean | Integer>;

/** The properties the sidecar stores for such a node (integers as Neo4j Integers, like neo4jRows). */
function nodeProps(runId: string, node: BenchNode): NodeProps {
  const props: NodeProps = {
    id: node.id,
    runId,
    kind: node.kind,
    name: node.name,
    status: 'ok',
    seq: neo4j.int(node.seq),
    startedAt: neo4j.int(node.startedAt),
    endedAt: neo4j.int(node.endedAt),
    durationMs: neo4j.int(node.endedAt - node.startedAt),
    input: node.input,
    output: node.output,
    replayed: false,
    diverged: false,
    placeholder: false,
  };
  if (node.parentId === null) props.rootOf = runId;
  else props.parentId = node.parentId;
  return props;
}

export class Neo4jDirect {
  private readonly driver: Driver;

  constructor(
    uri: string,
    auth: { user: string; password: string } | undefined,
    private readonly database: string,
  ) {
    this.driver = neo4j.driver(uri, auth && neo4j.auth.basic(auth.user, auth.password), {
      maxConnectionPoolSize: 50,
      // Whole results in one go (no 1,000-record pulls): the best case for the tree ceiling.
      fetchSize: -1,
      userAgent: 'runtrail-bench',
      logging: { level: 'warn', logger: (_level, message) => process.stderr.write(`[neo4j-driver] ${message}\n`) },
    });
  }

  async version(): Promise<string> {
    const session = this.driver.session({ database: this.database });
    try {
      const result = await session.run('CALL dbms.components() YIELD versions, edition RETURN versions[0] AS version, edition');
      const record = result.records[0];
      return record ? `${record.get('version')} ${record.get('edition')}` : 'unknown';
    } finally {
      await session.close();
    }
  }

  async createRun(id: string): Promise<void> {
    await this.write(async (tx) => {
      await tx.run(CREATE_RUN, { id, startedAt: neo4j.int(Date.now()) });
    });
  }

  /** One transaction for the batch; resolves with the number of nodes written. */
  async writeBatch(runId: string, nodes: readonly BenchNode[]): Promise<number> {
    const rows = nodes.map((node) => nodeProps(runId, node));
    const edges = nodes.flatMap((n) => (n.parentId === null ? [] : [{ childId: n.id, parentId: n.parentId }]));
    await this.write(async (tx) => {
      await tx.run(CREATE_NODES, { rows });
      if (edges.length > 0) await tx.run(CREATE_CHILD_OF, { edges });
    });
    return nodes.length;
  }

  /** A whole run's nodes without payloads, straight through the driver: the ceiling of GET …/tree. */
  async listRunNodes(runId: string): Promise<number> {
    const session = this.driver.session({ database: this.database, defaultAccessMode: neo4j.session.READ });
    try {
      const result = await session.executeRead((tx) => tx.run(LIST_RUN_NODES, { runId }));
      return result.records.length;
    } finally {
      await session.close();
    }
  }

  close(): Promise<void> {
    return this.driver.close();
  }

  private async write(work: (tx: ManagedTransaction) => Promise<void>): Promise<void> {
    const session = this.driver.session({ database: this.database, defaultAccessMode: neo4j.session.WRITE });
    try {
      await session.executeWrite(work);
    } finally {
      await session.close();
    }
  }
}
