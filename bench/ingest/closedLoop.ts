/**
 * Closed-loop load: each client sends its next batch as soon as the previous one is acknowledged,
 * until a deadline. A scenario is bounded by time rather than by a count, so a slow one (1-record
 * requests, or 1,000-record batches into a slow store) scales its count down by itself and every
 * scenario takes about the same wall time.
 */

/** Sends one prepared batch; resolves with the number of records acknowledged. */
export type SendBatch = () => Promise<number>;

/**
 * Builds a client's next batch (not timed: generating records is the SDK's cost, not the
 * store's) and returns the send, which is timed.
 */
export type NextBatch = () => SendBatch;

export interface LatencySummary {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface LoadResult {
  records: number;
  requests: number;
  wallMs: number;
  nodesPerSecond: number;
  requestsPerSecond: number;
  latencyMs: LatencySummary;
}

export async function closedLoop(clients: readonly NextBatch[], durationMs: number): Promise<LoadResult> {
  const latencies: number[] = [];
  let records = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  let lastYield = started;
  const client = async (next: NextBatch) => {
    while (performance.now() < deadline) {
      // A synchronous writer (SQLite) never leaves the microtask queue: let the event loop run
      // every 10 ms, or the sockets the sidecar closes meanwhile look alive to the HTTP agent.
      if (performance.now() - lastYield > 10) {
        await new Promise((resolve) => setImmediate(resolve));
        lastYield = performance.now();
      }
      const send = next();
      const sent = performance.now();
      // Not `records += await send()`: that reads `records` before the await and loses the
      // other clients' additions made meanwhile.
      const acknowledged = await send();
      latencies.push(performance.now() - sent);
      records += acknowledged;
    }
  };
  await Promise.all(clients.map(client));
  const wallMs = performance.now() - started;
  return {
    records,
    requests: latencies.length,
    wallMs,
    nodesPerSecond: (records * 1000) / wallMs,
    requestsPerSecond: (latencies.length * 1000) / wallMs,
    latencyMs: summarize(latencies),
  };
}

/** Nearest-rank percentiles. */
export function summarize(samples: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: at(1) };
}

export function median(values: readonly number[]): number {
  const sorted = Float64Array.from(values).sort();
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** The median of each field across repeats (a scenario's reported figures). */
export function medianResult(repeats: readonly LoadResult[]): LoadResult {
  const of = (pick: (r: LoadResult) => number) => median(repeats.map(pick));
  return {
    records: of((r) => r.records),
    requests: of((r) => r.requests),
    wallMs: of((r) => r.wallMs),
    nodesPerSecond: of((r) => r.nodesPerSecond),
    requestsPerSecond: of((r) => r.requestsPerSecond),
    latencyMs: {
      p50: of((r) => r.latencyMs.p50),
      p95: of((r) => r.latencyMs.p95),
      p99: of((r) => r.latencyMs.p99),
      max: of((r) => r.latencyMs.max),
    },
  };
}
