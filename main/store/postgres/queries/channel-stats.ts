import type { ChannelStats } from '../../../../shared/views';
import {
  assembleChannelStats,
  bucketsSql,
  statRanges,
  type CountsRow,
  type LatencyRow,
} from '../../../lifecycle/queries/channel-stats';
import { STUCK_ROW_SQL, STUCK_TURN_SQL, stuckParams } from '../../../lifecycle/rules';
import { read, type PgCore, type Tx } from '../context';
import { Params } from '../params';
import { bindNamed } from './page';

// The per-channel numbers as SQLite reads them (main/lifecycle/queries/channel-stats.ts), out of
// schema 4's buckets summed over their shards; stuck per channel over the open turns and
// pending rows, by the same rule.

async function named<R>(t: Tx, sql: string, values: Record<string, unknown>): Promise<R[]> {
  const params = new Params();
  const bound = bindNamed(params, sql, values);
  return t.all<R>(bound, params.values);
}

const COUNTS_SQL = `SELECT channel, sum(accepted) AS accepted, sum(delivered) AS delivered, sum(failed) AS failed,
    sum(aborted) AS aborted
  FROM (${bucketsSql('lifecycle_channel_stats', 'channel, accepted, delivered, failed, aborted', (n) => `@${n}`)}) b
  GROUP BY channel`;

const LATENCY_SQL = `SELECT channel, lo, sum(n) AS n
  FROM (${bucketsSql('lifecycle_channel_latency', 'channel, lo, n', (n) => `@${n}`)}) b
  GROUP BY channel, lo ORDER BY channel COLLATE "C", lo`;

const STUCK_TURNS_SQL = `SELECT channel, count(*) AS n FROM message_turns WHERE ${STUCK_TURN_SQL} GROUP BY channel`;
const STUCK_ROWS_SQL = `SELECT channel, count(*) AS n FROM message_outbox WHERE ${STUCK_ROW_SQL} GROUP BY channel`;

export function channelStats(core: PgCore, since: number, until: number): Promise<ChannelStats> {
  return read(core, async (t) => {
    const ranges = statRanges(since, until);
    const stuck = stuckParams(t.now, core.stuck);
    const stuckTurns = await named<{ channel: string; n: number }>(t, STUCK_TURNS_SQL, stuck);
    const stuckOutbox = await named<{ channel: string; n: number }>(t, STUCK_ROWS_SQL, stuck);
    // A database still at an older schema (read-only, other nodes older): stuck counts only.
    const has = await t.one<{ n: number }>(
      "SELECT count(*) AS n FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = 'lifecycle_channel_stats'",
    );
    if (Number(has?.n ?? 0) === 0) {
      const fill = { state: 'unavailable', counted: 0, total: 0 } as const;
      return assembleChannelStats(since, until, ranges, fill, [], [], stuckTurns, stuckOutbox);
    }
    const counts = await named<CountsRow>(t, COUNTS_SQL, ranges.params);
    const latency = await named<LatencyRow>(t, LATENCY_SQL, ranges.params);
    const fill = { state: 'ready', counted: 0, total: 0 } as const;
    return assembleChannelStats(since, until, ranges, fill, counts, latency, stuckTurns, stuckOutbox);
  });
}
