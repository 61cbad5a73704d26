/**
 * Interop benchmark (bench/README.md "Interop (bench/interop)"): how fast the sidecar takes what
 * other tools send it and moves runs in and out as files, against the native ingest path measured
 * in the same run.
 *
 * 1. OTLP: one export request of a 10,000-span trace (bench/interop/otlpTrace.ts: real SDK spans,
 *    real exporters' bytes) as OTLP/JSON, protobuf and gzip'd protobuf, posted to `/v1/traces`:
 *    time from sending to the 200 answer (the spans are committed then). Ceiling: the same nodes
 *    as the OTLP mapping makes them, posted to `POST /api/runs/:id/nodes` in one request.
 * 2. Bundles: a 50,000-node run (built through `POST /nodes`, 10,000 per request). Export
 *    (`GET /api/runs/:id/export`, whole body read) against the flat tree read of the same run
 *    (`GET …/tree?format=flat`, no payloads); import of the exported file under a new id
 *    (`POST /api/import?as=`) against the same 50,000 records posted to `POST /nodes` in 5
 *    requests into a fresh run.
 *
 *   npm run bench:interop                          # builds dist/sidecar.js, then SQLite (~2 min)
 *   npx tsx bench/interop/interopBench.ts [--store sqlite|neo4j|both] [--repeats 5] [--only otlp|bundles] [--quick] [--out <file>]
 *
 * A built sidecar process (dist/sidecar.js, fresh data dir, log level warn) per store; Neo4j is
 * started with the tests' launcher unless NEO4J_URI is set. Every measurement is one warm-up and
 * then `--repeats` passes, alternating with its ceiling; every run a pass wrote is deleted after
 * it (untimed), so the store does not grow from pass to pass. Medians are reported. Writes
 * bench/results/interop.json (--quick: interop-quick.tmp.json, ignored by git).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Neo4jTestServer } from '../../test/fixtures/services/neo4jServer';
import { type BenchSidecar, startBenchSidecar } from '../ingest/benchSidecar';
import { CpuMeter, findPid, type WatchedProcess } from '../ingest/cpuMeter';
import { Neo4jDirect } from '../ingest/neo4jDirect';
import { ingestBody, NodeBatches } from '../ingest/nodeBatches';
import { type CapturedRequest, captureExports, mappedNodeRecords, type OtlpFormat, otlpFormats, spansPerTrace } from './otlpTrace';
import { expectTimed } from './timedRequest';

const repoRoot = path.resolve(__dirname, '../..');
type StoreKind = 'sqlite' | 'neo4j';
/** The sidecar's default RUNTRAIL_MAX_FIELD_BYTES: what mapSpan is given for the ceiling's records. */
const maxFieldBytes = 256 * 1024;
const bundleNodes = 50_000;
const bundleBatch = 10_000;
const MiB = 1024 * 1024;

interface Options {
  stores: StoreKind[];
  repeats: number;
  only: 'otlp' | 'bundles' | undefined;
  quick: boolean;
  out: string;
}

function parseOptions(argv: string[]): Options {
  const value = (flag: string) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);
  const quick = argv.includes('--quick');
  const store = value('--store') ?? 'sqlite';
  if (!['sqlite', 'neo4j', 'both'].includes(store)) throw new Error(`--store ${store}: use sqlite, neo4j or both`);
  const repeats = Number(value('--repeats') ?? (quick ? 1 : 5));
  if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`--repeats needs a positive integer, got ${value('--repeats')}`);
  const only = value('--only');
  if (only !== undefined && only !== 'otlp' && only !== 'bundles') throw new Error(`--only ${only}: use otlp or bundles`);
  return {
    stores: store === 'both' ? ['sqlite', 'neo4j'] : [store as StoreKind],
    repeats,
    only,
    quick,
    out: value('--out') ?? path.join(repoRoot, 'bench/results', quick ? 'interop-quick.tmp.json' : 'interop.json'),
  };
}

