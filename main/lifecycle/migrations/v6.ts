import { TURN_TERMINAL_STATUSES } from '../../../shared/types';
import { sqlList } from '../context';
import type { Migration } from './types';

// Issue 12's numbers per channel: accepted, delivered, failed, aborted and the accept → delivered
// latency, kept by triggers on message_turns so that a gateway's plain SQL is counted and a
// range costs a few hundred key-ordered rows whatever the file's size. They are history:
// pruning a turn does not take it out of them.

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;
/**
 * Each event is counted in a minute, an hour and a day bucket (UTC days): a range reads its
 * whole days from the day buckets, the whole hours around them from the hour buckets and its
 * edges from the minute ones (queries/channel-stats.ts), so a 7-day range reads fewer than 200
 * buckets per channel and a range of any length is exact to the minute.
 */
export const STAT_SPANS = [MINUTE, HOUR, DAY] as const;

/** Bins per doubling of the latency: a bin spans at most 2^(1/8) ≈ 9.05 % of its lower bound. */
export const BINS_PER_DOUBLING = 8;
/** Latencies up to 2^42 ms (139 years) get bins of their own; anything longer is in the last. */
const DOUBLINGS = 42;

/**
 * The lower bounds (ms) of the latency bins: 0, then ceil(2^(k/8)) without repeats, so that
 * below ~12 ms each millisecond is a bin of its own. A latency is in the bin of the largest
 * bound not above it. The bounds are a table in the file (lifecycle_latency_bins), so that a
 * trigger finds a bin with one key lookup, without SQLite's optional math functions (a
 * gateway's SQLite may lack them), and PostgreSQL bins the same way.
 */
export const LATENCY_BINS: readonly number[] = (() => {
  const out = [0];
  for (let k = 0; k <= BINS_PER_DOUBLING * DOUBLINGS; k++) {
    const lo = Math.ceil(2 ** (k / BINS_PER_DOUBLING));
    if (lo > out[out.length - 1]!) out.push(lo);
  }
  return out;
})();

const TERMINAL_SQL = sqlList(TURN_TERMINAL_STATUSES);

/** The spans as rows, to cross with a turn (`s.span`). */
const SPANS_SQL = `(${STAT_SPANS.map((s, i) => (i === 0 ? `SELECT ${s} AS span` : `SELECT ${s}`)).join(' UNION ALL ')}) AS s`;

/** When a turn ended: completed_at (set on every terminal status), else its last update. */
const endedAt = (r: string): string => `coalesce(${r}.completed_at, ${r}.updated_at)`;

/** The latency bin (its lower bound) of `latency` ms; a negative latency (skewed clocks) is 0. */
const binFor = (latency: string): string =>
  `(SELECT lo FROM lifecycle_latency_bins WHERE lo <= max(0, ${latency}) ORDER BY lo DESC LIMIT 1)`;
/** The latency bin of a turn `r`. */
export const binOf = (r: string): string => binFor(`${endedAt(r)} - ${r}.accepted_at`);

const minuteOf = (t: string): string => `${t} - ${t} % ${MINUTE}`;
/** The minute aggregate `a` (its minute `m`) rolled up into every span's bucket. */
const rollUp = `FROM a, ${SPANS_SQL} WHERE 1 GROUP BY s.span, a.m - a.m % s.span, a.channel`;
const FILL_RANGE = 'rowid >= @lo AND rowid < @below';

/**
 * The fill's statements over the turns with rowid in [@lo, @below): each reads the turns once
 * into per-minute sums (binning each delivered turn once), then rolls those up into every span.
 */
export const FILL_STATEMENTS = [
  `WITH a AS MATERIALIZED (SELECT channel, ${minuteOf('accepted_at')} AS m, count(*) AS n
       FROM message_turns WHERE ${FILL_RANGE} GROUP BY 1, 2)
     INSERT INTO lifecycle_channel_stats (span, bucket_start, channel, accepted)
     SELECT s.span, a.m - a.m % s.span, a.channel, sum(a.n) ${rollUp}
     ON CONFLICT (span, bucket_start, channel) DO UPDATE SET accepted = accepted + excluded.accepted;`,
  `WITH a AS MATERIALIZED (SELECT channel, ${minuteOf('e')} AS m, sum(status = 'delivered') AS d,
         sum(status = 'failed_terminal') AS f, sum(status = 'aborted') AS x
       FROM (SELECT channel, status, ${endedAt('t')} AS e FROM message_turns AS t
             WHERE ${FILL_RANGE} AND status IN (${TERMINAL_SQL}))
       GROUP BY 1, 2)
     INSERT INTO lifecycle_channel_stats (span, bucket_start, channel, delivered, failed, aborted)
     SELECT s.span, a.m - a.m % s.span, a.channel, sum(a.d), sum(a.f), sum(a.x) ${rollUp}
     ON CONFLICT (span, bucket_start, channel) DO UPDATE SET delivered = delivered + excluded.delivered,
       failed = failed + excluded.failed, aborted = aborted + excluded.aborted;`,
  `WITH a AS MATERIALIZED (SELECT channel, ${minuteOf('e')} AS m, ${binFor('e - accepted_at')} AS lo, count(*) AS n
       FROM (SELECT channel, accepted_at, ${endedAt('t')} AS e FROM message_turns AS t
             WHERE ${FILL_RANGE} AND status = 'delivered')
       GROUP BY 1, 2, 3)
     INSERT INTO lifecycle_channel_latency (span, bucket_start, channel, lo, n)
     SELECT s.span, a.m - a.m % s.span, a.channel, a.lo, sum(a.n) FROM a, ${SPANS_SQL}
     WHERE 1 GROUP BY s.span, a.m - a.m % s.span, a.channel, a.lo
     ON CONFLICT (span, bucket_start, channel, lo) DO UPDATE SET n = n + excluded.n;`,
];

