/** Percentiles of measured values. */

/** Nearest-rank percentile of values (need not be sorted); undefined when there are none. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export interface Percentiles {
  readonly p50?: number;
  readonly p90?: number;
  readonly p99?: number;
}

export function percentiles(values: readonly number[]): Percentiles {
  return { p50: percentile(values, 50), p90: percentile(values, 90), p99: percentile(values, 99) };
}

/** A millisecond value for a table: one decimal below 100 ms, whole above, `-` when missing. */
export function formatMs(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return "-";
  return Math.abs(value) < 100 ? value.toFixed(1) : Math.round(value).toString();
}

/** `p50 35 ms, p90 41 ms, p99 80 ms`. */
export function formatPercentiles(p: Percentiles): string {
  return `p50 ${formatMs(p.p50)} ms, p90 ${formatMs(p.p90)} ms, p99 ${formatMs(p.p99)} ms`;
}
