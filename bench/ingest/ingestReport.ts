import { type Measured, noisyOthersPercent, type ScenarioResult } from './ingestScenarios';
import type { CpuMsPerRead, TreeReadResult } from './treeRead';

/** The issue's targets for this 2-core machine, each checked against what was measured. */
export interface TargetCheck {
  target: string;
  measured: string;
  /** null when the scenarios it needs were not run (e.g. --store sqlite). */
  met: boolean | null;
}

const find = (results: readonly ScenarioResult[], store: string, batch: number, clients: number) =>
  results.find((r) => r.store === store && r.batch === batch && r.clients === clients);

const pct = (x: number) => `${Math.round(x * 100)}%`;
const int = (x: number) => Math.round(x).toLocaleString('en');
const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

export function checkTargets(results: readonly ScenarioResult[], trees: readonly TreeReadResult[]): TargetCheck[] {
  const checks: TargetCheck[] = [];

  const ratios = [1, 16].flatMap((c) => {
    const r = find(results, 'neo4j', 100, c);
    return r ? [{ clients: c, ratio: r.ratio }] : [];
  });
  checks.push({
    target: 'HTTP ingest into Neo4j ≥ 70% of the direct-driver rate, batches of 100',
    measured: ratios.map((r) => `${pct(r.ratio)} (${r.clients} client${r.clients > 1 ? 's' : ''})`).join(', ') || 'not run',
    met: ratios.length === 0 ? null : ratios.every((r) => r.ratio >= 0.7),
  });

  const rates = [1, 16].flatMap((c) => {
    const r = find(results, 'neo4j', 100, c);
    return r ? [{ clients: c, rate: r.http.median.nodesPerSecond }] : [];
  });
  const best = rates.reduce<(typeof rates)[number] | undefined>((a, b) => (a === undefined || b.rate > a.rate ? b : a), undefined);
  checks.push({
    target: '≥ 20,000 nodes/s into Neo4j, batches of 100',
    measured: best ? `${int(best.rate)} nodes/s (${best.clients} client${best.clients > 1 ? 's' : ''})` : 'not run',
    met: best === undefined ? null : best.rate >= 20_000,
  });

  const singles = ['neo4j', 'sqlite'].flatMap((store) => {
    const r = find(results, store, 1, 16);
    return r ? [{ store, p99: r.http.median.latencyMs.p99 }] : [];
  });
  checks.push({
    target: 'p99 acknowledgement of a single-node request ≤ 10 ms, 16 clients',
    measured: singles.map((s) => `${s.store} ${ms(s.p99)} ms`).join(', ') || 'not run',
    met: singles.length === 0 ? null : singles.every((s) => s.p99 <= 10),
  });

  checks.push({
    target: 'whole tree of a 10,000-node run read in ≤ 150 ms (p50 of GET …/tree)',
    measured: trees.map((t) => `${t.store} ${ms(t.http.p50)} ms (p95 ${ms(t.http.p95)})`).join(', ') || 'not run',
    met: trees.length === 0 ? null : trees.every((t) => t.nodes >= 10_000 && t.http.p50 <= 150),
  });
  return checks;
}

// ---- stdout ----------------------------------------------------------------------------------

const pad = (text: string, width: number) => text.padStart(width);

/** Processes outside the bench used more than a quarter core during the HTTP or direct passes. */
export const noisy = (r: ScenarioResult) => [r.http, r.direct].some((m) => (m.cpu.othersPercent ?? 0) > noisyOthersPercent);
const scenarioKey = (r: ScenarioResult) => `${r.store.padEnd(6)} ${pad(String(r.batch), 5)} ${pad(String(r.clients), 3)} │`;
const keyHeader = 'store  batch  cl │';

export const throughputHeader = `${keyHeader} HTTP nodes/s   req/s  p50 ms  p95 ms  p99 ms  max ms │ direct nodes/s  p50 ms  p99 ms │ HTTP/direct`;

