import type { Core } from '../context';
import { ACTIVE_TURN_SQL, PENDING_ROW_SQL } from '../rules';
import { indexedBy } from './indexed-by';

// "Did the lifecycle data change?" as one short string, so that a commit which touched nothing
// a view shows (a worker's heartbeat, the search backfill, an UPDATE that matched no row) does
// not make every open view refetch. Each part is an index read whatever the file's size:
//   - the timeline's newest id: every insert and status change by any writer adds an entry
//     (triggers), and so does every operator action;
//   - the trigger-kept counters' total: a delete (prune) adds no entry;
//   - open turns and pending rows, read from the partial indexes status() reads too: a change
//     that keeps its status (a failure that stays failed_retryable, attempts + 1, a retry's new
//     due time) moves their attempts or times. Times are summed modulo a prime so that the sum
//     stays an exact integer on any number of rows.

/** The modulus of the summed times: about 11.6 days in ms, so a real move of a time shows. */
export const STAMP_MODULUS = 1_000_000_007;

export function changeStampSql(core: Core): string {
  return `SELECT
    coalesce((SELECT max(id) FROM message_history), 0) || ':' ||
    coalesce((SELECT sum(n) FROM lifecycle_counts), 0) || ':' ||
    (SELECT count(*) || ':' || coalesce(sum(attempt_count), 0) || ':' || coalesce(sum(updated_at % ${STAMP_MODULUS}), 0)
       FROM message_turns${indexedBy(core, 'ix_turns_open')} WHERE status IN (${ACTIVE_TURN_SQL})) || ':' ||
    (SELECT count(*) || ':' || coalesce(sum(attempt_count), 0) || ':' || coalesce(sum(next_attempt_at % ${STAMP_MODULUS}), 0)
       FROM message_outbox${indexedBy(core, 'ix_outbox_pending')} WHERE status IN (${PENDING_ROW_SQL})) AS stamp`;
}

/** Changes whenever turns, rows or the timeline change; heartbeats and the search index leave it alone. */
export function changeStamp(core: Core): string {
  return (core.stmt(changeStampSql(core)).get() as { stamp: string }).stamp;
}
