/**
 * Ingest benchmark (bench/README.md "Ingest"): node records per second through the sidecar's
 * HTTP API into each store, against the ceiling of writing the same records straight into the
 * store in the same run, plus the time to read a 10,000-node run's whole tree.
 *
 * For each store (the embedded SQLite, and Neo4j 5), a built sidecar (dist/sidecar.js) runs as
 * its own process on a fresh data dir. For batches of 1, 10, 100 and 1,000 records and 1 and 16
 * concurrent clients, each client posts fresh nodes of its own run back to back (closed loop)
 * for a fixed time after a warm-up; then the direct writer (neo4j-driver with UNWIND, or SQLite
 * through node-sqlite3-wasm) writes the same shape of records the same way. Passes alternate and
 * repeat; the medians are reported with the HTTP/direct ratio, what the sidecar's group commit
 * did (/metrics) and the CPU share of the sidecar, the Neo4j JVM and the bench itself.
 *
 *   npm run bench:ingest                                   # builds the sidecar, then runs this
 *   npx tsx bench/ingest/ingestBench.ts [--store sqlite|neo4j|both] [--quick] [--out <file>]
 *                                       [--batches 1,10,100,1000] [--clients 1,16]
 *
 * Neo4j is started with the tests' launcher (Java 17 + Maven) unless NEO4J_URI is set.
 * RUNTRAIL_INGEST_* settings (batch records, flush delay, …) are passed on to the sidecars.
 * Writes a JSON result (default bench/results/ingest.json; --quick: ingest-quick.tmp.json).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Neo4jTestServer } from '../../test/fixtures/services/neo4jServer';
import { type BenchSidecar, startBenchSidecar } from './benchSidecar';
import { CpuMeter, findPid, type WatchedProcess } from './cpuMeter';
import { checkTargets, costHeader, costLine, targetLines, throughputHeader, throughputLine, treeLines } from './ingestReport';
import {
  type DirectWriter,
  runIngestScenarios,
  type ScenarioResult,
  type StoreKind,
  type StoreUnderTest,
  TimeBudget,
  type Timing,
} from './ingestScenarios';
import { Neo4jDirect } from './neo4jDirect';
import { SqliteDirect } from './sqliteDirect';
import { measureTreeRead, type TreeReadResult } from './treeRead';

const repoRoot = path.resolve(__dirname, '../..');

interface BenchOptions {
  stores: StoreKind[];
  quick: boolean;
  out: string;
  /** Subsets for a targeted experiment (e.g. a flush delay): --batches 1,100 --clients 16. */
  batches: number[] | undefined;
  clients: number[] | undefined;
}

interface BenchConfig {
  batches: number[];
  clients: number[];
  timing: Timing;
  treeNodes: number;
  treeReads: number;
  /** Past this, scenarios stop repeating (each keeps one pass) so the whole bench stays bounded. */
  budgetMs: number;
}

const fullConfig: BenchConfig = {
  batches: [1, 10, 100, 1000],
  clients: [1, 16],
  timing: { storeWarmupMs: 1_000, warmupMs: 500, measureMs: 3_000, repeats: 3 },
  treeNodes: 10_000,
  treeReads: 30,
  budgetMs: 8 * 60_000,
};

const quickConfig: BenchConfig = {
  ...fullConfig,
  timing: { storeWarmupMs: 500, warmupMs: 200, measureMs: 1_000, repeats: 1 },
  treeReads: 5,
};

/** The group-commit settings in this environment (RUNTRAIL_INGEST_*), passed on to the sidecars. */
const sidecarTuning = () => Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('RUNTRAIL_INGEST_')));

