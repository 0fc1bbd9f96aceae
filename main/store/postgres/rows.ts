import { HISTORY_SELECT, OUTBOX_SELECT, TURN_SELECT } from '../../lifecycle/rows';

// The column lists of ../../lifecycle/rows.ts with their camelCase aliases quoted, since
// PostgreSQL folds unquoted names to lower case, and with schema v3's columns (issue 11) where
// the shared lists do not name them yet.

const quoted = (select: string): string => select.replace(/\bAS "?(\w+)"?/g, 'AS "$1"');

/** `select` with each of `extra` ([column, alias]) the list does not already have. */
function withColumns(select: string, extra: readonly (readonly [string, string])[]): string {
  const missing = extra.filter(([column]) => !new RegExp(`\\b${column}\\b`).test(select));
  return [select, ...missing.map(([column, alias]) => `${column} AS ${alias}`)].join(', ');
}

export const PG_TURN_SELECT = quoted(withColumns(TURN_SELECT, [['replay_of', 'replayOf']]));
export const PG_OUTBOX_SELECT = quoted(withColumns(OUTBOX_SELECT, [['resend_of', 'resendOf']]));
export const PG_HISTORY_SELECT = quoted(
  withColumns(HISTORY_SELECT, [
    ['action', 'action'],
    ['note', 'note'],
    ['job_id', 'jobId'],
  ]),
);

/** The same lists with every column prefixed by `alias.` (for joins). */
export function prefixed(select: string, alias: string): string {
  return select.replace(/(^|,\s*)(\w+)/g, `$1${alias}.$2`);
}
