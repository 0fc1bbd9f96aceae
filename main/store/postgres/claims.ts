import { TAKE_CLAIM } from '../../lifecycle/claims';

// The claim rules of ../../lifecycle/claims.ts hold as they are in PostgreSQL, but for SQLite's
// two-argument max(), which is GREATEST here.

/** `sql` (built on TAKE_CLAIM) in PostgreSQL's dialect. */
export function withGreatest(sql: string): string {
  return sql.replace(TAKE_CLAIM, TAKE_CLAIM.replace('max(', 'GREATEST('));
}
