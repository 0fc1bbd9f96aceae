import { OUTBOX_PENDING_STATUSES } from '../../shared/types';
import { CLAIM_LAPSED } from './claims';
import type { Core } from './context';
import type { Who } from './history';
import type { MoveOptions } from './transition';
import { moveRow } from './outbox';
import { moveTurn } from './turns';
import { ACTIVE_TURN_SQL, PENDING_ROW_SQL } from './rules';

// SPEC "Outbox": rows older than the max age that are not done become `expired`, or get one
// last delivery attempt if so configured; and non-terminal turns past the max recovery age
// become failed_terminal ("stale"). Both halves of the last chance live here.

const WORKER: Who = { actor: 'worker' };

export interface ExpiryResult {
  expiredRows: number;
  lastChanceRows: number;
  staleTurns: number;
}

/** Pending rows queued before `?` that nobody holds (`?`: now), not yet given their last chance. */
export const EXPIRING_ROWS = `status IN (${PENDING_ROW_SQL}) AND queued_at < ? AND last_chance = 0 AND ${CLAIM_LAPSED}`;
/** The same, given their last chance: one that nobody took ends after a second max age. */
export const SPENT_ROWS = `status IN (${PENDING_ROW_SQL}) AND queued_at < ? AND last_chance = 1 AND ${CLAIM_LAPSED}`;
/** Open turns accepted before `?` that nobody holds (`?`: now). */
export const STALE_TURNS = `status IN (${ACTIVE_TURN_SQL}) AND accepted_at < ? AND ${CLAIM_LAPSED}`;
/** Gives a row its last chance, due now (`?`). */
export const LAST_CHANCE_SET = 'last_chance = 1, next_attempt_at = ?';

/** The moves of expiry, each only while nobody holds the row or turn. */
export function expiryMoves(now: number): Record<'expired' | 'spent' | 'stale', MoveOptions> {
  const unheld = { where: CLAIM_LAPSED, whereArgs: [now] };
  const set = "terminal_reason = 'expired'";
  return {
    expired: { reason: 'expired', set, ...unheld },
    spent: { reason: 'expired: the last delivery attempt never ran', set, ...unheld },
    stale: { reason: 'stale', ...unheld },
  };
}

/**
 * Rows past the max age and turns past the max recovery age; one bounded batch per call (at most
 * `batch` of each kind), in one transaction.
 */
export function expire(core: Core, who: Who = WORKER, batch = core.config.maintenanceBatch): ExpiryResult {
  return core.write((): ExpiryResult => {
    const now = core.now();
    const { config } = core;
    const moves = expiryMoves(now);
    const rows = core
      .stmt(`SELECT id, status FROM message_outbox WHERE ${EXPIRING_ROWS} LIMIT ?`)
      .all(now - config.outboxMaxAgeMs, now, batch) as { id: string; status: 'queued' }[];
    let expiredRows = 0;
    let lastChanceRows = 0;
    for (const r of rows) {
      if (config.outboxExpiryMode === 'last-attempt') {
        core.stmt(`UPDATE message_outbox SET ${LAST_CHANCE_SET} WHERE id = ? AND ${CLAIM_LAPSED}`).run(now, r.id, now);
        lastChanceRows++;
      } else if (moveRow(core, r.id, OUTBOX_PENDING_STATUSES, 'expired', who, moves.expired)) {
        expiredRows++;
      }
    }
    const spent = core
      .stmt(`SELECT id FROM message_outbox WHERE ${SPENT_ROWS} LIMIT ?`)
      .all(now - 2 * config.outboxMaxAgeMs, now, batch) as { id: string }[];
    for (const r of spent) {
      if (moveRow(core, r.id, OUTBOX_PENDING_STATUSES, 'expired', who, moves.spent)) expiredRows++;
    }
    const turns = core
      .stmt(`SELECT id, status FROM message_turns WHERE ${STALE_TURNS} LIMIT ?`)
      .all(now - config.turnMaxAgeMs, now, batch) as { id: string; status: 'accepted' }[];
    let staleTurns = 0;
    for (const t of turns) {
      if (moveTurn(core, t.id, [t.status], 'failed_terminal', who, moves.stale)) staleTurns++;
    }
    return { expiredRows, lastChanceRows, staleTurns };
  });
}

/** A failed send of a row on its last chance ends it as expired instead of retrying it. */
export function onLastChance(core: Core, rowId: string): boolean {
  const r = core.stmt('SELECT last_chance FROM message_outbox WHERE id = ?').get(rowId) as
    { last_chance: number } | undefined;
  return r?.last_chance === 1;
}
