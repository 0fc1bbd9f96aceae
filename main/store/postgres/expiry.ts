import { OUTBOX_PENDING_STATUSES, TURN_ACTIVE_STATUSES } from '../../../shared/types';
import { CLAIM_LAPSED } from '../../lifecycle/claims';
import {
  EXPIRING_ROWS,
  LAST_CHANCE_SET,
  SPENT_ROWS,
  STALE_TURNS,
  expiryMoves,
  type ExpiryResult,
} from '../../lifecycle/expiry';
import type { Who } from '../../lifecycle/history';
import { ROW } from '../../lifecycle/outbox';
import type { MoveOptions, Moving } from '../../lifecycle/transition';
import { TURN } from '../../lifecycle/turns';
import { tx, type PgCore, type Tx } from './context';
import { Params } from './params';
import { moveMany, pickUnlocked } from './transition';

// SPEC "Outbox" expiry and stale turns on PostgreSQL (../../lifecycle/expiry.ts), each a bounded
// batch (maintenanceBatch) in one statement. Rows another transaction has locked are skipped,
// not waited for: they are being changed right now, and the next pass looks again.

const WORKER: Who = { actor: 'worker' };

/** A batch of what `where` selects (it binds a time before which, then now). */
function batch(b: Params, t: Tx, core: PgCore, table: string, where: string, before: number): string {
  return pickUnlocked(b, table, b.bind(where, [before, t.now]), core.config.maintenanceBatch);
}

async function moveBatch(
  t: Tx,
  core: PgCore,
  m: Moving,
  where: string,
  before: number,
  from: readonly string[],
  to: 'expired' | 'failed_terminal',
  who: Who,
  move: MoveOptions,
): Promise<string[]> {
  const b = new Params();
  return moveMany(t, core, m, b, batch(b, t, core, m.table, where, before), from, to, who, move);
}

async function giveLastChances(t: Tx, core: PgCore, before: number): Promise<number> {
  const b = new Params();
  return t.run(
    `WITH picked AS (${batch(b, t, core, 'message_outbox', EXPIRING_ROWS, before)})
     UPDATE message_outbox SET ${b.bind(LAST_CHANCE_SET, [t.now])} FROM picked
     WHERE id = picked.picked_id AND ${b.bind(CLAIM_LAPSED, [t.now])}`,
    b.values,
  );
}

/** Rows past the max age and turns past the max recovery age; one bounded batch per call. */
export function expire(core: PgCore, who: Who = WORKER): Promise<ExpiryResult> {
  return tx(core, async (t): Promise<ExpiryResult> => {
    const { now } = t;
    const { outboxMaxAgeMs: maxAge, outboxExpiryMode, turnMaxAgeMs } = core.config;
    const moves = expiryMoves(now);
    let expiredRows = 0;
    let lastChanceRows = 0;
    const rows = (where: string, before: number, move: MoveOptions): Promise<string[]> =>
      moveBatch(t, core, ROW, where, before, OUTBOX_PENDING_STATUSES, 'expired', who, move);
    if (outboxExpiryMode === 'last-attempt') {
      lastChanceRows = await giveLastChances(t, core, now - maxAge);
    } else {
      expiredRows += (await rows(EXPIRING_ROWS, now - maxAge, moves.expired)).length;
    }
    // A statement of its own, so it sees the last chances given above, as SQLite's expire does.
    expiredRows += (await rows(SPENT_ROWS, now - 2 * maxAge, moves.spent)).length;
    const before = now - turnMaxAgeMs;
    const stale = await moveBatch(
      t,
      core,
      TURN,
      STALE_TURNS,
      before,
      TURN_ACTIVE_STATUSES,
      'failed_terminal',
      who,
      moves.stale,
    );
    for (const id of stale) core.live.delete(id);
    return { expiredRows, lastChanceRows, staleTurns: stale.length };
  });
}
