/**
 * Live-update latency benchmark (bench/README.md "Live updates"): how long after a
 * `POST /api/runs/:runId/nodes` is acknowledged the node arrives on an SSE client of
 * `GET /api/events?runId=`, at a steady 1,000 nodes/s, through the Redis Streams relay and the
 * in-process relay; and, as the ceiling, the same rate written with XADD and read back with
 * XREAD BLOCK through the raw driver (ioredis), on the same Redis, in the same run.
 *
 *   npm run bench:live                               # builds the sidecar, then runs this (~2.5 min)
 *   npx tsx bench/live/liveBench.ts [--quick] [--rate 1000] [--seconds 10] [--watchers 1] [--out <file>]
 *
 * Each relay gets a built sidecar (dist/sidecar.js) on the embedded store (the store is not what
 * is measured; its commit precedes the acknowledgement either way) and a fresh data dir. The
 * sender is open loop: every 5 ms it posts the nodes that are due (one node per request, so
 * each acknowledgement is one node's), independently of how fast answers come back. Passes
 * alternate between the relays and repeat; medians of the per-pass percentiles are reported.
 * Writes bench/results/live.json (--quick: live-quick.tmp.json, ignored by git).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Redis } from 'ioredis';
import { RedisTestServer } from '../../test/fixtures/services/redisServer';
import { type BenchSidecar, startBenchSidecar } from '../ingest/benchSidecar';
import { CpuMeter } from '../ingest/cpuMeter';
import { type LatencySummary, summarise } from './latency';
import { TimedSseClient } from './timedSseClient';

const repoRoot = path.resolve(__dirname, '../..');
const tickMs = 5;

interface LiveOptions {
  quick: boolean;
  rate: number;
  seconds: number;
  watchers: number;
  repeats: number;
  out: string;
}

type PathKind = 'redis' | 'memory' | 'redis-direct';

interface PassResult {
  path: PathKind;
  repeat: number;
  sent: number;
  /** Acknowledged but never seen by a watcher within the grace period. */
  missing: number;
  /** Errors answered to POSTs (should be 0). */
  failedPosts: number;
  /** Acknowledgement → SSE receipt (for redis-direct: XADD reply → XREAD receipt), ms. */
  ackToReceipt: LatencySummary;
  /** Request sent → SSE receipt, ms. */
  sendToReceipt: LatencySummary;
  /** Request sent → acknowledgement, ms. */
  ack: LatencySummary;
  /** Achieved rate of sends, nodes/s. */
  achievedRate: number;
  cpu: Record<string, number | null>;
  othersPercent: number | null;
}

function parseOptions(argv: string[]): LiveOptions {
  const value = (flag: string) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);
  const quick = argv.includes('--quick');
  const number = (flag: string, fallback: number) => {
    const raw = value(flag);
    const parsed = raw === undefined ? fallback : Number(raw);
    if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`${flag} needs a positive number, got ${raw}`);
    return parsed;
  };
  return {
    quick,
    rate: number('--rate', 1_000),
    seconds: number('--seconds', quick ? 3 : 10),
    watchers: number('--watchers', 1),
    repeats: quick ? 1 : 3,
    out: value('--out') ?? path.join(repoRoot, 'bench/results', quick ? 'live-quick.tmp.json' : 'live.json'),
  };
}

/** Sends `rate` nodes/s for `seconds` (open loop), calling `send(i)` for each node when it is due. */
async function openLoop(rate: number, seconds: number, send: (i: number) => void): Promise<{ sent: number; elapsedMs: number }> {
  const total = Math.round(rate * seconds);
  const started = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
    while (sent < due) send(sent++);
    await new Promise((resolve) => setTimeout(resolve, tickMs));
  }
  return { sent, elapsedMs: performance.now() - started };
}

