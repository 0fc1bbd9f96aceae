import type { StuckThresholds } from '../../../shared/stuck';
import type { ChannelStat, ChannelStats, StatsFillState } from '../../../shared/views';
import { SERIES_WINDOWS, type SeriesWindow } from '../../../shared/api-values';
import type { Core } from '../context';
import { LifecycleError } from '../errors';
import { DAY, HOUR, LATENCY_BINS, MINUTE } from '../migrations/v6';
import { STUCK_ROW_SQL, STUCK_TURN_SQL, stuckParams } from '../rules';
import { hasChannelStats, statsFillState } from '../stats-backfill';

// Per-channel numbers over a range from the trigger-kept buckets of migration 6: whole days,
// then whole hours, then the edges' minutes (statRanges), so a 7-day range reads fewer than 200
// buckets per channel (and a latency bin per bucket that saw deliveries). The pure parts (the range's
// buckets, the percentiles, the assembly) are shared with PostgreSQL (postgres/queries/channel-stats.ts).

/** The longest range getChannelStats answers (the buckets are kept for ever; the cap bounds a read). */
export const MAX_STATS_RANGE_MS = 90 * 86_400_000;

/**
 * The range of a getChannelStats call: `window` (default 24 h) ends at `until` or now; `since`
 * and `until` choose another. Refused (invalid_argument) unless since < until and the range is
 * at most 90 days, or when both a window and a since are given.
 */
export function statsRange(
  args: { window?: SeriesWindow | undefined; since?: number | undefined; until?: number | undefined },
  now: number,
): { since: number; until: number } {
  if (args.window !== undefined && args.since !== undefined) {
    throw new LifecycleError('invalid_argument', 'give either a window or a since, not both');
  }
  const until = args.until ?? now;
  const since = args.since ?? until - SERIES_WINDOWS[args.window ?? '24h'];
  if (since >= until) {
    throw new LifecycleError('invalid_argument', `since (${since}) must be before until (${until})`);
  }
  if (until - since > MAX_STATS_RANGE_MS) {
    throw new LifecycleError(
      'invalid_argument',
      `a range of at most 90 days, not ${Math.ceil((until - since) / 86_400_000)}`,
    );
  }
  return { since, until };
}

const ceilTo = (t: number, span: number): number => Math.ceil(t / span) * span;
const floorTo = (t: number, span: number): number => Math.floor(t / span) * span;

/** The bucket ranges [from, to) a range reads: one of days, two of hours, two of minutes; an empty one has from = to. */
export interface StatRanges {
  countedSince: number;
  countedUntil: number;
  params: Record<'D' | 'H' | 'M' | 'd0' | 'd1' | 'h0' | 'h1' | 'h2' | 'h3' | 'm0' | 'm1' | 'm2' | 'm3', number>;
}

/**
 * An event counts when the minute it happened in starts within [since, until): both ends
 * rounded up to a minute. The whole days inside come from the day buckets, the whole hours
 * around them from the hour buckets, the minutes at the edges from the minute buckets: a
 * 7-day range reads ~7 + 46 + 118 buckets per channel at most.
 */
export function statRanges(since: number, until: number): StatRanges {
  const s = ceilTo(since, MINUTE);
  const u = Math.max(s, ceilTo(until, MINUTE));
  const found: Record<number, [number, number][]> = { [DAY]: [], [HOUR]: [], [MINUTE]: [] };
  const cover = (a: number, b: number, spans: readonly number[]): void => {
    if (a >= b) return;
    const [span, ...smaller] = spans;
    if (smaller.length === 0) {
      found[span!]!.push([a, b]);
      return;
    }
    const c0 = ceilTo(a, span!);
    const c1 = floorTo(b, span!);
    if (c0 >= c1) return cover(a, b, smaller);
    found[span!]!.push([c0, c1]);
    cover(a, c0, smaller);
    cover(c1, b, smaller);
  };
  cover(s, u, [DAY, HOUR, MINUTE]);
  const slot = (span: number, i: number): [number, number] => found[span]![i] ?? [0, 0];
  const [d0, d1] = slot(DAY, 0);
  const [h0, h1] = slot(HOUR, 0);
  const [h2, h3] = slot(HOUR, 1);
  const [m0, m1] = slot(MINUTE, 0);
  const [m2, m3] = slot(MINUTE, 1);
  return {
    countedSince: s,
    countedUntil: u,
    params: { D: DAY, H: HOUR, M: MINUTE, d0, d1, h0, h1, h2, h3, m0, m1, m2, m3 },
  };
}

/** The rows of `table` (columns `cols`) in a range's buckets (bind StatRanges.params), SQLite and PostgreSQL alike. */
export function bucketsSql(table: string, cols: string, p: (name: string) => string): string {
  const range = (span: string, from: string, to: string): string =>
    `SELECT ${cols} FROM ${table} WHERE span = ${p(span)} AND bucket_start >= ${p(from)} AND bucket_start < ${p(to)}`;
  return [
    range('D', 'd0', 'd1'),
    range('H', 'h0', 'h1'),
    range('H', 'h2', 'h3'),
    range('M', 'm0', 'm1'),
    range('M', 'm2', 'm3'),
  ].join('\n  UNION ALL ');
}

/** Largest relative error of a percentile: half the widest bin (above the 1-ms bins) over its lower bound. */
export const LATENCY_PRECISION = (() => {
  let worst = 0;
  for (let i = 1; i < LATENCY_BINS.length - 1; i++) {
    const lo = LATENCY_BINS[i]!;
    worst = Math.max(worst, (LATENCY_BINS[i + 1]! - 1 - lo) / 2 / lo);
  }
  return Math.round(worst * 1000) / 1000;
})();

