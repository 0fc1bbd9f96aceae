import { CHOSEN_TERMINAL_REASONS, OUTBOX_DEAD_STATUSES } from '../../../shared/triage';
import { finalFailedReason } from '../../lifecycle/finalize';
import { sqlList } from './context';

// The text a search (≥ 3 characters) looks in, as one SQL expression per table: the GIN trigram
// index (schema.ts, v3) is built on exactly this expression, and a query must repeat it word for
// word for the planner to use the index. Only immutable functions (coalesce, ||, left), so it can
// be indexed; a separator no search term contains keeps one field's end from matching the next's
// start.

const SEP = ` || chr(31) || `;
const opt = (column: string): string => `coalesce(${column}, '')`;

export const TURN_SEARCH_TEXT = `(${[
  'id',
  opt('external_id'),
  opt('dedupe_key'),
  'session_key',
  'left(payload, 2000)',
  opt('terminal_reason'),
].join(SEP)})`;

export const OUTBOX_SEARCH_TEXT = `(${[
  'id',
  opt('turn_id'),
  opt('idempotency_key'),
  'target',
  'left(payload, 1000)',
  opt('last_error'),
].join(SEP)})`;

/** Terms this short keep the prefix search of ids and session keys (trigrams need three characters). */
export const FULL_TEXT_MIN = 3;

/** `text` as an ILIKE pattern that finds it anywhere, its wildcards (and the escape) taken literally. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, '\\$&')}%`;
}

const notIn = (reasons: readonly string[]): string =>
  `(terminal_reason IS NULL OR terminal_reason NOT IN (${sqlList(reasons.map((r) => r.replaceAll("'", "''")))}))`;

/** A row's terminal reason that is not a person's choice (NULL is none). */
export const NOT_CHOSEN_SQL = notIn(CHOSEN_TERMINAL_REASONS);

/** Likewise for a turn: one whose final reply failed because of a person's choice (a terminate) is one too. */
export const TURN_NOT_CHOSEN_SQL = notIn([
  ...CHOSEN_TERMINAL_REASONS,
  ...CHOSEN_TERMINAL_REASONS.map((r) => finalFailedReason(r)),
]);

/** Outbox statuses that count as a failure in the error groups. */
export const ROW_FAILURE_STATUSES = ['failed_retryable', ...OUTBOX_DEAD_STATUSES] as const;
export const TURN_FAILURE_STATUSES = ['failed_retryable', 'failed_terminal'] as const;

/** When a failure happened, for the groups' window (completed, else the last attempt / update). */
export const ROW_FAILED_AT = '(coalesce(completed_at, last_attempt_at, queued_at))';
export const TURN_FAILED_AT = '(coalesce(completed_at, updated_at))';

/** A row's failure, as the groups count it (its signature is set). */
export const ROW_FAILURE_SQL = `status IN (${sqlList(ROW_FAILURE_STATUSES)}) AND ${NOT_CHOSEN_SQL}`;
export const TURN_FAILURE_SQL = `status IN (${sqlList(TURN_FAILURE_STATUSES)}) AND ${TURN_NOT_CHOSEN_SQL}`;
