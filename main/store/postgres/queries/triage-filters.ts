import type { StuckThresholds } from '../../../../shared/stuck';
import type { OutboxFilter, TurnFilter } from '../../../../shared/views';
import type { LifecycleConfig } from '../../../lifecycle/config';
import { outboxWhere, turnWhere } from '../../../lifecycle/queries/lists';
import {
  NOT_REPLAYED_SQL,
  NOT_RESENT_SQL,
  OUTBOX_DEAD_SQL,
  OUTBOX_FAILURE_SQL,
  TURN_DEAD_SQL,
  TURN_FAILURE_SQL,
} from '../../../lifecycle/triage-rules';
import { FULL_TEXT_MIN, OUTBOX_SEARCH_TEXT, TURN_SEARCH_TEXT, containsPattern } from '../search';
import type { PgWhere } from './page';

// The lists' triage filters (issue 11) on PostgreSQL: dead letters, a time range, an error
// group's signature, the error class, and the full-text search of three characters or more.
// The SPEC-era filters are the shared ones (../../../lifecycle/queries/lists.ts); these only
// narrow what those drive, and the planner picks the index (trigram, signature, completed_at).

/** Failed for good in the window, not a person's choice, not yet replayed as new. */
export const DEAD_TURN_SQL = `${TURN_DEAD_SQL} AND completed_at >= @deadSince AND ${NOT_REPLAYED_SQL()}`;

/** Failed for good or expired in the window, not a person's choice, not yet resent. */
export const DEAD_ROW_SQL = `${OUTBOX_DEAD_SQL} AND completed_at >= @deadSince AND ${NOT_RESENT_SQL()}`;

/** Whether `search` is a full-text search (else the shared prefix search of ids and session keys). */
export const fullText = (search: string | undefined): search is string =>
  search !== undefined && search.length >= FULL_TEXT_MIN;

export interface FilterContext {
  now: number;
  stuck: StuckThresholds;
  config: LifecycleConfig;
}

export function pgTurnWhere(where: PgWhere, f: TurnFilter, c: FilterContext): void {
  const { dead, since, until, signature, search, ...rest } = f;
  turnWhere(where, fullText(search) ? rest : { ...rest, search }, c.now, c.stuck);
  if (dead) where.add(DEAD_TURN_SQL, { deadSince: c.now - c.config.attentionWindowMs });
  if (since !== undefined) where.add('accepted_at >= @since', { since });
  if (until !== undefined) where.add('accepted_at < @until', { until });
  if (signature !== undefined) where.add(`error_signature = @signature AND ${TURN_FAILURE_SQL}`, { signature });
  if (fullText(search)) where.add(`${TURN_SEARCH_TEXT} ILIKE @pattern`, { pattern: containsPattern(search) });
}

export function pgOutboxWhere(where: PgWhere, f: OutboxFilter, c: FilterContext): void {
  const { dead, since, until, signature, errorClass, search, ...rest } = f;
  outboxWhere(where, fullText(search) ? rest : { ...rest, search }, c.now, c.stuck);
  if (dead) where.add(DEAD_ROW_SQL, { deadSince: c.now - c.config.attentionWindowMs });
  if (since !== undefined) where.add('queued_at >= @since', { since });
  if (until !== undefined) where.add('queued_at < @until', { until });
  if (errorClass !== undefined) where.add('error_class = @errorClass', { errorClass });
  if (signature !== undefined) where.add(`error_signature = @signature AND ${OUTBOX_FAILURE_SQL}`, { signature });
  if (fullText(search)) where.add(`${OUTBOX_SEARCH_TEXT} ILIKE @pattern`, { pattern: containsPattern(search) });
}