async function sidecarPass(
  kind: 'redis' | 'memory',
  sidecar: BenchSidecar,
  options: LiveOptions,
  repeat: number,
  seconds: number,
): Promise<PassResult> {
  const runId = `live-${kind}-${repeat}-${Date.now()}`;
  const created = await sidecar.api.request('POST', '/api/runs', JSON.stringify({ id: runId, workflow: 'bench-live' }));
  if (created.status !== 201) throw new Error(`POST /api/runs: ${created.status} ${created.body}\n${sidecar.describe()}`);
  const watchers = await Promise.all(
    Array.from({ length: options.watchers }, () => TimedSseClient.open(`${sidecar.url}/api/events?runId=${runId}`, sidecar.token)),
  );
  const sentAt = new Float64Array(Math.round(options.rate * seconds));
  const ackAt = new Float64Array(sentAt.length).fill(Number.NaN);
  let failedPosts = 0;
  const pending: Promise<void>[] = [];
  const payload = { prompt: 'x'.repeat(120), n: 0 };
  const cpu = new CpuMeter([{ name: 'sidecar', pid: sidecar.pid, mainThread: true }]).start();
  const { sent, elapsedMs } = await openLoop(options.rate, seconds, (i) => {
    const body = JSON.stringify({
      nodes: [{ id: `${runId}.${i}`, kind: 'llm', name: `n${i}`, status: 'ok', input: { ...payload, n: i } }],
    });
    sentAt[i] = performance.now();
    pending.push(
      sidecar.api.request('POST', `/api/runs/${runId}/nodes`, body).then(
        (res) => {
          if (res.status === 200) ackAt[i] = performance.now();
          else failedPosts++;
        },
        () => {
          failedPosts++;
        },
      ),
    );
  });
  await Promise.all(pending);
  const shares = cpu();
  const expected = (i: number) => `${runId}.${i}`;
  await Promise.all(watchers.map((w) => w.until((seen) => seen.size >= sent - failedPosts, 5_000)));
  for (const w of watchers) w.close();

  const ackToReceipt: number[] = [];
  const sendToReceipt: number[] = [];
  const ackLatency: number[] = [];
  let missing = 0;
  for (let i = 0; i < sent; i++) {
    const ack = ackAt[i] as number;
    if (Number.isNaN(ack)) continue;
    ackLatency.push(ack - (sentAt[i] as number));
    for (const watcher of watchers) {
      const receivedAt = watcher.receivedAt.get(expected(i));
      if (receivedAt === undefined) {
        missing++;
        continue;
      }
      // The relay may deliver before the HTTP answer reaches the client: that is no delay at all.
      ackToReceipt.push(Math.max(0, receivedAt - ack));
      sendToReceipt.push(receivedAt - (sentAt[i] as number));
    }
  }
  return {
    path: kind,
    repeat,
    sent,
    missing,
    failedPosts,
    ackToReceipt: summarise(ackToReceipt),
    sendToReceipt: summarise(sendToReceipt),
    ack: summarise(ackLatency),
    achievedRate: Math.round((sent / elapsedMs) * 1000),
    cpu: shares.processes,
    othersPercent: shares.othersPercent,
  };
}

