// How the per-channel numbers read, the same in the CLI and the dashboard.

/** A latency: "340 ms", "1.2 s", "45 s", "3.5 min", "2.1 h". */
export function formatLatency(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${(ms / 1_000).toFixed(1)} s`;
  if (ms < 60_000) return `${Math.round(ms / 1_000)} s`;
  if (ms < 3_600_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

/** A failure rate: "—" when nothing ended, "0 %", "0.4 %", "12 %". */
export function formatRate(rate: number | null): string {
  if (rate === null) return '—';
  const pct = rate * 100;
  if (pct === 0 || pct >= 10) return `${Math.round(pct)} %`;
  return `${pct.toFixed(1)} %`;
}

/** What the latency columns' tooltip and the CLI's note say of their precision. */
export function latencyPrecisionText(precision: number): string {
  return `Accept → delivered, over the turns delivered in the range. Percentiles come from log-scale bins: within ±${(precision * 100).toFixed(1)} % (exact below 12 ms).`;
}
