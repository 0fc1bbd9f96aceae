import { STAMP_MODULUS } from '../../lifecycle/queries/change-stamp';
import { ACTIVE_TURN_SQL, PENDING_ROW_SQL } from '../../lifecycle/rules';
import { read, type PgCore } from './context';

// The same stamp as SQLite's (main/lifecycle/queries/change-stamp.ts): the statement triggers
// NOTIFY after any statement on the two tables, even one that changed no row (a worker's pass
// with nothing due), so a notification alone does not say that anything a view shows moved.

const SQL = `SELECT concat_ws(':',
    (SELECT coalesce(max(id), 0) FROM message_history),
    (SELECT coalesce(sum(n), 0) FROM lifecycle_counts),
    (SELECT concat_ws(':', count(*), coalesce(sum(attempt_count), 0), coalesce(sum(updated_at % ${STAMP_MODULUS}), 0))
       FROM message_turns WHERE status IN (${ACTIVE_TURN_SQL})),
    (SELECT concat_ws(':', count(*), coalesce(sum(attempt_count), 0), coalesce(sum(next_attempt_at % ${STAMP_MODULUS}), 0))
       FROM message_outbox WHERE status IN (${PENDING_ROW_SQL}))) AS stamp`;

export function changeStamp(core: PgCore): Promise<string> {
  return read(core, async (t) => (await t.one<{ stamp: string }>(SQL))!.stamp);
}
