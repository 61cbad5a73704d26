import type { BenchSidecar } from './benchSidecar';
import { closedLoop, type LoadResult, median, medianResult, type NextBatch } from './closedLoop';
import type { CpuMeter, CpuShares } from './cpuMeter';
import { type GroupCommitStats, groupCommitStats, parseIngestCounters } from './groupCommitStats';
import { type BenchNode, freshRunId, ingestBody, NodeBatches } from './nodeBatches';

export type StoreKind = 'sqlite' | 'neo4j';

/** The same writes straight into the store, without the sidecar: the ceiling of each scenario. */
export interface DirectWriter {
  /** False when concurrent writers cannot beat one (SQLite): the 1-client figure is reused. */
  readonly concurrent: boolean;
  createRun(id: string): Promise<void>;
  writeBatch(runId: string, nodes: readonly BenchNode[]): Promise<number>;
  /** The store's own tree query for a run; resolves with the number of nodes read. */
  listRunNodes(runId: string): Promise<number>;
}

/** A store as the bench sees it: a sidecar on it, its direct writer, and the processes to watch. */
export interface StoreUnderTest {
  readonly kind: StoreKind;
  readonly sidecar: BenchSidecar;
  readonly direct: DirectWriter;
  readonly cpu: CpuMeter;
}

export interface Timing {
  /**
   * Once per store, before anything is measured: every scenario runs this long through HTTP and
   * direct, unmeasured. A fresh JVM runs Neo4j's write path 5-10 times slower until the JIT has
   * compiled it; a per-scenario warm-up is too short for that.
   */
  storeWarmupMs: number;
  /** Before each measured pass, unmeasured. */
  warmupMs: number;
  measureMs: number;
  repeats: number;
}

/** One measured pass: the load, what the group commit did (HTTP only) and who used the CPU. */
export interface Pass {
  load: LoadResult;
  groupCommit?: GroupCommitStats;
  cpu: CpuShares;
}

export interface Measured {
  /** Field-wise median of the repeats. */
  median: LoadResult;
  groupCommit?: GroupCommitStats;
  cpu: CpuShares;
  repeats: Pass[];
}

export interface ScenarioResult {
  store: StoreKind;
  batch: number;
  clients: number;
  http: Measured;
  direct: Measured;
  /** Whether `direct` was measured with one writer and reused (SQLite, 16 clients). */
  directFromOneClient: boolean;
  /** HTTP nodes/s over direct nodes/s. */
  ratio: number;
}

/** Stops starting new repeats once the whole bench has used its time (each scenario keeps one). */
export class TimeBudget {
  private readonly deadline: number;
  skippedRepeats = 0;
  /** Passes measured again because other processes were busy during them. */
  noisyPasses = 0;

  constructor(budgetMs: number) {
    this.deadline = Date.now() + budgetMs;
  }

  allowsAnotherRepeat(): boolean {
    const allowed = Date.now() < this.deadline;
    if (!allowed) this.skippedRepeats += 1;
    return allowed;
  }
}

/**
 * Every batch size × client count on one store: HTTP and direct passes alternate, repeat after
 * repeat, so drift on a noisy machine (and the store growing) affects both sides alike.
 */
export async function runIngestScenarios(
  store: StoreUnderTest,
  batches: readonly number[],
  clientCounts: readonly number[],
  timing: Timing,
  budget: TimeBudget,
  onResult: (result: ScenarioResult) => void,
): Promise<ScenarioResult[]> {
  await warmUpStore(store, batches, clientCounts, timing.storeWarmupMs);
  const results: ScenarioResult[] = [];
  const oneClientDirect = new Map<number, Measured>();
  for (const batch of batches) {
    for (const clients of clientCounts) {
      const reuseDirect = !store.direct.concurrent && clients > 1 ? oneClientDirect.get(batch) : undefined;
      const httpPasses: Pass[] = [];
      const directPasses: Pass[] = [];
      for (let repeat = 0; repeat < timing.repeats; repeat++) {
        if (repeat > 0 && !budget.allowsAnotherRepeat()) break;
        httpPasses.push(await quietPass(budget, () => httpPass(store, batch, clients, timing)));
        if (!reuseDirect) directPasses.push(await quietPass(budget, () => directPass(store, batch, clients, timing)));
      }
      const http = combine(httpPasses);
      const direct = reuseDirect ?? combine(directPasses);
      if (clients === 1) oneClientDirect.set(batch, direct);
      const result: ScenarioResult = {
        store: store.kind,
        batch,
        clients,
        http,
        direct,
        directFromOneClient: reuseDirect !== undefined,
        ratio: http.median.nodesPerSecond / direct.median.nodesPerSecond,
      };
      results.push(result);
      onResult(result);
    }
  }
  return results;
}

/** A pass during which processes outside the bench used more than this (% of one core) is noisy. */
export const noisyOthersPercent = 25;
const noisyRetries = 2;

