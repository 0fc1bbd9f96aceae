import { DEFAULT_STUCK, type StuckThresholds } from '../../../shared/stuck';
import {
  OUTBOX_STATUSES,
  TURN_STATUSES,
  type OutboxStatus,
  type StatusCounts,
  type TurnStatus,
} from '../../../shared/types';
import type { Core } from '../context';
import { indexedBy } from './indexed-by';
import { STUCK_ROW_SQL, STUCK_TURN_SQL, stuckParams } from '../rules';
import { NOT_REPLAYED_SQL, NOT_RESENT_SQL, OUTBOX_DEAD_SQL, TURN_DEAD_SQL } from '../triage-rules';

// Counts by status from the trigger-kept table (a few key lookups), stuck counts, and what
// failed for good within the attention window (on v5's partial indexes of dead work).

// Named with INDEXED BY: the planner would walk every failed_terminal row by status (1M bench
// file: 40–60 ms against 1 ms on these covering indexes of the window's dead work).
const deadTurnsSql = (
  core: Core,
): string => `SELECT count(*) AS n FROM message_turns${indexedBy(core, 'ix_turns_dead_done')}
  WHERE ${TURN_DEAD_SQL} AND completed_at >= @deadSince AND ${NOT_REPLAYED_SQL()}`;
const deadOutboxSql = (
  core: Core,
): string => `SELECT count(*) AS n FROM message_outbox${indexedBy(core, 'ix_outbox_dead_done')}
  WHERE ${OUTBOX_DEAD_SQL} AND completed_at >= @deadSince AND ${NOT_RESENT_SQL()}`;

export interface CountRow {
  entity: string;
  status: string;
  n: number;
}

/** Counts by status out of the counter rows (non-zero ones, in any order). */
export function countsByStatus(
  rows: readonly CountRow[],
): Pick<StatusCounts, 'turns' | 'outbox' | 'otherTurns' | 'otherOutbox'> {
  const turns = Object.fromEntries(TURN_STATUSES.map((s) => [s, 0])) as Record<TurnStatus, number>;
  const outbox = Object.fromEntries(OUTBOX_STATUSES.map((s) => [s, 0])) as Record<OutboxStatus, number>;
  const otherTurns: Record<string, number> = {};
  const otherOutbox: Record<string, number> = {};
  for (const r of rows) {
    // A status outside the SPEC's set (some gateway wrote it) is shown as such, never dropped.
    if (r.entity === 'turn') {
      if (Object.hasOwn(turns, r.status)) turns[r.status as TurnStatus] = r.n;
      else otherTurns[r.status] = r.n;
    } else if (r.entity === 'outbox') {
      if (Object.hasOwn(outbox, r.status)) outbox[r.status as OutboxStatus] = r.n;
      else otherOutbox[r.status] = r.n;
    }
  }
  return { turns, outbox, otherTurns, otherOutbox };
}

export function statusCounts(core: Core, th: StuckThresholds = DEFAULT_STUCK): StatusCounts {
  const now = core.now();
  const counts = countsByStatus(
    core.stmt('SELECT entity, status, n FROM lifecycle_counts WHERE n <> 0').all() as CountRow[],
  );
  const p = stuckParams(now, th);
  const stuckTurns = (
    core.stmt(`SELECT count(*) AS n FROM message_turns WHERE ${STUCK_TURN_SQL}`).get(p) as { n: number }
  ).n;
  const stuckOutbox = (
    core.stmt(`SELECT count(*) AS n FROM message_outbox WHERE ${STUCK_ROW_SQL}`).get(p) as { n: number }
  ).n;
  const dead = { deadSince: now - core.config.attentionWindowMs };
  const deadTurns = (core.stmt(deadTurnsSql(core)).get(dead) as { n: number }).n;
  const deadOutbox = (core.stmt(deadOutboxSql(core)).get(dead) as { n: number }).n;
  return { ...counts, stuckTurns, stuckOutbox, deadTurns, deadOutbox, at: now };
}

/** Turn counts by SPEC status only, out of the turns' counter rows (the series' open-turn curve starts from them). */
export function turnCountsOnly(rows: readonly Omit<CountRow, 'entity'>[]): Record<TurnStatus, number> {
  const out = Object.fromEntries(TURN_STATUSES.map((s) => [s, 0])) as Record<TurnStatus, number>;
  for (const r of rows) {
    if (r.status in out) out[r.status as TurnStatus] = r.n;
  }
  return out;
}

export function statusCountsOnly(core: Core): Record<TurnStatus, number> {
  return turnCountsOnly(
    core.stmt("SELECT status, n FROM lifecycle_counts WHERE entity = 'turn'").all() as Omit<CountRow, 'entity'>[],
  );
}
