import { OUTBOX_PENDING_STATUSES, TURN_ACTIVE_STATUSES, type OutboxRow, type Turn } from '../../../shared/types';
import type { Core } from '../../lifecycle/context';
import { OUTBOX_SELECT, TURN_SELECT } from '../../lifecycle/rows';
import { finalRowSql, PENDING_ROW_SQL } from '../../lifecycle/rules';

// The worker's reads. Every filter is in SQL, so each LIMIT counts only actionable rows
// (SPEC: the per-pass limit is applied after filtering), and each query is a range scan
// on one of the indexes of migration 1, one per status, merged here.

const FINAL = finalRowSql();
const CLAIM_FREE = '(claim_expires_at IS NULL OR claim_expires_at <= @now)';
/**
 * A row another writer queued since this process started, never attempted and unclaimed,
 * belongs to a live send, for one lease at most: after that a lost ack is retried rather than
 * hidden until the next restart. Our own rows always carry a claim (a lapsed one when not live).
 */
const NOT_LIVE_ROW = `NOT (status = 'queued' AND attempt_count = 0 AND claim_owner IS NULL
  AND queued_at >= @startedAt AND queued_at > @now - @lease)`;
const PENDING_FINAL_EXISTS = `EXISTS (SELECT 1 FROM message_outbox o WHERE o.turn_id = t.id
  AND o.status IN (${PENDING_ROW_SQL}) AND ${finalRowSql('o')})`;
const ANY_FINAL_EXISTS = `EXISTS (SELECT 1 FROM message_outbox o WHERE o.turn_id = t.id
  AND ${finalRowSql('o')})`;
const DUE_TURN = `t.status = @status AND t.next_attempt_at <= @now
  AND (t.claim_expires_at IS NULL OR t.claim_expires_at <= @now)
  AND t.id NOT IN (SELECT value FROM json_each(@live))`;

function params(core: Core, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    now: core.now(),
    startedAt: core.startedAt,
    lease: core.config.liveLeaseMs,
    live: JSON.stringify([...core.live]),
    ...extra,
  };
}

function perStatus<T extends { nextAttemptAt: number }>(
  statuses: readonly string[],
  limit: number,
  read: (status: string) => T[],
): T[] {
  return statuses
    .flatMap(read)
    .sort((a, b) => a.nextAttemptAt - b.nextAttemptAt)
    .slice(0, limit);
}

/** Due final rows that no live send holds, oldest due first. */
export function dueFinalRows(core: Core, limit: number): OutboxRow[] {
  const p = params(core, { limit });
  return perStatus(
    OUTBOX_PENDING_STATUSES,
    limit,
    (status) =>
      core
        .stmt(
          `SELECT ${OUTBOX_SELECT} FROM message_outbox
         WHERE status = @status AND next_attempt_at <= @now AND ${FINAL} AND ${CLAIM_FREE} AND ${NOT_LIVE_ROW}
         ORDER BY next_attempt_at LIMIT @limit`,
        )
        .all({ ...p, status }) as OutboxRow[],
  );
}

/** Pending tool/block rows that no live send holds: never replayed, so terminalized. */
export function strayNonFinalRows(core: Core, limit: number): { id: string; status: string; turnId: string | null }[] {
  return core
    .stmt(
      `SELECT id, status, turn_id AS turnId FROM message_outbox
       WHERE dispatch_kind IN ('tool','block') AND status IN (${PENDING_ROW_SQL})
         AND ${CLAIM_FREE} AND ${NOT_LIVE_ROW}
       LIMIT @limit`,
    )
    .all(params(core, { limit })) as { id: string; status: string; turnId: string | null }[];
}

/**
 * Due turns (per active status, merged oldest due first) that match `where`: each status a range
 * scan of the (status, next_attempt_at) index, so LIMIT counts only actionable turns.
 */
function dueTurns<T extends { nextAttemptAt: number }>(core: Core, limit: number, select: string, where: string): T[] {
  const p = params(core, { limit });
  const stmt = core.stmt(
    `SELECT ${select} FROM message_turns t WHERE ${DUE_TURN} AND ${where} ORDER BY t.next_attempt_at LIMIT @limit`,
  );
  return perStatus(TURN_ACTIVE_STATUSES, limit, (status) => stmt.all({ ...p, status }) as T[]);
}

/** Due turns whose final rows already decide them (some done, none pending). */
export function decidedTurns(core: Core, limit: number): string[] {
  return dueTurns<{ id: string; nextAttemptAt: number }>(
    core,
    limit,
    't.id, t.next_attempt_at AS nextAttemptAt',
    `${ANY_FINAL_EXISTS} AND NOT ${PENDING_FINAL_EXISTS}`,
  ).map((r) => r.id);
}

/** Due turns with no final row that a later, answered turn of the same session superseded. */
export function supersededTurns(core: Core, limit: number): { id: string; supersededBy: string }[] {
  return dueTurns<{ id: string; supersededBy: string; nextAttemptAt: number }>(
    core,
    limit,
    `t.id, t.next_attempt_at AS nextAttemptAt,
     (SELECT s.id FROM message_turns s WHERE s.session_key = t.session_key AND s.status = 'delivered'
        AND s.accepted_at > t.accepted_at LIMIT 1) AS supersededBy`,
    `t.session_key <> '' AND NOT ${ANY_FINAL_EXISTS} AND supersededBy IS NOT NULL`,
  );
}

/** Due turns with no final row at all: what the replay handler must run again. */
export function replayableTurns(core: Core, limit: number): Turn[] {
  return dueTurns<Turn>(core, limit, TURN_SELECT, `NOT ${ANY_FINAL_EXISTS}`);
}
