import { HISTORY_SELECT, OUTBOX_SELECT, TURN_SELECT } from '../../lifecycle/rows';

// The column lists of ../../lifecycle/rows.ts with their camelCase aliases quoted, since
// PostgreSQL folds unquoted names to lower case.

const quoted = (select: string): string => select.replace(/\bAS "?(\w+)"?/g, 'AS "$1"');

export const PG_TURN_SELECT = quoted(TURN_SELECT);
export const PG_OUTBOX_SELECT = quoted(OUTBOX_SELECT);
export const PG_HISTORY_SELECT = quoted(HISTORY_SELECT);

/** The same lists with every column prefixed by `alias.` (for joins). */
export function prefixed(select: string, alias: string): string {
  return select.replace(/(^|,\s*)(\w+)/g, `$1${alias}.$2`);
}