/** Throughput and latency: HTTP against the direct ceiling. */
export function throughputLine(r: ScenarioResult): string {
  const h = r.http.median;
  const d = r.direct.median;
  return [
    scenarioKey(r),
    `${pad(int(h.nodesPerSecond), 12)} ${pad(int(h.requestsPerSecond), 7)} ${pad(ms(h.latencyMs.p50), 7)} ${pad(ms(h.latencyMs.p95), 7)}`,
    `${pad(ms(h.latencyMs.p99), 7)} ${pad(ms(h.latencyMs.max), 7)} │`,
    `${pad(int(d.nodesPerSecond), 13)}${r.directFromOneClient ? '*' : ' '} ${pad(ms(d.latencyMs.p50), 7)} ${pad(ms(d.latencyMs.p99), 7)} │`,
    pad(pct(r.ratio), 11),
    ...(noisy(r) ? [' ! others busy'] : []),
  ].join(' ');
}

export const costHeader =
  `${keyHeader} commits/s  recs/commit  commit ms  writer busy │ CPU % sidecar (main)  neo4j  bench  others  machine │` +
  ' CPU µs/node sidecar  neo4j │ direct: CPU % neo4j  bench, µs/node neo4j  bench';

const cpuPercent = (m: Measured, name: string): number | null => m.cpu.processes[name] ?? null;
const show = (value: number | null, digits = 0) => (value === null ? '–' : value.toFixed(digits));
/** CPU time a process spent per node acknowledged, in microseconds. */
export const cpuMicrosPerNode = (m: Measured, name: string): number | null => {
  const percent = cpuPercent(m, name);
  return percent === null || m.median.nodesPerSecond === 0 ? null : (percent / 100 / m.median.nodesPerSecond) * 1e6;
};

/** Where the time went: the sidecar's group commits and the CPU of each process (medians). */
export function costLine(r: ScenarioResult): string {
  const g = r.http.groupCommit;
  const commitsPerSecond = g ? g.commits / (r.http.median.wallMs / 1000) : null;
  return [
    scenarioKey(r),
    `${pad(show(commitsPerSecond), 9)} ${pad(show(g?.meanGroupRecords ?? null), 12)} ${pad(g ? ms(g.meanCommitMs) : '–', 10)}`,
    `${pad(g ? pct(g.writerBusy) : '–', 12)} │`,
    `${pad(show(cpuPercent(r.http, 'sidecar')), 13)} ${pad(`(${show(cpuPercent(r.http, 'sidecar.main'))})`, 6)}`,
    `${pad(show(cpuPercent(r.http, 'neo4j')), 6)} ${pad(show(cpuPercent(r.http, 'bench')), 6)} ${pad(show(r.http.cpu.othersPercent), 7)}`,
    `${pad(show(r.http.cpu.machineBusyPercent), 8)} │`,
    `${pad(show(cpuMicrosPerNode(r.http, 'sidecar')), 19)} ${pad(show(cpuMicrosPerNode(r.http, 'neo4j')), 6)} │`,
    `${pad(show(cpuPercent(r.direct, 'neo4j')), 19)} ${pad(show(cpuPercent(r.direct, 'bench')), 6)}`,
    `${pad(show(cpuMicrosPerNode(r.direct, 'neo4j')), 16)} ${pad(show(cpuMicrosPerNode(r.direct, 'bench')), 6)}`,
  ].join(' ');
}

const cpuPerRead = (cpu: CpuMsPerRead) =>
  Object.entries(cpu)
    .filter(([name, value]) => value !== null && value > 0.5 && !name.endsWith('.main'))
    .map(([name, value]) => `${name} ${ms(value as number)}`)
    .join(', ');

export function treeLines(trees: readonly TreeReadResult[]): string[] {
  return trees.flatMap((t) => [
    `tree read ${t.store.padEnd(6)} ${int(t.nodes)} nodes: GET …/tree p50 ${ms(t.http.p50)} ms, p95 ${ms(t.http.p95)} ms, max ${ms(t.http.max)} ms, ` +
      `${(t.http.responseBytes / 1024 / 1024).toFixed(2)} MiB; CPU ms/read: ${cpuPerRead(t.http.cpuMsPerRead)}`,
    `                 store query p50 ${ms(t.direct.p50)} ms, p95 ${ms(t.direct.p95)} ms; CPU ms/read: ${cpuPerRead(t.direct.cpuMsPerRead)}`,
  ]);
}

export function targetLines(checks: readonly TargetCheck[]): string[] {
  return checks.map((c) => `${c.met === null ? '–' : c.met ? '✓' : '✗'} ${c.target}: ${c.measured}`);
}