/**
 * A turn the fill has not reached yet (rowid below its mark) is counted by the fill, as it is
 * then; the triggers count only the others, so that nothing is counted twice.
 */
const FILLED = `NEW.rowid >= coalesce((SELECT below FROM lifecycle_stats_backfill WHERE one = 1), 0)`;

// The triggers' statements write one row per span from NEW directly (no grouping, no join):
// each costs every gateway write its run.
const perSpan = (row: (span: number) => string, when?: string): string =>
  when
    ? STAT_SPANS.map((span) => `SELECT ${row(span)} WHERE ${when}`).join(' UNION ALL ')
    : `VALUES ${STAT_SPANS.map((span) => `(${row(span)})`).join(', ')}`;
const bucket = (t: string, span: number): string => `${t} - ${t} % ${span}`;
const ENDED = endedAt('NEW');

const ACCEPT = `INSERT INTO lifecycle_channel_stats (span, bucket_start, channel, accepted)
      ${perSpan((span) => `${span}, ${bucket('NEW.accepted_at', span)}, NEW.channel, 1`)}
      ON CONFLICT (span, bucket_start, channel) DO UPDATE SET accepted = accepted + 1;`;
const END = `INSERT INTO lifecycle_channel_stats (span, bucket_start, channel, delivered, failed, aborted)
      ${perSpan(
        (span) =>
          `${span}, ${bucket(ENDED, span)}, NEW.channel, NEW.status = 'delivered', NEW.status = 'failed_terminal', NEW.status = 'aborted'`,
      )}
      ON CONFLICT (span, bucket_start, channel) DO UPDATE SET delivered = delivered + excluded.delivered,
        failed = failed + excluded.failed, aborted = aborted + excluded.aborted;`;
const LATENCY = `INSERT INTO lifecycle_channel_latency (span, bucket_start, channel, lo, n)
      ${perSpan((span) => `${span}, ${bucket(ENDED, span)}, NEW.channel, ${binOf('NEW')}, 1`, "NEW.status = 'delivered'")}
      ON CONFLICT (span, bucket_start, channel, lo) DO UPDATE SET n = n + 1;`;

export const STATS_TRIGGERS = `
  CREATE TRIGGER lc_turn_stats_insert AFTER INSERT ON message_turns WHEN ${FILLED} BEGIN
    ${ACCEPT}
  END;
  -- A turn inserted already ended (an import, a gateway that writes turns once done).
  CREATE TRIGGER lc_turn_stats_insert_end AFTER INSERT ON message_turns
    WHEN NEW.status IN (${TERMINAL_SQL}) AND ${FILLED} BEGIN
    ${END}
    ${LATENCY}
  END;
  CREATE TRIGGER lc_turn_stats_end AFTER UPDATE OF status ON message_turns
    WHEN NEW.status IN (${TERMINAL_SQL}) AND OLD.status NOT IN (${TERMINAL_SQL}) AND ${FILLED} BEGIN
    ${END}
    ${LATENCY}
  END;`;

/**
 * Version 6 (issue 12): the per-channel aggregates and their triggers. The turns already in the
 * file are counted afterwards, in the background (stats-backfill.ts): on a million turns the
 * count reads the whole table (seconds), and a migration holds the write lock. Until then
 * lifecycle_stats_backfill says how far it got.
 */
export const v6: Migration = (db) => {
  db.exec(`
    CREATE TABLE lifecycle_channel_stats (
      span INTEGER NOT NULL, bucket_start INTEGER NOT NULL, channel TEXT NOT NULL,
      accepted INTEGER NOT NULL DEFAULT 0, delivered INTEGER NOT NULL DEFAULT 0,
      failed INTEGER NOT NULL DEFAULT 0, aborted INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (span, bucket_start, channel)
    ) WITHOUT ROWID;
    CREATE TABLE lifecycle_channel_latency (
      span INTEGER NOT NULL, bucket_start INTEGER NOT NULL, channel TEXT NOT NULL,
      lo INTEGER NOT NULL, n INTEGER NOT NULL,
      PRIMARY KEY (span, bucket_start, channel, lo)
    ) WITHOUT ROWID;
    CREATE TABLE lifecycle_latency_bins (lo INTEGER PRIMARY KEY);
    -- One row: the turns with rowid below 'below' are left to count (0: none), done of total
    -- (the highest rowid until done, then what was counted: a count(*) here would read a million
    -- rows while the migration holds the write lock).
    CREATE TABLE lifecycle_stats_backfill (
      one INTEGER PRIMARY KEY CHECK (one = 1), below INTEGER NOT NULL, done INTEGER NOT NULL, total INTEGER NOT NULL);
    INSERT INTO lifecycle_stats_backfill (one, below, done, total)
      SELECT 1, coalesce(max(rowid) + 1, 0), 0, coalesce(max(rowid), 0) FROM message_turns;
  `);
  const bin = db.prepare('INSERT INTO lifecycle_latency_bins (lo) VALUES (?)');
  for (const lo of LATENCY_BINS) bin.run(lo);
  db.exec(STATS_TRIGGERS);
};