/** One timed request (or, for the import ceiling, the 5 requests back to back). */
interface Pass {
  measure: string;
  repeat: number;
  ms: number;
  /** Request body bytes (OTLP, imports) or answer bytes (export, tree). */
  bytes: number;
  /** spans/s, nodes/s or MiB/s, as the measure reports it. */
  rate: number;
  cpu: Record<string, number | null>;
  othersPercent: number | null;
  /** 1, or 2-3 when a noisy pass was measured again. */
  attempts: number;
}

interface Neo4jTarget {
  uri: string;
  auth: { user: string; password: string } | undefined;
  database: string;
  pid: number | undefined;
  dispose(): Promise<void>;
}

/** The server NEO4J_URI names, or one started with the tests' launcher (as bench/ingest does). */
async function openNeo4j(): Promise<Neo4jTarget> {
  const user = process.env.NEO4J_USER;
  const password = process.env.NEO4J_PASSWORD;
  const auth = user !== undefined && password !== undefined ? { user, password } : undefined;
  const database = process.env.NEO4J_DATABASE || 'neo4j';
  if (process.env.NEO4J_URI) return { uri: process.env.NEO4J_URI, auth, database, pid: undefined, dispose: async () => {} };
  const server = await Neo4jTestServer.create();
  try {
    await server.start();
  } catch (error) {
    await server.dispose();
    throw error;
  }
  return { uri: server.uri, auth: undefined, database, pid: findPid(['Neo4jLauncher', server.home]), dispose: () => server.dispose() };
}

/** RUNTRAIL_INGEST_* from the environment reach the sidecar and the result. */
const tuning = (): Record<string, string> =>
  Object.fromEntries(Object.entries(process.env).filter(([k, v]) => k.startsWith('RUNTRAIL_INGEST_') && v !== undefined)) as Record<
    string,
    string
  >;

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

class StoreBench {
  readonly passes: Pass[] = [];
  private readonly meter: CpuMeter;

  constructor(
    private readonly sidecar: BenchSidecar,
    watched: WatchedProcess[],
  ) {
    this.meter = new CpuMeter(watched);
  }

