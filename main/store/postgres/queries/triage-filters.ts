import type { StuckThresholds } from '../../../../shared/stuck';
import type { OutboxFilter, TurnFilter } from '../../../../shared/views';
import type { LifecycleConfig } from '../../../lifecycle/config';
import { outboxWhere, turnWhere } from '../../../lifecycle/queries/lists';
import { sqlList } from '../context';
import {
  FULL_TEXT_MIN,
  NOT_CHOSEN_SQL,
  OUTBOX_SEARCH_TEXT,
  ROW_FAILURE_SQL,
  TURN_FAILURE_SQL,
  TURN_NOT_CHOSEN_SQL,
  TURN_SEARCH_TEXT,
  containsPattern,
} from '../search';
import { OUTBOX_DEAD_STATUSES } from '../../../../shared/triage';
import type { PgWhere } from './page';

// The lists' triage filters (issue 11) on PostgreSQL: dead letters, a time range, an error
// group's signature, the error class, and the full-text search of three characters or more.
// The SPEC-era filters are the shared ones (../../../lifecycle/queries/lists.ts); these only
// narrow what those drive, and the planner picks the index (trigram, signature, completed_at).

/** Failed for good in the window, not a person's choice, not yet replayed as new. */
export const DEAD_TURN_SQL = `status = 'failed_terminal' AND completed_at >= @deadSince AND ${TURN_NOT_CHOSEN_SQL}
  AND NOT EXISTS (SELECT 1 FROM message_turns r WHERE r.replay_of = message_turns.id)`;

/** Failed for good or expired in the window, not a person's choice, not yet resent. */
export const DEAD_ROW_SQL = `status IN (${sqlList(OUTBOX_DEAD_STATUSES)}) AND completed_at >= @deadSince AND ${NOT_CHOSEN_SQL}
  AND NOT EXISTS (SELECT 1 FROM message_outbox r WHERE r.resend_of = message_outbox.id)`;

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
  if (signature !== undefined) where.add(`error_signature = @signature AND ${ROW_FAILURE_SQL}`, { signature });
  if (fullText(search)) where.add(`${OUTBOX_SEARCH_TEXT} ILIKE @pattern`, { pattern: containsPattern(search) });
}