/**
 * The machine is shared: a pass during which other processes took more than a quarter core is
 * measured again (up to twice, within the budget); the last attempt counts either way, and its
 * CPU shares show the noise.
 */
async function quietPass(budget: TimeBudget, measure: () => Promise<Pass>): Promise<Pass> {
  let pass = await measure();
  for (let retry = 0; retry < noisyRetries && (pass.cpu.othersPercent ?? 0) > noisyOthersPercent; retry++) {
    budget.noisyPasses += 1;
    if (!budget.allowsAnotherRepeat()) break;
    pass = await measure();
  }
  return pass;
}

async function warmUpStore(store: StoreUnderTest, batches: readonly number[], clientCounts: readonly number[], ms: number): Promise<void> {
  if (ms <= 0) return;
  for (const batch of batches) {
    for (const clients of clientCounts) {
      await closedLoop(await httpClients(store, batch, clients), ms);
      await closedLoop(await directClients(store, batch, clients), ms);
    }
  }
}

/** One fresh run per client, each posting its next `batch` nodes through the API. */
async function httpClients(store: StoreUnderTest, batch: number, clients: number): Promise<NextBatch[]> {
  const { api } = store.sidecar;
  const runs = await Promise.all(
    Array.from({ length: clients }, async () => {
      const runId = freshRunId(`http-b${batch}-c${clients}`);
      await api.createRun(runId, 'bench-ingest');
      return new NodeBatches(runId);
    }),
  );
  return runs.map(
    (run): NextBatch =>
      () => {
        const body = ingestBody(run.take(batch));
        return () => api.ingest(run.runId, body);
      },
  );
}

/** One fresh run per writer, each writing its next `batch` nodes straight into the store. */
async function directClients(store: StoreUnderTest, batch: number, clients: number): Promise<NextBatch[]> {
  const { direct } = store;
  const writers = direct.concurrent ? clients : 1;
  const runs = await Promise.all(
    Array.from({ length: writers }, async () => {
      const runId = freshRunId(`direct-b${batch}-c${clients}`);
      await direct.createRun(runId);
      return new NodeBatches(runId);
    }),
  );
  return runs.map(
    (run): NextBatch =>
      () => {
        const nodes = run.take(batch);
        return () => direct.writeBatch(run.runId, nodes);
      },
  );
}

async function httpPass(store: StoreUnderTest, batch: number, clients: number, timing: Timing): Promise<Pass> {
  const { api } = store.sidecar;
  const next = await httpClients(store, batch, clients);
  await closedLoop(next, timing.warmupMs);
  const countersBefore = parseIngestCounters((await api.metricsText()).body);
  const cpuOver = store.cpu.start();
  const load = await closedLoop(next, timing.measureMs);
  const cpu = cpuOver();
  const countersAfter = parseIngestCounters((await api.metricsText()).body);
  return { load, cpu, groupCommit: groupCommitStats(countersBefore, countersAfter, load.wallMs) };
}

async function directPass(store: StoreUnderTest, batch: number, clients: number, timing: Timing): Promise<Pass> {
  const next = await directClients(store, batch, clients);
  await closedLoop(next, timing.warmupMs);
  const cpuOver = store.cpu.start();
  const load = await closedLoop(next, timing.measureMs);
  return { load, cpu: cpuOver() };
}

function combine(passes: readonly Pass[]): Measured {
  const groupCommits = passes.flatMap((p) => (p.groupCommit ? [p.groupCommit] : []));
  return {
    median: medianResult(passes.map((p) => p.load)),
    ...(groupCommits.length === 0 ? {} : { groupCommit: medianGroupCommit(groupCommits) }),
    cpu: medianCpu(passes.map((p) => p.cpu)),
    repeats: [...passes],
  };
}

function medianGroupCommit(stats: readonly GroupCommitStats[]): GroupCommitStats {
  const of = (pick: (s: GroupCommitStats) => number) => median(stats.map(pick));
  return {
    commits: of((s) => s.commits),
    meanGroupRecords: of((s) => s.meanGroupRecords),
    meanCommitMs: of((s) => s.meanCommitMs),
    writerBusy: of((s) => s.writerBusy),
  };
}

function medianCpu(shares: readonly CpuShares[]): CpuShares {
  const names = [...new Set(shares.flatMap((s) => Object.keys(s.processes)))];
  const medianOf = (values: Array<number | null>) => {
    const known = values.filter((v): v is number => v !== null);
    return known.length === 0 ? null : median(known);
  };
  return {
    processes: Object.fromEntries(names.map((name) => [name, medianOf(shares.map((s) => s.processes[name] ?? null))])),
    machineBusyPercent: medianOf(shares.map((s) => s.machineBusyPercent)),
    othersPercent: medianOf(shares.map((s) => s.othersPercent)),
  };
}