  /**
   * Runs `timed` under the CPU meter and records it (repeat -1 is the warm-up: not recorded). A
   * pass during which other processes used more than a quarter core is measured again, up to
   * twice, after `undo` has put the store back as it was before the pass (the last attempt is
   * kept, and marked noisy if it still was).
   */
  private async record(
    measure: string,
    repeat: number,
    timed: () => Promise<{ ms: number; bytes: number; rate: number }>,
    undo: () => Promise<void> = async () => {},
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const cpu = this.meter.start();
      const { ms, bytes, rate } = await timed();
      const shares = cpu();
      const pass: Pass = {
        measure,
        repeat,
        ms: round(ms, 1),
        bytes,
        rate: Math.round(rate * 10) / 10,
        cpu: shares.processes,
        othersPercent: shares.othersPercent,
        attempts: attempt,
      };
      const again = repeat >= 0 && noisy(pass) && attempt < 3;
      process.stdout.write(
        `  ${measure.padEnd(18)} ${repeat < 0 ? 'warm-up' : `#${repeat}`.padEnd(7)} ${pass.ms.toFixed(1).padStart(9)} ms  ${fmt(pass.rate).padStart(9)}  cpu ${JSON.stringify(pass.cpu)} others ${pass.othersPercent ?? '-'}%${again ? '  noisy: again' : ''}\n`,
      );
      if (again) {
        await undo();
        continue;
      }
      if (repeat >= 0) this.passes.push(pass);
      return;
    }
  }

  private get api() {
    return this.sidecar.api;
  }

  private async deleteRun(runId: string): Promise<void> {
    await this.api.expect(204, 'DELETE', `/api/runs/${encodeURIComponent(runId)}`);
  }

  // ---- 1. OTLP ------------------------------------------------------------------------------

  async otlp(
    captures: Record<OtlpFormat, CapturedRequest[]>,
    ceilingTemplate: { traceId: string; body: string },
    repeats: number,
  ): Promise<void> {
    for (let repeat = -1; repeat < repeats; repeat++) {
      for (const format of otlpFormats) {
        const request = captures[format][repeat + 1] as CapturedRequest;
        await this.record(
          `otlp ${format}`,
          repeat,
          async () => {
            const res = await expectTimed(200, this.sidecar.url, this.sidecar.token, 'POST', '/v1/traces', {
              bytes: request.body,
              contentType: request.contentType,
              contentEncoding: request.contentEncoding,
            });
            // Full success is an empty ExportTraceServiceResponse: `{}` or zero bytes.
            const answer = res.body.toString('utf8');
            if (answer !== '' && answer !== '{}') throw new Error(`${format} export: partial success ${answer.slice(0, 300)}`);
            return { ms: res.ms, bytes: request.body.length, rate: spansPerTrace / (res.ms / 1000) };
          },
          () => this.deleteRun(request.traceId),
        );
        if (repeat < 0) await this.checkRun(request.traceId, spansPerTrace, 'ok');
        await this.deleteRun(request.traceId);
      }
      const runId = hex(16);
      const body = Buffer.from(ceilingTemplate.body.replaceAll(ceilingTemplate.traceId, runId), 'utf8');
      await this.api.createRun(runId, 'bench-interop');
      await this.record(
        'otlp ceiling',
        repeat,
        async () => {
          const res = await expectTimed(200, this.sidecar.url, this.sidecar.token, 'POST', `/api/runs/${runId}/nodes`, {
            bytes: body,
            contentType: 'application/json',
          });
          const accepted = (JSON.parse(res.body.toString('utf8')) as { accepted: number }).accepted;
          if (accepted !== spansPerTrace) throw new Error(`the ceiling's ingest accepted ${accepted} of ${spansPerTrace} records`);
          return { ms: res.ms, bytes: body.length, rate: spansPerTrace / (res.ms / 1000) };
        },
        () => this.recreateRun(runId),
      );
      if (repeat < 0) await this.checkRun(runId, spansPerTrace, 'running');
      await this.deleteRun(runId);
    }
  }

  private async recreateRun(runId: string): Promise<void> {
    await this.deleteRun(runId);
    await this.api.createRun(runId, 'bench-interop');
  }

  private async checkRun(runId: string, nodeCount: number, status: string): Promise<void> {
    const run = JSON.parse((await this.api.expect(200, 'GET', `/api/runs/${runId}`)).body) as { nodeCount: number; status: string };
    if (run.nodeCount !== nodeCount || run.status !== status) {
      throw new Error(`run ${runId}: ${run.nodeCount} nodes, ${run.status}; expected ${nodeCount} nodes, ${status}`);
    }
  }

  // ---- 2. Bundles ---------------------------------------------------------------------------

  /** The 50,000-node run, finished; built once, untimed. */
  private async buildSource(runId: string): Promise<void> {
    await this.api.createRun(runId, 'bench-interop');
    for (const body of ingestBodies(runId)) {
      const accepted = await this.api.ingest(runId, body);
      if (accepted !== bundleBatch) throw new Error(`building ${runId}: ${accepted} of ${bundleBatch} records accepted`);
    }
    await this.api.expect(200, 'PATCH', `/api/runs/${runId}`, JSON.stringify({ status: 'ok', endedAt: Date.now() }));
    await this.checkRun(runId, bundleNodes, 'ok');
  }

  async bundles(repeats: number): Promise<void> {
    const sourceId = `interop-source-${hex(4)}`;
    process.stdout.write(`  building ${sourceId}: ${bundleNodes.toLocaleString('en')} nodes in ${bundleNodes / bundleBatch} requests\n`);
    await this.buildSource(sourceId);
    const { url, token } = this.sidecar;
    let bundle: Buffer | undefined;
    for (let repeat = -1; repeat < repeats; repeat++) {
      await this.record('bundle export', repeat, async () => {
        const res = await expectTimed(200, url, token, 'GET', `/api/runs/${sourceId}/export`);
        bundle = res.body;
        return { ms: res.ms, bytes: res.bytes, rate: res.bytes / MiB / (res.ms / 1000) };
      });
      await this.record('tree flat', repeat, async () => {
        const res = await expectTimed(200, url, token, 'GET', `/api/runs/${sourceId}/tree?format=flat`);
        if (repeat < 0) {
          const nodes = (JSON.parse(res.body.toString('utf8')) as { nodes: unknown[] }).nodes.length;
          if (nodes !== bundleNodes) throw new Error(`the flat tree has ${nodes} nodes, expected ${bundleNodes}`);
        }
        return { ms: res.ms, bytes: res.bytes, rate: res.bytes / MiB / (res.ms / 1000) };
      });
      if (repeat < 0) checkBundle(bundle as Buffer);

      const importedId = `interop-import-${hex(6)}`;
      await this.record(
        'bundle import',
        repeat,
        async () => {
          const file = bundle as Buffer;
          const res = await expectTimed(201, url, token, 'POST', `/api/import?as=${importedId}`, {
            bytes: file,
            contentType: 'application/x-ndjson',
          });
          const answer = JSON.parse(res.body.toString('utf8')) as { runId: string; nodes: number };
          if (answer.runId !== importedId || answer.nodes !== bundleNodes)
            throw new Error(`import answered ${res.body.toString('utf8').slice(0, 300)}`);
          return { ms: res.ms, bytes: file.length, rate: bundleNodes / (res.ms / 1000) };
        },
        () => this.deleteRun(importedId),
      );
      if (repeat < 0) await this.checkRun(importedId, bundleNodes, 'ok');
      await this.deleteRun(importedId);

      const ceilingId = `interop-nodes-${hex(6)}`;
      const bodies = ingestBodies(ceilingId).map((b) => Buffer.from(b, 'utf8'));
      await this.api.createRun(ceilingId, 'bench-interop');
      await this.record(
        'import ceiling',
        repeat,
        async () => {
          const started = performance.now();
          for (const body of bodies) {
            await expectTimed(200, url, token, 'POST', `/api/runs/${ceilingId}/nodes`, { bytes: body, contentType: 'application/json' });
          }
          const ms = performance.now() - started;
          return { ms, bytes: bodies.reduce((n, b) => n + b.length, 0), rate: bundleNodes / (ms / 1000) };
        },
        () => this.recreateRun(ceilingId),
      );
      if (repeat < 0) await this.checkRun(ceilingId, bundleNodes, 'running');
      await this.deleteRun(ceilingId);
    }
    await this.deleteRun(sourceId);
  }
}

