import type { Core } from './context';
import { record, type Who } from './history';
import type { AbortResult } from '../../shared/views';
import { ACTIVE_TURN_SQL, PENDING_ROW_SQL } from './rules';

export type { AbortResult };

/** What abortSession would change now: two counts, whatever the number of open turns. */
export function previewAbort(core: Core, sessionKeys: readonly string[]): { turns: number; outbox: number } {
  const keys = JSON.stringify([...new Set(sessionKeys)]);
  const open = `SELECT id FROM message_turns WHERE session_key IN (SELECT value FROM json_each(@keys)) AND status IN (${ACTIVE_TURN_SQL})`;
  const turns = (core.stmt(`SELECT count(*) AS n FROM (${open})`).get({ keys }) as { n: number }).n;
  const outbox = (
    core
      .stmt(`SELECT count(*) AS n FROM message_outbox WHERE turn_id IN (${open}) AND status IN (${PENDING_ROW_SQL})`)
      .get({ keys }) as { n: number }
  ).n;
  return { turns, outbox };
}

/** The terminal_reason of an aborted turn: who aborted it. */
export function abortReason(who: Who): string {
  return who.actor === 'operator' ? `aborted by ${who.by ?? 'operator'}` : 'session aborted';
}

export interface AbortHooks {
  /** Test seam for the crash harness: runs between the two updates, inside the transaction. */
  betweenUpdates?: () => void;
}

/**
 * Aborts every open turn of a session and cancels their pending sends, in ONE transaction:
 * after it commits nothing of those turns is sent; if the process dies inside it, neither
 * half happened.
 */
export function abortSession(core: Core, sessionKey: string, who: Who, hooks: AbortHooks = {}): AbortResult {
  return core.write((): AbortResult => {
    const now = core.now();
    const turns = core
      .stmt(`SELECT id, status FROM message_turns WHERE session_key = ? AND status IN (${ACTIVE_TURN_SQL})`)
      .all(sessionKey) as { id: string; status: string }[];
    const reason = abortReason(who);
    core
      .stmt(
        `UPDATE message_turns SET status = 'aborted', updated_at = ?, completed_at = ?, terminal_reason = ?,
             claim_owner = NULL, claim_expires_at = NULL
           WHERE session_key = ? AND status IN (${ACTIVE_TURN_SQL})`,
      )
      .run(now, now, reason, sessionKey);
    for (const t of turns) {
      record(core, { kind: 'turn', entityId: t.id, subjectId: t.id, from: t.status, to: 'aborted', reason }, who);
      core.live.delete(t.id);
    }
    hooks.betweenUpdates?.();
    const ids = JSON.stringify(turns.map((t) => t.id));
    const rows = core
      .stmt(
        `SELECT id, status, turn_id AS turnId FROM message_outbox
           WHERE turn_id IN (SELECT value FROM json_each(?)) AND status IN (${PENDING_ROW_SQL})`,
      )
      .all(ids) as { id: string; status: string; turnId: string }[];
    core
      .stmt(
        `UPDATE message_outbox SET status = 'failed_terminal', terminal_reason = 'turn_aborted', completed_at = ?,
             claim_owner = NULL, claim_expires_at = NULL
           WHERE turn_id IN (SELECT value FROM json_each(?)) AND status IN (${PENDING_ROW_SQL})`,
      )
      .run(now, ids);
    for (const r of rows) {
      record(
        core,
        {
          kind: 'outbox',
          entityId: r.id,
          subjectId: r.turnId,
          from: r.status,
          to: 'failed_terminal',
          reason: 'turn_aborted',
        },
        who,
      );
    }
    return { turns: turns.length, outbox: rows.length, turnIds: turns.map((t) => t.id) };
  });
}
