import { TURN_TERMINAL_STATUSES } from '../../../shared/types';
import { LATENCY_BINS, STAT_SPANS } from '../../lifecycle/migrations/v6';
import { sqlList } from './context';

// Schema version 4 (issue 12): the per-channel buckets of SQLite's migration 6 (same spans, same
// latency bins, so both backends give the same answers), kept by a trigger for every writer.
// As the status counters (schema.ts), each connection adds to rows of its own shard, so that
// nodes accepting turns in the same minute never queue on one row; a read sums the shards.
// The turns already there are counted in the migration's transaction (PostgreSQL aggregates a
// million rows in about a second; a gateway's writes wait for the migration's commit).

/** Shards of the buckets: fewer than the status counters', since a 7-day latency read sums them all. */
export const STATS_SHARDS = 4;
const SHARD = `(pg_backend_pid() % ${STATS_SHARDS})`;
const TERMINAL = sqlList(TURN_TERMINAL_STATUSES);
const SPANS = `ARRAY[${STAT_SPANS.join(', ')}]::bigint[]`;

/** The latency bin (its lower bound) of `latency` ms. */
const bin = (latency: string): string =>
  `(SELECT lo FROM lifecycle_latency_bins WHERE lo <= greatest(0, ${latency}) ORDER BY lo DESC LIMIT 1)`;

const upsertCounts = `ON CONFLICT (span, bucket_start, channel, shard) DO UPDATE SET
  accepted = lifecycle_channel_stats.accepted + excluded.accepted,
  delivered = lifecycle_channel_stats.delivered + excluded.delivered,
  failed = lifecycle_channel_stats.failed + excluded.failed,
  aborted = lifecycle_channel_stats.aborted + excluded.aborted`;
const upsertLatency = `ON CONFLICT (span, bucket_start, channel, shard, lo) DO UPDATE SET
  n = lifecycle_channel_latency.n + excluded.n`;

export const CHANNEL_STATS_V4 = `
  CREATE TABLE IF NOT EXISTS lifecycle_channel_stats (
    span BIGINT NOT NULL, bucket_start BIGINT NOT NULL, channel TEXT NOT NULL, shard SMALLINT NOT NULL,
    accepted BIGINT NOT NULL DEFAULT 0, delivered BIGINT NOT NULL DEFAULT 0,
    failed BIGINT NOT NULL DEFAULT 0, aborted BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (span, bucket_start, channel, shard)
  );
  CREATE TABLE IF NOT EXISTS lifecycle_channel_latency (
    span BIGINT NOT NULL, bucket_start BIGINT NOT NULL, channel TEXT NOT NULL, shard SMALLINT NOT NULL,
    lo BIGINT NOT NULL, n BIGINT NOT NULL,
    PRIMARY KEY (span, bucket_start, channel, shard, lo)
  );
  CREATE TABLE IF NOT EXISTS lifecycle_latency_bins (lo BIGINT PRIMARY KEY);
  INSERT INTO lifecycle_latency_bins (lo) VALUES ${LATENCY_BINS.map((lo) => `(${lo})`).join(', ')} ON CONFLICT DO NOTHING;
  CREATE OR REPLACE FUNCTION lc_turn_stats() RETURNS trigger LANGUAGE plpgsql AS $fn$
  DECLARE
    s_span BIGINT;
    s_ended BIGINT;
    s_bin BIGINT;
  BEGIN
    IF TG_OP = 'INSERT' THEN
      FOREACH s_span IN ARRAY ${SPANS} LOOP
        INSERT INTO lifecycle_channel_stats (span, bucket_start, channel, shard, accepted)
          VALUES (s_span, NEW.accepted_at - NEW.accepted_at % s_span, NEW.channel, ${SHARD}, 1) ${upsertCounts};
      END LOOP;
    END IF;
    -- A terminal turn never changes again (SPEC): its end is counted when it gets there.
    IF NEW.status IN (${TERMINAL}) AND (TG_OP = 'INSERT' OR OLD.status NOT IN (${TERMINAL})) THEN
      s_ended := coalesce(NEW.completed_at, NEW.updated_at);
      IF NEW.status = 'delivered' THEN
        s_bin := ${bin('s_ended - NEW.accepted_at')};
      END IF;
      FOREACH s_span IN ARRAY ${SPANS} LOOP
        INSERT INTO lifecycle_channel_stats (span, bucket_start, channel, shard, delivered, failed, aborted)
          VALUES (s_span, s_ended - s_ended % s_span, NEW.channel, ${SHARD}, (NEW.status = 'delivered')::int,
            (NEW.status = 'failed_terminal')::int, (NEW.status = 'aborted')::int) ${upsertCounts};
        IF s_bin IS NOT NULL THEN
          INSERT INTO lifecycle_channel_latency (span, bucket_start, channel, shard, lo, n)
            VALUES (s_span, s_ended - s_ended % s_span, NEW.channel, ${SHARD}, s_bin, 1) ${upsertLatency};
        END IF;
      END LOOP;
    END IF;
    RETURN NULL;
  END $fn$;
  DROP TRIGGER IF EXISTS lc_turn_stats ON message_turns;
  CREATE TRIGGER lc_turn_stats AFTER INSERT OR UPDATE OF status ON message_turns
    FOR EACH ROW EXECUTE FUNCTION lc_turn_stats();
  -- The turns already there, once (under the migration lock, in its transaction).
  DELETE FROM lifecycle_channel_stats;
  DELETE FROM lifecycle_channel_latency;
  INSERT INTO lifecycle_channel_stats (span, bucket_start, channel, shard, accepted)
    SELECT s.span, t.accepted_at - t.accepted_at % s.span, t.channel, 0, count(*)
    FROM message_turns t CROSS JOIN unnest(${SPANS}) AS s(span)
    GROUP BY 1, 2, 3 ${upsertCounts};
  INSERT INTO lifecycle_channel_stats (span, bucket_start, channel, shard, delivered, failed, aborted)
    SELECT s.span, t.ended - t.ended % s.span, t.channel, 0, count(*) FILTER (WHERE t.status = 'delivered'),
      count(*) FILTER (WHERE t.status = 'failed_terminal'), count(*) FILTER (WHERE t.status = 'aborted')
    FROM (SELECT channel, status, coalesce(completed_at, updated_at) AS ended FROM message_turns
          WHERE status IN (${TERMINAL})) t CROSS JOIN unnest(${SPANS}) AS s(span)
    GROUP BY 1, 2, 3 ${upsertCounts};
  INSERT INTO lifecycle_channel_latency (span, bucket_start, channel, shard, lo, n)
    SELECT s.span, t.ended - t.ended % s.span, t.channel, 0, t.lo, count(*)
    FROM (SELECT channel, ended, ${bin('ended - accepted_at')} AS lo
          FROM (SELECT channel, accepted_at, coalesce(completed_at, updated_at) AS ended FROM message_turns
                WHERE status = 'delivered') d) t CROSS JOIN unnest(${SPANS}) AS s(span)
    GROUP BY 1, 2, 3, 5 ${upsertLatency};
`;
