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
  opt('terminal_reason'),
].join(SEP)})`;

/** `text` as an ILIKE pattern that finds it anywhere, its wildcards (and the escape) taken literally. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, '\\$&')}%`;
}
