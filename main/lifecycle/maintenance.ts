import { OUTBOX_DONE_STATUSES, OUTBOX_PENDING_STATUSES, TURN_TERMINAL_STATUSES } from '../../shared/types';
import { sqlList, type Core } from './context';
import { record, type Who } from './history';
import type { PruneResult } from '../../shared/views';

export type { PruneResult };
import { moveRow } from './outbox';
import { moveTurn } from './turns';
import { CLAIM_LAPSED } from './claims';
import { ACTIVE_TURN_SQL } from './turns';

const PENDING = sqlList(OUTBOX_PENDING_STATUSES);
const WORKER: Who = { actor: 'worker' };

export interface ExpiryResult {
  expiredRows: number;
  lastChanceRows: number;
  staleTurns: number;
}

/** Rows past the max age and turns past the max recovery age; one bounded batch per call. */
export function expire(core: Core, who: Who = WORKER): ExpiryResult {
  return core.write((): ExpiryResult => {
    const now = core.now();
    const { config } = core;
    const rows = core
      .stmt(
        `SELECT id, status FROM message_outbox
           WHERE status IN (${PENDING}) AND queued_at < ? AND last_chance = 0 AND ${CLAIM_LAPSED} LIMIT ?`,
      )
      .all(now - config.outboxMaxAgeMs, now, config.maintenanceBatch) as { id: string; status: 'queued' }[];
    let expiredRows = 0;
    let lastChanceRows = 0;
    for (const r of rows) {
      if (config.outboxExpiryMode === 'last-attempt') {
        core
          .stmt(`UPDATE message_outbox SET last_chance = 1, next_attempt_at = ? WHERE id = ? AND ${CLAIM_LAPSED}`)
          .run(now, r.id, now);
        lastChanceRows++;
      } else if (
        moveRow(core, r.id, OUTBOX_PENDING_STATUSES, 'expired', who, {
          reason: 'expired',
          set: "terminal_reason = 'expired'",
          where: CLAIM_LAPSED,
          whereArgs: [now],
        })
      ) {
        expiredRows++;
      }
    }
    // A last chance that nobody took (no deliver handler ran) ends after a second max age.
    const spent = core
      .stmt(
        `SELECT id FROM message_outbox
           WHERE status IN (${PENDING}) AND queued_at < ? AND last_chance = 1 AND ${CLAIM_LAPSED} LIMIT ?`,
      )
      .all(now - 2 * config.outboxMaxAgeMs, now, config.maintenanceBatch) as { id: string }[];
    for (const r of spent) {
      const moved = moveRow(core, r.id, OUTBOX_PENDING_STATUSES, 'expired', who, {
        reason: 'expired: the last delivery attempt never ran',
        set: "terminal_reason = 'expired'",
        where: CLAIM_LAPSED,
        whereArgs: [now],
      });
      if (moved) expiredRows++;
    }
    const turns = core
      .stmt(
        `SELECT id, status FROM message_turns
           WHERE status IN (${ACTIVE_TURN_SQL}) AND accepted_at < ? AND ${CLAIM_LAPSED} LIMIT ?`,
      )
      .all(now - config.turnMaxAgeMs, now, config.maintenanceBatch) as { id: string; status: 'accepted' }[];
    let staleTurns = 0;
    for (const t of turns) {
      const moved = moveTurn(core, t.id, [t.status], 'failed_terminal', who, {
        reason: 'stale',
        where: CLAIM_LAPSED,
        whereArgs: [now],
      });
      if (moved) staleTurns++;
    }
    return { expiredRows, lastChanceRows, staleTurns };
  });
}

/** Deletes terminal turns and done rows past the retention window, with their timelines. */
export function prune(core: Core, cutoff = core.now() - core.config.retentionMs): PruneResult {
  return core.write((): PruneResult => {
    const batch = core.config.maintenanceBatch;
    const turnIds = JSON.stringify(
      (
        core
          .stmt(
            `SELECT id FROM message_turns WHERE completed_at < ? AND status IN (${sqlList(TURN_TERMINAL_STATUSES)}) LIMIT ?`,
          )
          .all(cutoff, batch) as { id: string }[]
      ).map((r) => r.id),
    );
    const rows = core
      .stmt(
        `SELECT id, turn_id AS turnId FROM message_outbox
           WHERE completed_at < ? AND status IN (${sqlList(OUTBOX_DONE_STATUSES)}) LIMIT ?`,
      )
      .all(cutoff, batch) as { id: string; turnId: string | null }[];
    const rowIds = JSON.stringify(rows.map((r) => r.id));
    const subjects = JSON.stringify(rows.filter((r) => r.turnId === null).map((r) => r.id));
    const history =
      core.stmt('DELETE FROM message_history WHERE subject_id IN (SELECT value FROM json_each(?))').run(turnIds)
        .changes +
      core.stmt('DELETE FROM message_history WHERE subject_id IN (SELECT value FROM json_each(?))').run(subjects)
        .changes;
    const turns = core
      .stmt('DELETE FROM message_turns WHERE id IN (SELECT value FROM json_each(?))')
      .run(turnIds).changes;
    const outbox = core
      .stmt('DELETE FROM message_outbox WHERE id IN (SELECT value FROM json_each(?))')
      .run(rowIds).changes;
    return { turns, outbox, history };
  });
}

/** Records an action that has no single subject (e.g. "prune now") in the audit trail. */
export function recordAction(core: Core, reason: string, who: Who): void {
  record(core, { kind: 'action', entityId: null, subjectId: null, from: null, to: null, reason }, who);
}
