import { OUTBOX_PENDING_STATUSES, TURN_ACTIVE_STATUSES } from '../../../shared/types';
import { abortReason, type AbortResult } from '../../lifecycle/abort';
import type { Who } from './history';
import { ROW } from '../../lifecycle/outbox';
import { TURN } from '../../lifecycle/turns';
import { tx, type PgCore, type Tx } from './context';
import { Params } from './params';
import { moveMany, pick } from './transition';

/**
 * SPEC "Abort" on PostgreSQL: in ONE transaction, every open turn of the session is aborted and
 * its pending rows are cancelled (turn_aborted). The turns are locked first, then their rows
 * (the order every writer that locks both keeps): an enqueue for one of them either committed
 * before, and its row is cancelled here, or waits and then sees the turn aborted. The turns'
 * move comes last, so a send that committed while the abort ran (a row not pending any more
 * when the abort reached it) has its timeline entry before the abort's.
 */
export function abortSession(core: PgCore, sessionKey: string, who: Who): Promise<AbortResult> {
  return tx(core, (t) => abortIn(t, core, sessionKey, who));
}

/** abortSession inside a transaction (a bulk job's batch aborts many sessions in one). */
export async function abortIn(t: Tx, core: PgCore, sessionKey: string, who: Who): Promise<AbortResult> {
  const reason = abortReason(who);
  const open = (
    await t.all<{ id: string }>(
      `SELECT id FROM message_turns WHERE session_key = $1 AND status = ANY($2::text[]) ORDER BY id FOR UPDATE`,
      [sessionKey, TURN_ACTIVE_STATUSES],
    )
  ).map((r) => r.id);
  if (open.length === 0) return { turns: 0, outbox: 0, turnIds: [] };
  const rb = new Params();
  const rows = pick(
    'message_outbox',
    `turn_id = ANY(${rb.p(open)}::text[]) AND status = ANY(${rb.p(OUTBOX_PENDING_STATUSES)}::text[])`,
    'ORDER BY id FOR UPDATE',
  );
  const rowIds = await moveMany(t, core, ROW, rb, rows, OUTBOX_PENDING_STATUSES, 'failed_terminal', who, {
    reason: 'turn_aborted',
    set: "terminal_reason = 'turn_aborted'",
  });
  const tb = new Params();
  const turns = pick('message_turns', `id = ANY(${tb.p(open)}::text[])`, 'ORDER BY id FOR UPDATE');
  const turnIds = await moveMany(t, core, TURN, tb, turns, TURN_ACTIVE_STATUSES, 'aborted', who, { reason });
  for (const id of turnIds) core.live.delete(id);
  return { turns: turnIds.length, outbox: rowIds.length, turnIds };
}