function parseOptions(argv: readonly string[]): BenchOptions {
  const flagValue = (flag: string) => {
    const i = argv.indexOf(flag);
    return i < 0 ? undefined : argv[i + 1];
  };
  const store = flagValue('--store') ?? 'both';
  if (!['sqlite', 'neo4j', 'both'].includes(store)) throw new Error(`--store ${store}: use sqlite, neo4j or both`);
  const quick = argv.includes('--quick');
  const out = flagValue('--out') ?? path.join(repoRoot, 'bench/results', quick ? 'ingest-quick.tmp.json' : 'ingest.json');
  const numbers = (flag: string) => {
    const list = flagValue(flag)?.split(',').map(Number);
    if (list?.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`${flag} takes positive integers separated by commas`);
    return list;
  };
  return {
    stores: store === 'both' ? ['sqlite', 'neo4j'] : [store as StoreKind],
    quick,
    out: path.resolve(out),
    batches: numbers('--batches'),
    clients: numbers('--clients'),
  };
}

/** Where Neo4j is: the server this bench started, or the one NEO4J_URI names. */
interface Neo4jTarget {
  uri: string;
  auth: { user: string; password: string } | undefined;
  database: string;
  /** The JVM's pid when it runs here (for CPU shares). */
  pid: number | undefined;
  dispose(): Promise<void>;
}

async function openNeo4j(): Promise<Neo4jTarget> {
  const user = process.env.NEO4J_USER;
  const password = process.env.NEO4J_PASSWORD;
  const auth = user !== undefined && password !== undefined ? { user, password } : undefined;
  const database = process.env.NEO4J_DATABASE || 'neo4j';
  const uri = process.env.NEO4J_URI;
  if (uri) {
    // A server from `npm run services` is found by its launcher's command line; others are not watched.
    const port = /:(\d+)\/?$/.exec(uri)?.[1];
    const pid = port === undefined ? undefined : findPid(['Neo4jLauncher', ` ${port}`]);
    return { uri, auth, database, pid, dispose: async () => {} };
  }
  const server = await Neo4jTestServer.create();
  try {
    await server.start();
  } catch (error) {
    await server.dispose();
    throw error;
  }
  return {
    uri: server.uri,
    auth: undefined,
    database,
    pid: findPid(['Neo4jLauncher', server.home]),
    dispose: () => server.dispose(),
  };
}

function sidecarEnv(store: StoreKind, neo4j: Neo4jTarget | undefined): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...sidecarTuning() };
  if (store === 'neo4j' && neo4j) {
    env.NEO4J_URI = neo4j.uri;
    env.NEO4J_USER = neo4j.auth?.user;
    env.NEO4J_PASSWORD = neo4j.auth?.password;
    env.NEO4J_DATABASE = neo4j.database;
  }
  return env;
}

function neo4jDirectWriter(direct: Neo4jDirect): DirectWriter {
  return {
    concurrent: true,
    createRun: (id) => direct.createRun(id),
    writeBatch: (runId, nodes) => direct.writeBatch(runId, nodes),
    listRunNodes: (runId) => direct.listRunNodes(runId),
  };
}

function sqliteDirectWriter(direct: SqliteDirect): DirectWriter {
  return {
    concurrent: false,
    createRun: async (id) => direct.createRun(id),
    writeBatch: async (runId, nodes) => direct.writeBatch(runId, nodes),
    listRunNodes: async (runId) => direct.listRunNodes(runId),
  };
}

interface StoreResults {
  scenarios: ScenarioResult[];
  tree: TreeReadResult;
  resentRequests: number;
}

async function benchStore(kind: StoreKind, neo4j: Neo4jTarget | undefined, config: BenchConfig, budget: TimeBudget): Promise<StoreResults> {
  const maxClients = Math.max(...config.clients);
  process.stdout.write(`\n[${kind}] starting the sidecar\n`);
  const sidecar: BenchSidecar = await startBenchSidecar(sidecarEnv(kind, neo4j), maxClients);
  const neo4jDirect = kind === 'neo4j' && neo4j ? new Neo4jDirect(neo4j.uri, neo4j.auth, neo4j.database) : undefined;
  const sqliteDirect = kind === 'sqlite' ? new SqliteDirect() : undefined;
  try {
    const watched: WatchedProcess[] = [
      { name: 'sidecar', pid: sidecar.pid, mainThread: true },
      { name: 'bench', pid: process.pid },
    ];
    if (neo4j?.pid !== undefined) watched.push({ name: 'neo4j', pid: neo4j.pid });
    const store: StoreUnderTest = {
      kind,
      sidecar,
      direct: neo4jDirect ? neo4jDirectWriter(neo4jDirect) : sqliteDirectWriter(sqliteDirect as SqliteDirect),
      cpu: new CpuMeter(watched),
    };
    process.stdout.write(`${throughputHeader}\n`);
    const scenarios = await runIngestScenarios(store, config.batches, config.clients, config.timing, budget, (r) =>
      process.stdout.write(`${throughputLine(r)}\n`),
    );
    const tree = await measureTreeRead(store, config.treeNodes, config.treeReads);
    process.stdout.write(`${treeLines([tree]).join('\n')}\n`);
    return { scenarios, tree, resentRequests: sidecar.api.resentRequests };
  } catch (error) {
    process.stderr.write(`[${kind}] failed; ${sidecar.describe()}\n`);
    throw error;
  } finally {
    await neo4jDirect?.close();
    sqliteDirect?.close();
    await sidecar.stop();
  }
}