const binIndex = new Map(LATENCY_BINS.map((lo, i) => [lo, i]));

/** The middle of the integer latencies a bin holds: [lo, next bound). */
function binMiddle(lo: number): number {
  const next = LATENCY_BINS[(binIndex.get(lo) ?? LATENCY_BINS.length) + 1];
  return next === undefined ? lo : (lo + next - 1) / 2;
}

export interface LatencyBin {
  lo: number;
  n: number;
}

/** Nearest-rank percentiles (the value at rank ⌈p·count⌉) out of a channel's bins in ascending order. */
export function latencyPercentiles(bins: readonly LatencyBin[]): ChannelStat['latency'] {
  const count = bins.reduce((sum, b) => sum + b.n, 0);
  if (count === 0) return null;
  const at = (p: number): number => {
    const rank = Math.max(1, Math.ceil(p * count));
    let seen = 0;
    for (const b of bins) {
      seen += b.n;
      if (seen >= rank) return binMiddle(b.lo);
    }
    return binMiddle(bins[bins.length - 1]!.lo);
  };
  return { count, p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}

export interface CountsRow {
  channel: string;
  accepted: number;
  delivered: number;
  failed: number;
  aborted: number;
}

export interface LatencyRow extends LatencyBin {
  channel: string;
}

/** The answer out of a backend's rows (counts per channel, latency bins by channel then bin, stuck per channel). */
export function assembleChannelStats(
  since: number,
  until: number,
  ranges: StatRanges,
  fill: StatsFillState,
  counts: readonly CountsRow[],
  latency: readonly LatencyRow[],
  stuckTurns: readonly { channel: string; n: number }[],
  stuckOutbox: readonly { channel: string; n: number }[],
): ChannelStats {
  const byChannel = new Map<string, ChannelStat>();
  const get = (channel: string): ChannelStat => {
    let c = byChannel.get(channel);
    if (!c) {
      c = {
        channel,
        accepted: 0,
        delivered: 0,
        failed: 0,
        aborted: 0,
        failureRate: null,
        stuckTurns: 0,
        stuckOutbox: 0,
        latency: null,
      };
      byChannel.set(channel, c);
    }
    return c;
  };
  for (const r of counts) {
    // A channel's buckets of the range are all zero only if nothing happened: left out.
    if (r.accepted + r.delivered + r.failed + r.aborted === 0) continue;
    Object.assign(get(r.channel), {
      accepted: Number(r.accepted),
      delivered: Number(r.delivered),
      failed: Number(r.failed),
      aborted: Number(r.aborted),
    });
  }
  const bins = new Map<string, LatencyBin[]>();
  for (const r of latency) {
    let list = bins.get(r.channel);
    if (!list) bins.set(r.channel, (list = []));
    list.push({ lo: Number(r.lo), n: Number(r.n) });
  }
  for (const [channel, list] of bins) get(channel).latency = latencyPercentiles(list.sort((a, b) => a.lo - b.lo));
  for (const r of stuckTurns) get(r.channel).stuckTurns = Number(r.n);
  for (const r of stuckOutbox) get(r.channel).stuckOutbox = Number(r.n);
  for (const c of byChannel.values()) {
    const ended = c.delivered + c.failed;
    c.failureRate = ended === 0 ? null : c.failed / ended;
  }
  const channels = [...byChannel.values()].sort((a, b) => (a.channel < b.channel ? -1 : a.channel > b.channel ? 1 : 0));
  return {
    since,
    until,
    countedSince: ranges.countedSince,
    countedUntil: ranges.countedUntil,
    precision: LATENCY_PRECISION,
    fill,
    channels,
  };
}

const COUNTS_SQL = `SELECT channel, sum(accepted) AS accepted, sum(delivered) AS delivered, sum(failed) AS failed,
    sum(aborted) AS aborted
  FROM (${bucketsSql('lifecycle_channel_stats', 'channel, accepted, delivered, failed, aborted', (n) => `@${n}`)})
  GROUP BY channel`;

const LATENCY_SQL = `SELECT channel, lo, sum(n) AS n
  FROM (${bucketsSql('lifecycle_channel_latency', 'channel, lo, n', (n) => `@${n}`)})
  GROUP BY channel, lo ORDER BY channel, lo`;

// The open turns and pending rows are few (v4's partial indexes hold only them); their channel
// is read from the table for each stuck one.
const STUCK_TURNS_SQL = `SELECT channel, count(*) AS n FROM message_turns WHERE ${STUCK_TURN_SQL} GROUP BY channel`;
const STUCK_ROWS_SQL = `SELECT channel, count(*) AS n FROM message_outbox WHERE ${STUCK_ROW_SQL} GROUP BY channel`;

export function channelStats(core: Core, since: number, until: number, th: StuckThresholds): ChannelStats {
  const ranges = statRanges(since, until);
  const stuck = stuckParams(core.now(), th);
  const stuckTurns = core.stmt(STUCK_TURNS_SQL).all(stuck) as { channel: string; n: number }[];
  const stuckOutbox = core.stmt(STUCK_ROWS_SQL).all(stuck) as { channel: string; n: number }[];
  if (!hasChannelStats(core)) {
    const fill: StatsFillState = { state: 'unavailable', counted: 0, total: 0 };
    return assembleChannelStats(since, until, ranges, fill, [], [], stuckTurns, stuckOutbox);
  }
  const counts = core.stmt(COUNTS_SQL).all(ranges.params) as CountsRow[];
  const latency = core.stmt(LATENCY_SQL).all(ranges.params) as LatencyRow[];
  const fill = statsFillState(core) ?? { state: 'ready', counted: 0, total: 0 };
  return assembleChannelStats(since, until, ranges, fill, counts, latency, stuckTurns, stuckOutbox);
}
