import { PAGE_LIMIT } from '../../../shared/api';
import type { Page } from '../../../shared/views';
import type { Core } from '../context';
import { LifecycleError } from '../errors';

// Keyset paging shared by the lists: a filter's WHERE terms, ordered by (time, id) either way,
// one row more than the page to know whether there is a next one. The cursor is "time:id".

export interface Cursor {
  at: number;
  id: string;
}

export function decodeCursor(cursor: string | null | undefined): Cursor | null {
  if (!cursor) return null;
  const [at, ...id] = cursor.split(':');
  const n = Number(at);
  if (!Number.isSafeInteger(n) || id.length === 0)
    throw new LifecycleError('invalid_argument', 'malformed page cursor');
  return { at: n, id: id.join(':') };
}

export function clampLimit(limit: number | undefined): number {
  return Math.max(PAGE_LIMIT.min, Math.min(limit ?? PAGE_LIMIT.default, PAGE_LIMIT.max));
}

/**
 * What the lists' filters (lists.ts) ask of a backend's WHERE builder: terms with `@name`
 * parameters, and the terms whose SQL differs between backends.
 */
export interface FilterWhere {
  add(term: string, params?: Record<string, unknown>): void;
  status(status: readonly string[] | undefined): void;
  /** Turns whose id is `search` or whose session key starts with it. */
  turnSearch(search: string): void;
  /** Rows whose id, turn id or idempotency key is `search`. */
  outboxSearch(search: string): void;
}

/** WHERE terms and their named parameters, built up by a list's filter. */
export class Where implements FilterWhere {
  readonly terms: string[] = ['1'];
  readonly params: Record<string, unknown> = {};

  add(term: string, params: Record<string, unknown> = {}): void {
    this.terms.push(term);
    Object.assign(this.params, params);
  }

  /** One status is an equality, so the (status, time) index also gives the order without a sort. */
  status(status: readonly string[] | undefined): void {
    if (!status?.length) return;
    if (status.length === 1) this.add('status = @status', { status: status[0] });
    else this.add('status IN (SELECT value FROM json_each(@status))', { status: JSON.stringify(status) });
  }

  turnSearch(search: string): void {
    // A union of two index searches; an OR here would let the planner scan the time index.
    this.add(
      `rowid IN (SELECT rowid FROM message_turns WHERE id = @search
        UNION ALL SELECT rowid FROM message_turns WHERE session_key >= @search AND session_key < @searchEnd)`,
      { search, searchEnd: `${search}\uffff` },
    );
  }

  outboxSearch(search: string): void {
    this.add(
      `rowid IN (SELECT rowid FROM message_outbox WHERE id = @search
        UNION ALL SELECT rowid FROM message_outbox WHERE turn_id = @search
        UNION ALL SELECT rowid FROM message_outbox WHERE idempotency_key = @search)`,
      { search },
    );
  }
}

export interface PageQuery<R, W = Where> {
  table: string;
  select: string;
  /** The time column and the field of a result row that holds it. */
  column: string;
  field: keyof R & string;
  where: W;
  order?: 'asc' | 'desc' | undefined;
  limit?: number | undefined;
  cursor?: string | null | undefined;
}

/** The page out of `limit + 1` rows fetched in order: the extra row only says there is a next page. */
export function toPage<R extends { id: string }>(rows: R[], limit: number, field: keyof R & string): Page<R> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? `${String(last[field])}:${last.id}` : null };
}

export function keysetPage<R extends { id: string }>(core: Core, q: PageQuery<R>): Page<R> {
  const limit = clampLimit(q.limit);
  const cursor = decodeCursor(q.cursor);
  const order = q.order ?? 'asc';
  const op = order === 'asc' ? '>' : '<';
  const dir = order === 'asc' ? 'ASC' : 'DESC';
  const after = cursor ? ` AND (${q.column} ${op} @cursorAt OR (${q.column} = @cursorAt AND id ${op} @cursorId))` : '';
  const rows = core
    .stmt(
      `SELECT ${q.select} FROM ${q.table} WHERE ${q.where.terms.join(' AND ')}${after}
       ORDER BY ${q.column} ${dir}, id ${dir} LIMIT @limit`,
    )
    .all({
      ...q.where.params,
      limit: limit + 1,
      ...(cursor ? { cursorAt: cursor.at, cursorId: cursor.id } : {}),
    }) as R[];
  return toPage(rows, limit, q.field);
}