/** The 50,000 records of bench/ingest's shape (4-ary tree, ~200-byte input and output), 10,000 per body. */
function ingestBodies(runId: string): string[] {
  const batches = new NodeBatches(runId);
  return Array.from({ length: bundleNodes / bundleBatch }, () => ingestBody(batches.take(bundleBatch)));
}

/** The export is the whole run: header, run, a line per node, then the edges. */
function checkBundle(bundle: Buffer): void {
  const lines = bundle.toString('utf8').trimEnd().split('\n');
  const nodes = lines.filter((l) => l.startsWith('{"type":"node"')).length;
  if (nodes !== bundleNodes) throw new Error(`the bundle has ${nodes} node lines, expected ${bundleNodes}`);
}

// ---- summary ------------------------------------------------------------------------------------

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;
const fmt = (x: number) => (x >= 100 ? Math.round(x).toLocaleString('en') : x.toFixed(1));

interface Line {
  measure: string;
  what: string;
  medianMs: number;
  minMs: number;
  maxMs: number;
  MiB: number;
  rate: number;
  unit: string;
  ceiling?: string;
  /** This measure's rate as a share of its ceiling's (same work per pass, so ceiling ms / ms). */
  ofCeiling?: number;
  noisyPasses: number;
}

const measures: Array<{ measure: string; what: string; unit: string; ceiling?: string }> = [
  { measure: 'otlp json', what: 'POST /v1/traces, OTLP/JSON, 10,000 spans', unit: 'spans/s', ceiling: 'otlp ceiling' },
  { measure: 'otlp protobuf', what: 'POST /v1/traces, protobuf, 10,000 spans', unit: 'spans/s', ceiling: 'otlp ceiling' },
  { measure: 'otlp protobuf+gzip', what: 'POST /v1/traces, gzip protobuf, 10,000 spans', unit: 'spans/s', ceiling: 'otlp ceiling' },
  { measure: 'otlp ceiling', what: 'POST /nodes, the mapped 10,000 records', unit: 'nodes/s' },
  { measure: 'bundle export', what: 'GET /export, 50,000 nodes', unit: 'MiB/s', ceiling: 'tree flat' },
  { measure: 'tree flat', what: 'GET /tree?format=flat, 50,000 nodes', unit: 'MiB/s' },
  { measure: 'bundle import', what: 'POST /import?as=, 50,000 nodes', unit: 'nodes/s', ceiling: 'import ceiling' },
  { measure: 'import ceiling', what: 'POST /nodes, 5 × 10,000 records', unit: 'nodes/s' },
];