function machineInfo() {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    totalMemBytes: os.totalmem(),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
  };
}

function gitInfo() {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8' }).trim();
  try {
    return { commit: git('rev-parse', 'HEAD'), dirty: git('status', '--porcelain', '--untracked-files=no') !== '' };
  } catch {
    return { commit: 'unknown', dirty: null };
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const preset = options.quick ? quickConfig : fullConfig;
  const config = { ...preset, batches: options.batches ?? preset.batches, clients: options.clients ?? preset.clients };
  const started = new Date();
  // Read now: the code under test is what was built at the start, whatever is committed meanwhile.
  const git = gitInfo();
  const budget = new TimeBudget(config.budgetMs);
  const scenarios: ScenarioResult[] = [];
  const trees: TreeReadResult[] = [];
  let neo4jVersion: string | null = null;
  let resentRequests = 0;

  for (const kind of options.stores) {
    const neo4j = kind === 'neo4j' ? await openNeo4j() : undefined;
    try {
      if (neo4j) neo4jVersion = await readNeo4jVersion(neo4j);
      const results = await benchStore(kind, neo4j, config, budget);
      scenarios.push(...results.scenarios);
      trees.push(results.tree);
      resentRequests += results.resentRequests;
    } finally {
      await neo4j?.dispose();
    }
  }

  const targets = checkTargets(scenarios, trees);
  const result = {
    benchmark: 'ingest',
    date: started.toISOString(),
    durationSeconds: Math.round((Date.now() - started.getTime()) / 1000),
    machine: machineInfo(),
    neo4jVersion,
    git,
    config: {
      ...config,
      stores: options.stores,
      quick: options.quick,
      /** RUNTRAIL_INGEST_* set for this run; the sidecar's defaults apply to the others. */
      sidecarEnv: sidecarTuning(),
      recordShape: '4-ary tree (parent of i = floor((i-1)/4)), kind step/llm, status ok, ~200-byte JSON input and output',
      skippedRepeats: budget.skippedRepeats,
      noisyPassesRetried: budget.noisyPasses,
      resentRequests,
    },
    scenarios,
    treeReads: trees,
    targets,
  };
  fs.mkdirSync(path.dirname(options.out), { recursive: true });
  fs.writeFileSync(options.out, `${JSON.stringify(result, null, 2)}\n`);

  process.stdout.write(`\n${throughputHeader}\n${scenarios.map(throughputLine).join('\n')}\n`);
  process.stdout.write('* SQLite direct: one synchronous writer, the 1-client figure. ! other processes used > 25% of a core: re-run\n\n');
  process.stdout.write(`${costHeader}\n${scenarios.map(costLine).join('\n')}\n\n${treeLines(trees).join('\n')}\n\n`);
  process.stdout.write(`${targetLines(targets).join('\n')}\n\nwrote ${path.relative(process.cwd(), options.out)}\n`);
}

async function readNeo4jVersion(neo4j: Neo4jTarget): Promise<string> {
  const direct = new Neo4jDirect(neo4j.uri, neo4j.auth, neo4j.database);
  try {
    return await direct.version();
  } finally {
    await direct.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`ingest bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
