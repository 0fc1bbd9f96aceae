import { OUTBOX_PENDING_STATUSES, TURN_ACTIVE_STATUSES, type OutboxRow, type Turn } from '../../../shared/types';
import { CLAIM_LAPSED, workerLeaseMs } from '../../lifecycle/claims';
import { PENDING_ROW_SQL, finalRowSql } from '../../lifecycle/rules';
import { read, tx, type PgCore, type Tx } from './context';
import { Params } from './params';
import { PG_OUTBOX_SELECT, PG_TURN_SELECT } from './rows';
import { pickUnlocked } from './transition';

// The recovery worker's candidates on PostgreSQL: the queries of ../sqlite/candidates.ts. Every
// filter is in SQL, so each LIMIT counts only actionable rows, and each status is a range scan
// of its (status, next_attempt_at) index, merged oldest due first in the same statement.

const FINAL = finalRowSql();
const PENDING_FINAL_EXISTS = `EXISTS (SELECT 1 FROM message_outbox o WHERE o.turn_id = t.id
  AND o.status IN (${PENDING_ROW_SQL}) AND ${finalRowSql('o')})`;
const ANY_FINAL_EXISTS = `EXISTS (SELECT 1 FROM message_outbox o WHERE o.turn_id = t.id AND ${finalRowSql('o')})`;

/**
 * A row another writer queued since this process started, never attempted and unclaimed, belongs
 * to a live send, for one lease at most (../sqlite/candidates.ts NOT_LIVE_ROW).
 */
function notLiveRow(b: Params, core: PgCore, now: number): string {
  return `NOT (status = 'queued' AND attempt_count = 0 AND claim_owner IS NULL
    AND queued_at >= ${b.p(core.startedAt)}::bigint AND queued_at > ${b.p(now - core.config.liveLeaseMs)}::bigint)`;
}

/** A locking pick of pending tool/block rows that no live send holds: never replayed, so terminalized. */
export function strayNonFinalPick(b: Params, core: PgCore, now: number, limit: number): string {
  const where = `dispatch_kind IN ('tool','block') AND status = ANY(${b.p(OUTBOX_PENDING_STATUSES)}::text[])
    AND ${b.bind(CLAIM_LAPSED, [now])} AND ${notLiveRow(b, core, now)}`;
  return pickUnlocked(b, 'message_outbox', where, limit);
}

/**
 * Due final rows that no live send holds, claimed for this worker's lease in one statement,
 * oldest due first. Rows another worker is claiming right now are skipped, never waited for.
 */
export function claimDueRows(core: PgCore, limit: number): Promise<OutboxRow[]> {
  return tx(core, async (t) => {
    const b = new Params();
    const { now } = t;
    // One locking CTE per status (FOR UPDATE is not allowed in a UNION).
    const due = OUTBOX_PENDING_STATUSES.map(
      (status, rank) => `due${rank} AS (SELECT id, next_attempt_at, queued_at, ${rank} AS rank FROM message_outbox
        WHERE status = ${b.p(status)} AND next_attempt_at <= ${b.p(now)} AND ${FINAL}
          AND ${b.bind(CLAIM_LAPSED, [now])} AND ${notLiveRow(b, core, now)}
        ORDER BY next_attempt_at, queued_at LIMIT ${b.p(limit)} FOR UPDATE SKIP LOCKED)`,
    );
    const rows = await t.all<OutboxRow & { rank: number }>(
      `WITH ${due.join(', ')},
       due AS (${due.map((_, rank) => `SELECT * FROM due${rank}`).join(' UNION ALL ')}),
       picked AS (SELECT id AS picked_id, rank FROM due ORDER BY next_attempt_at, rank, queued_at, id LIMIT ${b.p(limit)})
       UPDATE message_outbox SET claim_owner = ${b.p(core.owner)}, claim_expires_at = ${b.p(now + workerLeaseMs(core))}
       FROM picked WHERE id = picked.picked_id
       RETURNING ${PG_OUTBOX_SELECT}, picked.rank`,
      b.values,
    );
    return rows
      .sort((x, y) => x.nextAttemptAt - y.nextAttemptAt || x.rank - y.rank || x.queuedAt - y.queuedAt)
      .map(({ rank: _rank, ...row }) => row);
  });
}

/**
 * Due turns that match `where`, per open status merged oldest due first, at most `limit`: the
 * columns `select` lists of them (`extra` adds columns and joins to each, on `t`).
 */
async function dueTurns<T>(
  t: Tx,
  core: PgCore,
  b: Params,
  limit: number,
  select: string,
  where: string,
  extra = { columns: '', join: '' },
): Promise<T[]> {
  const { now } = t;
  const live = b.p([...core.live]);
  const per = TURN_ACTIVE_STATUSES.map(
    (status, rank) => `(SELECT t.*, ${rank} AS rank${extra.columns} FROM message_turns t${extra.join}
      WHERE t.status = ${b.p(status)} AND t.next_attempt_at <= ${b.p(now)} AND ${b.bind(CLAIM_LAPSED, [now])}
        AND NOT (t.id = ANY(${live}::text[])) AND ${where}
      ORDER BY t.next_attempt_at LIMIT ${b.p(limit)})`,
  );
  return t.all<T>(
    `SELECT ${select} FROM (${per.join(' UNION ALL ')}) AS due
     ORDER BY next_attempt_at, rank, updated_at, id LIMIT ${b.p(limit)}`,
    b.values,
  );
}

/** Due turns whose final rows already decide them (some done, none pending). */
export function decidedTurns(core: PgCore, limit: number): Promise<string[]> {
  return read(core, async (t) => {
    const where = `${ANY_FINAL_EXISTS} AND NOT ${PENDING_FINAL_EXISTS}`;
    return (await dueTurns<{ id: string }>(t, core, new Params(), limit, 'id', where)).map((r) => r.id);
  });
}

/** Due turns with no final row that a later, answered turn of the same session superseded. */
export function supersededTurns(core: PgCore, limit: number): Promise<{ id: string; supersededBy: string }[]> {
  return read(core, (t) =>
    dueTurns<{ id: string; supersededBy: string }>(
      t,
      core,
      new Params(),
      limit,
      'id, superseded_by AS "supersededBy"',
      `t.session_key <> '' AND NOT ${ANY_FINAL_EXISTS}`,
      {
        columns: ', s.superseded_by',
        join: ` CROSS JOIN LATERAL (SELECT s.id AS superseded_by FROM message_turns s
          WHERE s.session_key = t.session_key AND s.status = 'delivered' AND s.accepted_at > t.accepted_at
          ORDER BY s.accepted_at LIMIT 1) s`,
      },
    ),
  );
}

/** Due turns with no final row at all: what the replay handler must run again. */
export function replayableTurns(core: PgCore, limit: number): Promise<Turn[]> {
  return read(core, (t) => dueTurns<Turn>(t, core, new Params(), limit, PG_TURN_SELECT, `NOT ${ANY_FINAL_EXISTS}`));
}
