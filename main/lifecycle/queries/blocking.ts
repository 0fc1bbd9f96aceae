import type { BlockingRow } from '../../../shared/stuck';
import type { Core } from '../context';
import { finalRowSql, PENDING_ROW_SQL } from '../rules';

/**
 * The final row that decides each turn (a pending one first, then the most attempted): one
 * query for a whole page of turns, never one per turn.
 */
export function blockingRows(core: Core, turnIds: readonly string[]): Map<string, BlockingRow> {
  const out = new Map<string, BlockingRow>();
  if (turnIds.length === 0) return out;
  const rows = core
    .stmt(
      `SELECT o.turn_id AS turnId, o.id, o.status, o.attempt_count AS attemptCount, o.next_attempt_at AS nextAttemptAt,
         o.last_error AS lastError, o.dispatch_kind AS dispatchKind
       FROM message_outbox o WHERE o.turn_id IN (SELECT value FROM json_each(?)) AND ${finalRowSql('o')}
       ORDER BY o.turn_id, o.status IN (${PENDING_ROW_SQL}) DESC, o.attempt_count DESC`,
    )
    .all(JSON.stringify(turnIds)) as (BlockingRow & { turnId: string })[];
  for (const { turnId, ...row } of rows) if (!out.has(turnId)) out.set(turnId, row);
  return out;
}
