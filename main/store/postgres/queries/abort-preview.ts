import { ACTIVE_TURN_SQL, PENDING_ROW_SQL } from '../../../lifecycle/rules';
import { read, type PgCore } from '../context';

/** What abortSession would change now: two counts, whatever the number of open turns. */
export function previewAbort(core: PgCore, sessionKeys: readonly string[]): Promise<{ turns: number; outbox: number }> {
  const keys = [...new Set(sessionKeys)];
  const open = `SELECT id FROM message_turns WHERE session_key = ANY($1::text[]) AND status IN (${ACTIVE_TURN_SQL})`;
  return read(core, async (t) => {
    const turns = (await t.one<{ n: number }>(`SELECT count(*) AS n FROM (${open}) AS open`, [keys]))!.n;
    const outbox = (await t.one<{ n: number }>(
      `SELECT count(*) AS n FROM message_outbox WHERE turn_id IN (${open}) AND status IN (${PENDING_ROW_SQL})`,
      [keys],
    ))!.n;
    return { turns, outbox };
  });
}