/** A pass during which other processes used more than a quarter core. */
const noisy = (p: Pass) => (p.othersPercent ?? 0) > 25;

function summarise(passes: Pass[]): Line[] {
  const lines: Line[] = [];
  for (const m of measures) {
    const of = passes.filter((p) => p.measure === m.measure);
    if (of.length === 0) continue;
    lines.push({
      ...m,
      medianMs: round(median(of.map((p) => p.ms)), 1),
      minMs: Math.min(...of.map((p) => p.ms)),
      maxMs: Math.max(...of.map((p) => p.ms)),
      MiB: round(median(of.map((p) => p.bytes)) / MiB, 2),
      rate: round(median(of.map((p) => p.rate)), 1),
      noisyPasses: of.filter(noisy).length,
    });
  }
  for (const line of lines) {
    const ceiling = lines.find((l) => l.measure === line.ceiling);
    if (ceiling) line.ofCeiling = round(ceiling.medianMs / line.medianMs, 3);
  }
  return lines;
}

function table(stores: Array<{ store: StoreKind; summary: Line[] }>): string {
  const head = `| store  | measure            | median ms |  min–max ms        |    MiB |          rate | of ceiling |`;
  const rule = `| ------ | ------------------ | --------: | -----------------: | -----: | ------------: | ---------: |`;
  const rows = stores.flatMap(({ store, summary }) =>
    summary.map(
      (l) =>
        `| ${store.padEnd(6)} | ${l.measure.padEnd(18)} | ${fmt(l.medianMs).padStart(9)} | ${`${fmt(l.minMs)}–${fmt(l.maxMs)}`.padStart(18)} | ${l.MiB.toFixed(2).padStart(6)} | ${`${fmt(l.rate)} ${l.unit}`.padStart(13)} | ${(l.ofCeiling === undefined ? '–' : `${Math.round(l.ofCeiling * 100)}%`).padStart(10)} |${l.noisyPasses > 0 ? ` ${l.noisyPasses} noisy` : ''}`,
    ),
  );
  return [head, rule, ...rows].join('\n');
}

function gitCommit(): { commit: string | null; dirty: boolean | null } {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
    const dirty =
      execFileSync('git', ['status', '--porcelain', '--', 'sidecar', 'protocol'], { cwd: repoRoot, encoding: 'utf8' }).trim() !== '';
    return { commit, dirty };
  } catch {
    return { commit: null, dirty: null };
  }
}

async function neo4jVersion(target: Neo4jTarget): Promise<string> {
  const direct = new Neo4jDirect(target.uri, target.auth, target.database);
  try {
    return await direct.version();
  } finally {
    await direct.close();
  }
}

