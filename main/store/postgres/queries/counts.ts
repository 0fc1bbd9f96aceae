import type { StatusCounts, TurnStatus } from '../../../../shared/types';
import { countsByStatus, turnCountsOnly, type CountRow } from '../../../lifecycle/queries/counts';
import { STUCK_ROW_SQL, STUCK_TURN_SQL, stuckParams } from '../../../lifecycle/rules';
import { read, type PgCore, type Tx } from '../context';
import { Params } from '../params';
import { BYTEWISE, bindNamed } from './page';
import { DEAD_ROW_SQL, DEAD_TURN_SQL } from './triage-filters';

// Counts by status from the trigger-kept counters, summed over their shards (a few dozen rows
// whatever the data's size), and stuck and dead counts as SQLite counts them (index range scans).

export function statusCounts(core: PgCore): Promise<StatusCounts> {
  return read(core, async (t) => {
    const rows = await t.all<CountRow>(
      `SELECT entity, status, sum(n) AS n FROM lifecycle_counts GROUP BY entity, status HAVING sum(n) <> 0
       ORDER BY entity ${BYTEWISE}, status ${BYTEWISE}`,
    );
    const p = stuckParams(t.now, core.stuck);
    const stuckTurns = await countNamed(t, 'message_turns', STUCK_TURN_SQL, p);
    const stuckOutbox = await countNamed(t, 'message_outbox', STUCK_ROW_SQL, p);
    const dead = { deadSince: t.now - core.config.attentionWindowMs };
    const deadTurns = await countNamed(t, 'message_turns', DEAD_TURN_SQL, dead);
    const deadOutbox = await countNamed(t, 'message_outbox', DEAD_ROW_SQL, dead);
    return { ...countsByStatus(rows), stuckTurns, stuckOutbox, deadTurns, deadOutbox, at: t.now };
  });
}

async function countNamed(t: Tx, table: string, where: string, named: Record<string, unknown>): Promise<number> {
  const params = new Params();
  const sql = `SELECT count(*) AS n FROM ${table} WHERE ${bindNamed(params, where, named)}`;
  return (await t.one<{ n: number }>(sql, params.values))!.n;
}

/** Turn counts by SPEC status only (the series rebuilds its open-turn curve from them). */
export async function turnCounts(t: Tx): Promise<Record<TurnStatus, number>> {
  return turnCountsOnly(
    await t.all<Omit<CountRow, 'entity'>>(
      "SELECT status, sum(n) AS n FROM lifecycle_counts WHERE entity = 'turn' GROUP BY status",
    ),
  );
}
