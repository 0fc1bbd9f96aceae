import { CHOSEN_TERMINAL_REASONS, OUTBOX_DEAD_STATUSES } from '../../shared/triage';
import { sqlList } from './context';

// The SQL of issue 11's triage rules (dead letters, error groups), built once from shared/triage.ts.
// The partial indexes of migration v5 carry the same text in their WHERE, so a query that names
// one of these terms as written (not wrapped as a narrowing term) lets the planner prove the
// index applies.

const CHOSEN = `coalesce(terminal_reason, '') NOT IN (${sqlList(CHOSEN_TERMINAL_REASONS)})`;

/** Outbox rows that failed (and may still be retried or failed for good), not by a person's choice. */
export const OUTBOX_FAILURE_SQL = `status IN ('failed_retryable', ${sqlList(OUTBOX_DEAD_STATUSES)}) AND ${CHOSEN}`;
/** Turns that failed: retrying or failed for good. */
export const TURN_FAILURE_SQL = `status IN ('failed_retryable', 'failed_terminal')`;

/** When a failure happened, for the groups' window: its end, else its last attempt. */
export const OUTBOX_FAILED_AT = 'coalesce(completed_at, last_attempt_at, queued_at)';
export const TURN_FAILED_AT = 'coalesce(completed_at, updated_at)';

/** Failed for good and not by a person's choice (the time window and "not yet resent" are separate terms). */
export const OUTBOX_DEAD_SQL = `status IN (${sqlList(OUTBOX_DEAD_STATUSES)}) AND ${CHOSEN}`;
export const TURN_DEAD_SQL = `status = 'failed_terminal' AND ${CHOSEN}`;

/** Not yet resent / replayed as new (`alias`: the outer table's name). */
export const NOT_RESENT_SQL = (alias = 'message_outbox'): string =>
  `NOT EXISTS (SELECT 1 FROM message_outbox AS rs WHERE rs.resend_of = ${alias}.id)`;
export const NOT_REPLAYED_SQL = (alias = 'message_turns'): string =>
  `NOT EXISTS (SELECT 1 FROM message_turns AS rp WHERE rp.replay_of = ${alias}.id)`;

/** The error a row's signature is built from (the generated columns of v5 and PostgreSQL's alike). */
export const OUTBOX_ERROR_TEXT = 'coalesce(last_error, terminal_reason)';
export const TURN_ERROR_TEXT = 'terminal_reason';