async function benchStore(
  kind: StoreKind,
  options: Options,
  captures: Record<OtlpFormat, CapturedRequest[]> | undefined,
  ceilingTemplate: { traceId: string; body: string } | undefined,
) {
  process.stdout.write(`\n${kind}\n`);
  const neo4j = kind === 'neo4j' ? await openNeo4j() : undefined;
  try {
    const version = neo4j ? await neo4jVersion(neo4j) : null;
    const env: Record<string, string | undefined> = { ...tuning() };
    if (neo4j)
      Object.assign(env, {
        NEO4J_URI: neo4j.uri,
        NEO4J_USER: neo4j.auth?.user,
        NEO4J_PASSWORD: neo4j.auth?.password,
        NEO4J_DATABASE: neo4j.database,
      });
    const sidecar = await startBenchSidecar(env, 4);
    try {
      // The bench itself is watched too, so "others" is only what else ran on the machine.
      const watched: WatchedProcess[] = [
        { name: 'sidecar', pid: sidecar.pid, mainThread: true },
        { name: 'bench', pid: process.pid },
      ];
      if (neo4j?.pid !== undefined) watched.push({ name: 'neo4j', pid: neo4j.pid });
      const bench = new StoreBench(sidecar, watched);
      if (captures && ceilingTemplate) await bench.otlp(captures, ceilingTemplate, options.repeats);
      if (options.only !== 'otlp') await bench.bundles(options.repeats);
      const lines = summarise(bench.passes);
      process.stdout.write(`\n${table([{ store: kind, summary: lines }])}\n`);
      return { store: kind, neo4jVersion: version, summary: lines, passes: bench.passes };
    } catch (error) {
      throw new Error(`${error instanceof Error ? error.message : String(error)}\n${sidecar.describe()}`);
    } finally {
      await sidecar.stop();
    }
  } finally {
    await neo4j?.dispose();
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (!fs.existsSync(path.join(repoRoot, 'dist/sidecar.js'))) throw new Error('dist/sidecar.js is missing: run npm run build first');
  let captures: Record<OtlpFormat, CapturedRequest[]> | undefined;
  let ceilingTemplate: { traceId: string; body: string } | undefined;
  if (options.only !== 'bundles') {
    process.stdout.write(
      `capturing ${options.repeats + 1} exports of a ${spansPerTrace.toLocaleString('en')}-span trace per format from the real exporters…\n`,
    );
    // Same traces for every store: each store has its own sidecar and data dir.
    captures = {} as Record<OtlpFormat, CapturedRequest[]>;
    for (const format of otlpFormats) captures[format] = await captureExports(format, options.repeats + 1);
    const source = captures.protobuf[0] as CapturedRequest;
    const records = mappedNodeRecords(source.body, maxFieldBytes);
    if (records.length !== spansPerTrace) throw new Error(`the mapping made ${records.length} records, expected ${spansPerTrace}`);
    ceilingTemplate = { traceId: source.traceId, body: JSON.stringify({ nodes: records }) };
    for (const format of otlpFormats) {
      const first = captures[format][0] as CapturedRequest;
      process.stdout.write(
        `  ${format}: ${(first.body.length / MiB).toFixed(2)} MiB, ${first.contentType}${first.contentEncoding ? ` + ${first.contentEncoding}` : ''}\n`,
      );
    }
  }

  const results = [];
  for (const kind of options.stores) results.push(await benchStore(kind, options, captures, ceilingTemplate));

  const git = gitCommit();
  const result = {
    bench: 'interop',
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
    commit: git.commit,
    uncommittedSidecarChanges: git.dirty,
    config: {
      repeats: options.repeats,
      warmUps: 1,
      spansPerTrace,
      bundleNodes,
      requestBytes: captures
        ? Object.fromEntries(otlpFormats.map((f) => [f, (captures as Record<OtlpFormat, CapturedRequest[]>)[f][0]?.body.length]))
        : undefined,
      ceilingRequestBytes: ceilingTemplate ? Buffer.byteLength(ceilingTemplate.body) : undefined,
      sidecarEnv: { RUNTRAIL_LOG_LEVEL: 'warn', ...tuning() },
      noisy: 'othersPercent > 25 (CPU of processes other than the sidecar and Neo4j, % of one core)',
    },
    stores: results,
  };
  fs.mkdirSync(path.dirname(options.out), { recursive: true });
  fs.writeFileSync(options.out, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`\n${table(results)}\n\nwrote ${path.relative(process.cwd(), options.out)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`interop bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
