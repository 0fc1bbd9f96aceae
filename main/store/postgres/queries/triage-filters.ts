import type { StuckThresholds } from '../../../../shared/stuck';
import type { OutboxFilter, TurnFilter } from '../../../../shared/views';
import type { LifecycleConfig } from '../../../lifecycle/config';
import { outboxWhere, turnWhere } from '../../../lifecycle/queries/lists';
import { NOT_REPLAYED_SQL, NOT_RESENT_SQL, OUTBOX_DEAD_SQL, TURN_DEAD_SQL } from '../../../lifecycle/triage-rules';
import type { PgWhere } from './page';

// The lists' filters on PostgreSQL are the shared ones (../../../lifecycle/queries/lists.ts),
// issue 11's among them (dead letters, a time range, a group's signature, the error class, the
// full-text search); the dead counts of status() use the same terms.

/** Failed for good in the window, not a person's choice, not yet replayed as new. */
export const DEAD_TURN_SQL = `${TURN_DEAD_SQL} AND completed_at >= @deadSince AND ${NOT_REPLAYED_SQL()}`;

/** Failed for good or expired in the window, not a person's choice, not yet resent. */
export const DEAD_ROW_SQL = `${OUTBOX_DEAD_SQL} AND completed_at >= @deadSince AND ${NOT_RESENT_SQL()}`;

export interface FilterContext {
  now: number;
  stuck: StuckThresholds;
  config: LifecycleConfig;
}

/** The lists' filters, the shared ones (lists.ts): PgWhere answers the full-text search with trigrams. */
export function pgTurnWhere(where: PgWhere, f: TurnFilter, c: FilterContext): void {
  turnWhere(where, f, c.now, c.stuck, c.config.attentionWindowMs);
}

export function pgOutboxWhere(where: PgWhere, f: OutboxFilter, c: FilterContext): void {
  outboxWhere(where, f, c.now, c.stuck, c.config.attentionWindowMs);
}
