import { performance } from 'node:perf_hooks';

// Small helpers shared by the benchmarks: timing, percentiles, table printing.

export interface Latency {
  median: number;
  p95: number;
  p99: number;
  min: number;
  max: number;
  runs: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/** Median, p95, p99, min and max of `times` (ms each; sorted in place). */
function latencyOf(times: number[]): Latency {
  times.sort((a, b) => a - b);
  return {
    median: percentile(times, 50),
    p95: percentile(times, 95),
    p99: percentile(times, 99),
    min: times[0]!,
    max: times.at(-1)!,
    runs: times.length,
  };
}

/**
 * Times `fn`, one call at a time: `warmup` unmeasured runs, then `runs` measured ones (ms each).
 * A slow call gets fewer: the warm-up ends (after one run) once it took a quarter of `budgetMs`,
 * the measured runs (never fewer than `minRuns`) once they took `budgetMs`.
 */
export async function measure(
  fn: () => Promise<unknown>,
  { runs = 50, warmup = 5, budgetMs = Infinity, minRuns = 10 }: MeasureOptions = {},
): Promise<Latency> {
  let spent = 0;
  for (let i = 0; i < warmup && (i === 0 || spent < budgetMs / 4); i++) {
    const t0 = performance.now();
    await fn();
    spent += performance.now() - t0;
  }
  const times: number[] = [];
  spent = 0;
  for (let i = 0; i < runs && (i < minRuns || spent < budgetMs); i++) {
    const t0 = performance.now();
    await fn();
    const t = performance.now() - t0;
    times.push(t);
    spent += t;
  }
  return latencyOf(times);
}

export interface MeasureOptions {
  runs?: number;
  warmup?: number;
  /** Stop measuring once this many ms were spent (after `minRuns`). */
  budgetMs?: number;
  minRuns?: number;
}

export function ms(n: number): string {
  if (!Number.isFinite(n)) return '-';
  if (n < 1) return `${n.toFixed(3)} ms`;
  if (n < 100) return `${n.toFixed(2)} ms`;
  return `${n.toFixed(0)} ms`;
}

export function int(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function ratio(n: number): string {
  return Number.isFinite(n) ? `${n.toFixed(2)}×` : '-';
}

/** A fixed-width text table; numbers (anything starting with a digit or '-') are right-aligned. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = header.map((_, i) => rows.every((r) => /^[-\d.,<>~]/.test(r[i] ?? '-')));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (numeric[i] && i > 0 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function heading(title: string): void {
  console.log(`\n== ${title} ${'='.repeat(Math.max(0, 74 - title.length))}`);
}

/**
 * A bench setting from the environment (`_` allowed as a digit separator): a positive integer,
 * or with `{ zero: true }` a non-negative one; `fallback` when unset.
 */
export function envInt(name: string, fallback: number, options: { zero?: boolean } = {}): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v.replace(/_/g, ''));
  const min = options.zero ? 0 : 1;
  if (!Number.isSafeInteger(n) || n < min)
    throw new Error(`${name} must be a ${options.zero ? 'non-negative' : 'positive'} integer, got ${v}`);
  return n;
}
