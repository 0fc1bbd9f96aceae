import { DEFAULT_STUCK, type StuckThresholds } from '../../../shared/stuck';
import {
  OUTBOX_STATUSES,
  TURN_STATUSES,
  type OutboxStatus,
  type StatusCounts,
  type TurnStatus,
} from '../../../shared/types';
import type { Core } from '../context';
import { STUCK_ROW_SQL, STUCK_TURN_SQL, stuckParams } from '../rules';

// Counts by status from the trigger-kept table (a few key lookups), and stuck counts.

export function statusCounts(core: Core, th: StuckThresholds = DEFAULT_STUCK): StatusCounts {
  const now = core.now();
  const turns = Object.fromEntries(TURN_STATUSES.map((s) => [s, 0])) as Record<TurnStatus, number>;
  const outbox = Object.fromEntries(OUTBOX_STATUSES.map((s) => [s, 0])) as Record<OutboxStatus, number>;
  const otherTurns: Record<string, number> = {};
  const otherOutbox: Record<string, number> = {};
  for (const r of core.stmt('SELECT entity, status, n FROM lifecycle_counts WHERE n <> 0').all() as {
    entity: string;
    status: string;
    n: number;
  }[]) {
    // A status outside the SPEC's set (some gateway wrote it) is shown as such, never dropped.
    if (r.entity === 'turn') {
      if (Object.hasOwn(turns, r.status)) turns[r.status as TurnStatus] = r.n;
      else otherTurns[r.status] = r.n;
    } else if (r.entity === 'outbox') {
      if (Object.hasOwn(outbox, r.status)) outbox[r.status as OutboxStatus] = r.n;
      else otherOutbox[r.status] = r.n;
    }
  }
  const p = stuckParams(now, th);
  const stuckTurns = (
    core.stmt(`SELECT count(*) AS n FROM message_turns WHERE ${STUCK_TURN_SQL}`).get(p) as { n: number }
  ).n;
  const stuckOutbox = (
    core.stmt(`SELECT count(*) AS n FROM message_outbox WHERE ${STUCK_ROW_SQL}`).get(p) as { n: number }
  ).n;
  return { turns, outbox, otherTurns, otherOutbox, stuckTurns, stuckOutbox, at: now };
}

/** Turn counts by SPEC status only (the series rebuilds its open-turn curve from them). */
export function statusCountsOnly(core: Core): Record<TurnStatus, number> {
  const out = Object.fromEntries(TURN_STATUSES.map((s) => [s, 0])) as Record<TurnStatus, number>;
  for (const r of core.stmt("SELECT status, n FROM lifecycle_counts WHERE entity = 'turn'").all() as {
    status: TurnStatus;
    n: number;
  }[]) {
    if (r.status in out) out[r.status] = r.n;
  }
  return out;
}