/** The ceiling: XADD on one connection, XREAD BLOCK on another, same rate, same Redis. */
async function redisDirectPass(url: string, options: LiveOptions, repeat: number, seconds: number): Promise<PassResult> {
  const key = `runtrail-bench-live:${repeat}:${Date.now()}`;
  const writer = new Redis(url);
  const reader = new Redis(url);
  const receivedAt = new Map<string, number>();
  let reading = true;
  const readLoop = (async () => {
    let cursor = '0-0';
    while (reading) {
      const reply = (await reader.xread('COUNT', 1_000, 'BLOCK', 200, 'STREAMS', key, cursor)) as [string, [string, string[]][]][] | null;
      const now = performance.now();
      for (const [, entries] of reply ?? []) {
        for (const [id, fields] of entries) {
          cursor = id;
          receivedAt.set(fields[1] as string, now);
        }
      }
    }
  })();
  const sentAt = new Float64Array(Math.round(options.rate * seconds));
  const ackAt = new Float64Array(sentAt.length).fill(Number.NaN);
  const pending: Promise<void>[] = [];
  const payload = JSON.stringify({ prompt: 'x'.repeat(120) });
  const { sent, elapsedMs } = await openLoop(options.rate, seconds, (i) => {
    sentAt[i] = performance.now();
    pending.push(
      writer.xadd(key, 'MAXLEN', '~', 100_000, '*', 'id', String(i), 'data', payload).then(() => {
        ackAt[i] = performance.now();
      }),
    );
  });
  await Promise.all(pending);
  const deadline = Date.now() + 5_000;
  while (receivedAt.size < sent && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  reading = false;
  await readLoop;
  await writer.del(key);
  writer.disconnect();
  reader.disconnect();
  const ackToReceipt: number[] = [];
  const sendToReceipt: number[] = [];
  const ack: number[] = [];
  for (let i = 0; i < sent; i++) {
    const got = receivedAt.get(String(i));
    ack.push((ackAt[i] as number) - (sentAt[i] as number));
    if (got === undefined) continue;
    ackToReceipt.push(Math.max(0, got - (ackAt[i] as number)));
    sendToReceipt.push(got - (sentAt[i] as number));
  }
  return {
    path: 'redis-direct',
    repeat,
    sent,
    missing: sent - receivedAt.size,
    failedPosts: 0,
    ackToReceipt: summarise(ackToReceipt),
    sendToReceipt: summarise(sendToReceipt),
    ack: summarise(ack),
    achievedRate: Math.round((sent / elapsedMs) * 1000),
    cpu: {},
    othersPercent: null,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (!fs.existsSync(path.join(repoRoot, 'dist/sidecar.js'))) throw new Error('dist/sidecar.js is missing: run npm run build first');
  const redisServer = process.env.REDIS_URL ? undefined : await RedisTestServer.create();
  await redisServer?.start();
  const redisUrl = process.env.REDIS_URL ?? (redisServer as RedisTestServer).url;
  const sidecars: Record<'redis' | 'memory', BenchSidecar> = {
    redis: await startBenchSidecar({ REDIS_URL: redisUrl }, 64),
    memory: await startBenchSidecar({}, 64),
  };
  const passes: PassResult[] = [];
  try {
    // Warm-up: JIT, sockets, Redis scripts; not recorded.
    for (const kind of ['redis', 'memory'] as const) await sidecarPass(kind, sidecars[kind], options, -1, Math.min(2, options.seconds));
    await redisDirectPass(redisUrl, options, -1, 1);
    for (let repeat = 0; repeat < options.repeats; repeat++) {
      for (const kind of ['redis', 'memory'] as const) {
        const pass = await sidecarPass(kind, sidecars[kind], options, repeat, options.seconds);
        passes.push(pass);
        console.log(line(pass));
      }
      const direct = await redisDirectPass(redisUrl, options, repeat, options.seconds);
      passes.push(direct);
      console.log(line(direct));
    }
  } finally {
    await Promise.all(Object.values(sidecars).map((s) => s.stop()));
    await redisServer?.dispose();
  }

  const summary = Object.fromEntries(
    (['redis', 'memory', 'redis-direct'] as const).map((kind) => {
      const of = passes.filter((p) => p.path === kind);
      return [
        kind,
        {
          p50: round2(median(of.map((p) => p.ackToReceipt.p50))),
          p99: round2(median(of.map((p) => p.ackToReceipt.p99))),
          max: round2(Math.max(...of.map((p) => p.ackToReceipt.max))),
          sendToReceiptP99: round2(median(of.map((p) => p.sendToReceipt.p99))),
          ackP99: round2(median(of.map((p) => p.ack.p99))),
          missing: of.reduce((sum, p) => sum + p.missing, 0),
          achievedRate: median(of.map((p) => p.achievedRate)),
        },
      ];
    }),
  ) as unknown as Record<PathKind, { p50: number; p99: number }>;
  const target = { metric: 'ack → SSE receipt p99 through Redis at 1,000 nodes/s', targetMs: 25, measuredMs: summary.redis.p99 };
  console.log('\nmedian of passes (ms)  p50 / p99 ack→receipt');
  for (const [kind, s] of Object.entries(summary)) console.log(`  ${kind.padEnd(14)} ${JSON.stringify(s)}`);
  console.log(`target: p99 ≤ 25 ms through Redis: ${summary.redis.p99} ms → ${summary.redis.p99 <= 25 ? 'met' : 'missed'}`);

  const result = {
    bench: 'live',
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
    commit: gitCommit(),
    redisVersion: redisVersion(),
    options,
    summary,
    target: { ...target, met: summary.redis.p99 <= 25 },
    passes,
  };
  fs.mkdirSync(path.dirname(options.out), { recursive: true });
  fs.writeFileSync(options.out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${path.relative(repoRoot, options.out)}`);
}

function line(p: PassResult): string {
  const f = (s: LatencySummary) => `${s.p50.toFixed(2)}/${s.p99.toFixed(2)}`;
  return (
    `${p.path.padEnd(13)} #${p.repeat} sent ${p.sent} @${p.achievedRate}/s missing ${p.missing} failed ${p.failedPosts} ` +
    `ack→rcpt p50/p99 ${f(p.ackToReceipt)} ms, send→rcpt ${f(p.sendToReceipt)}, ack ${f(p.ack)}; ` +
    `cpu ${JSON.stringify(p.cpu)} others ${p.othersPercent ?? '-'}%`
  );
}

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

function redisVersion(): string | null {
  try {
    return execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
