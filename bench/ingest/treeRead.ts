import { randomTree } from '../../test/fixtures/randomTree';
import { type LatencySummary, summarize } from './closedLoop';
import type { StoreKind, StoreUnderTest } from './ingestScenarios';
import { freshRunId, ingestBody, NodeBatches } from './nodeBatches';

/**
 * Reading a whole run: a run of `size` nodes shaped as a random tree (deep and wide at once,
 * test/fixtures/randomTree) is ingested through the API in batches of 1,000, then
 * GET /api/runs/:runId/tree (flat, the default) is timed. The ceiling is the store's own tree
 * query, straight through the driver or SQLite, on the same tree written directly.
 */

/** CPU milliseconds each process spent per read (sidecar, neo4j, bench): where a read's time goes. */
export type CpuMsPerRead = Record<string, number | null>;

export interface TreeReadResult {
  store: StoreKind;
  nodes: number;
  reads: number;
  http: LatencySummary & { responseBytes: number; cpuMsPerRead: CpuMsPerRead };
  direct: LatencySummary & { cpuMsPerRead: CpuMsPerRead };
}

const ingestBatch = 1_000;
const warmups = 3;

export async function measureTreeRead(store: StoreUnderTest, size: number, reads: number): Promise<TreeReadResult> {
  const { api } = store.sidecar;
  const httpRun = freshRunId('tree-http');
  await api.createRun(httpRun, 'bench-tree');
  const httpBatches = treeBatches(httpRun, size);
  for (let written = 0; written < size; written += ingestBatch) {
    await api.ingest(httpRun, ingestBody(httpBatches.take(Math.min(ingestBatch, size - written))));
  }

  const directRun = freshRunId('tree-direct');
  await store.direct.createRun(directRun);
  const directBatches = treeBatches(directRun, size);
  for (let written = 0; written < size; written += ingestBatch) {
    await store.direct.writeBatch(directRun, directBatches.take(Math.min(ingestBatch, size - written)));
  }

  const path = `/api/runs/${encodeURIComponent(httpRun)}/tree`;
  let responseBytes = 0;
  const http = await timeRepeatedly(store, reads, async () => {
    const response = await api.expect(200, 'GET', path);
    responseBytes = response.bytes;
    return response.body;
  });
  const tree = JSON.parse(await api.expect(200, 'GET', path).then((r) => r.body)) as { nodes: unknown[] };
  if (tree.nodes.length !== size) throw new Error(`the tree of ${httpRun} has ${tree.nodes.length} nodes, expected ${size}`);

  const direct = await timeRepeatedly(store, reads, async () => {
    const count = await store.direct.listRunNodes(directRun);
    if (count !== size) throw new Error(`the direct tree query read ${count} nodes, expected ${size}`);
  });

  return {
    store: store.kind,
    nodes: size,
    reads,
    http: { ...summarize(http.samples), responseBytes, cpuMsPerRead: http.cpuMsPerRead },
    direct: { ...summarize(direct.samples), cpuMsPerRead: direct.cpuMsPerRead },
  };
}

/** The run's nodes in id order, each parent a random earlier node (same shape for both writers). */
function treeBatches(runId: string, size: number): NodeBatches {
  const prefix = `${runId}.`;
  const parents = randomTree(prefix, size, 20_250_101).map((n) => (n.parentId === null ? null : Number(n.parentId.slice(prefix.length))));
  return new NodeBatches(runId, (i) => parents[i] ?? null);
}

async function timeRepeatedly(
  store: StoreUnderTest,
  times: number,
  read: () => Promise<unknown>,
): Promise<{ samples: number[]; cpuMsPerRead: CpuMsPerRead }> {
  for (let i = 0; i < warmups; i++) await read();
  const samples: number[] = [];
  const cpuOver = store.cpu.start();
  const began = performance.now();
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    await read();
    samples.push(performance.now() - started);
  }
  const perRead = (performance.now() - began) / times;
  const shares = cpuOver().processes;
  const cpuMsPerRead = Object.fromEntries(
    Object.entries(shares).map(([name, percent]) => [name, percent === null ? null : Math.round(percent * perRead) / 100]),
  );
  return { samples, cpuMsPerRead };
}
