/** Percentiles of one pass's latencies, in milliseconds (nearest-rank). */
export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export function summarise(values: readonly number[]): LatencySummary {
  if (values.length === 0) return { count: 0, p50: Number.NaN, p90: Number.NaN, p99: Number.NaN, max: Number.NaN };
  const sorted = Float64Array.from(values).sort();
  const at = (q: number) => round3(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number);
  return { count: sorted.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: round3(sorted[sorted.length - 1] as number) };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
