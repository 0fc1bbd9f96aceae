import type { BlockingRow } from '../../../shared/stuck';
import type { Core } from '../context';
import { finalRowSql, PENDING_ROW_SQL } from '../rules';

/**
 * The final rows of some turns, the one that decides each turn first (a pending one, then the
 * most attempted). `member` is the backend's test of o.turn_id against the bound list of turn ids.
 */
export function blockingSql(member: string): string {
  return `SELECT o.turn_id AS "turnId", o.id, o.status, o.attempt_count AS "attemptCount",
         o.next_attempt_at AS "nextAttemptAt", o.last_error AS "lastError", o.dispatch_kind AS "dispatchKind"
       FROM message_outbox o WHERE o.turn_id ${member} AND ${finalRowSql('o')}
       ORDER BY o.turn_id, o.status IN (${PENDING_ROW_SQL}) DESC, o.attempt_count DESC`;
}

/** The first row of each turn out of blockingSql's. */
export function firstPerTurn(rows: readonly (BlockingRow & { turnId: string })[]): Map<string, BlockingRow> {
  const out = new Map<string, BlockingRow>();
  for (const { turnId, ...row } of rows) if (!out.has(turnId)) out.set(turnId, row);
  return out;
}

/** The final row that decides each turn: one query for a whole page of turns, never one per turn. */
export function blockingRows(core: Core, turnIds: readonly string[]): Map<string, BlockingRow> {
  if (turnIds.length === 0) return new Map();
  const rows = core.stmt(blockingSql('IN (SELECT value FROM json_each(?))')).all(JSON.stringify(turnIds));
  return firstPerTurn(rows as (BlockingRow & { turnId: string })[]);
}
