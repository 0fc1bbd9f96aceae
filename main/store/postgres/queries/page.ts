import type { Page } from '../../../../shared/views';
import {
  clampLimit,
  decodeCursor,
  toPage,
  type Equal,
  type FilterWhere,
  type PageQuery,
} from '../../../lifecycle/queries/page';
import type { Tx } from '../context';
import { Params } from '../params';
import { OUTBOX_SEARCH_TEXT, TURN_SEARCH_TEXT, containsPattern } from '../search';

// The lists' WHERE builder and keyset paging on PostgreSQL: the same filters and cursors as
// SQLite's (../../../lifecycle/queries/page.ts), with $n placeholders.

/** `sql` with its `@name` parameters (as the core's read SQL is written, e.g. STUCK_TURN_SQL) bound in `params`. */
export function bindNamed(params: Params, sql: string, named: Record<string, unknown>): string {
  return sql.replace(/@(\w+)/g, (_, name: string) => {
    if (!Object.hasOwn(named, name)) throw new Error(`no value for @${name} in: ${sql}`);
    return params.p(named[name]);
  });
}

/** SQLite orders text bytewise (BINARY); the "C" collation does the same whatever the database's. */
export const BYTEWISE = 'COLLATE "C"';

export class PgWhere implements FilterWhere {
  readonly terms: string[] = ['TRUE'];
  readonly params = new Params();

  add(term: string, named: Record<string, unknown> = {}): void {
    this.terms.push(bindNamed(this.params, term, named));
  }

  sql(): string {
    return this.terms.join(' AND ');
  }

  // PostgreSQL's planner weighs the other terms itself (statistics per value), but like
  // SQLite's it cannot merge the ordered walks of several statuses: keysetPage makes them a
  // UNION ALL of LIMITed branches, each with its own value bound (so each is planned for it).
  driven = false;
  /** One ordered walk per value of `column` (after `head`, an equality already bound), merged. */
  branch: { column: string; values: string[]; head: string } | null = null;

  private equal(eq: Equal): string {
    return eq.value === null ? `${eq.column} IS NULL` : `${eq.column} = ${this.params.p(eq.value)}`;
  }

  walk(eq: Equal): void {
    this.terms.push(this.equal(eq));
    this.driven = true;
  }

  branches(column: string, values: readonly string[], prefix?: Equal): void {
    const head = prefix ? `${this.equal(prefix)} AND ` : '';
    const distinct = [...new Set(values)];
    if (distinct.length === 1) this.terms.push(`${head}${column} = ${this.params.p(distinct[0])}`);
    else if (this.driven) this.terms.push(`${head}${column} = ANY(${this.params.p(distinct)}::text[])`);
    else this.branch = { column, values: distinct, head };
    this.driven = true;
  }

  few(term: string, named: Record<string, unknown> = {}): void {
    this.add(term, named);
    this.driven = true;
  }

  turnSearch(search: string): void {
    // LIKE with a literal prefix is a range on the text_pattern_ops index, whatever the collation.
    this.add('(id = @search OR session_key LIKE @prefix)', { search, prefix: `${likeEscaped(search)}%` });
  }

  outboxSearch(search: string): void {
    this.add('(id = @search OR turn_id = @search OR idempotency_key = @search)', { search });
  }

  /**
   * Any part of the searched text (search.ts), case-insensitive: ILIKE on the trigram index's
   * very expression, so the planner can take it (or walk the time index when the term is
   * common). Without pg_trgm the same term scans; it is always there, so this always answers.
   */
  fullText(table: string, search: string): boolean {
    const text = table === 'message_turns' ? TURN_SEARCH_TEXT : OUTBOX_SEARCH_TEXT;
    this.add(`${text} ILIKE @pattern`, { pattern: containsPattern(search) });
    return true;
  }

  bound(term: string, named: Record<string, unknown>): void {
    this.add(term, named);
  }
}

/** `text` with LIKE's wildcards (and its escape character) taken literally. */
function likeEscaped(text: string): string {
  return text.replace(/[\\%_]/g, '\\$&');
}

export async function keysetPage<R extends { id: string }>(t: Tx, q: PageQuery<R, PgWhere>): Promise<Page<R>> {
  const limit = clampLimit(q.limit);
  const cursor = decodeCursor(q.cursor);
  const asc = (q.order ?? 'asc') === 'asc';
  const op = asc ? '>' : '<';
  const dir = asc ? 'ASC' : 'DESC';
  const { where } = q;
  if (cursor) {
    // The first term alone bounds the index range; the second skips the ties already shown.
    where.add(`${q.column} ${op}= @cursorAt AND (${q.column} ${op} @cursorAt OR id ${BYTEWISE} ${op} @cursorId)`, {
      cursorAt: cursor.at,
      cursorId: cursor.id,
    });
  }
  const n = where.params.p(limit + 1);
  const order = (alias: string, column: string): string =>
    `ORDER BY ${alias}${column} ${dir}, ${alias}id ${BYTEWISE} ${dir} LIMIT ${n}`;
  const filter = where.sql();
  const sql = where.branch
    ? `SELECT b.* FROM (${
        where.branch.values
          .map(
            (v) =>
              `(SELECT ${q.select} FROM ${q.table} WHERE ${where.branch!.head}${where.branch!.column} = ${where.params.p(v)}
                  AND ${filter} ${order('', q.column)})`,
          )
          .join(' UNION ALL ') || `SELECT ${q.select} FROM ${q.table} WHERE FALSE`
      }) AS b ${order('b.', `"${q.field}"`)}`
    : `SELECT ${q.select} FROM ${q.table} WHERE ${filter} ${order('', q.column)}`;
  const rows = await t.all<R>(sql, where.params.values);
  return toPage(rows, limit, q.field);
}
