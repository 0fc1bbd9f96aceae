import { PAGE_LIMIT } from '../../../shared/api';
import type { Page } from '../../../shared/views';
import type { Core } from '../context';
import { LifecycleError } from '../errors';

// Keyset paging shared by the lists: a filter's WHERE terms, ordered by (time, id) either way,
// one row more than the page to know whether there is a next one. The cursor is "time:id".

interface Cursor {
  at: number;
  id: string;
}

function decodeCursor(cursor: string | null | undefined): Cursor | null {
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

/** WHERE terms and their named parameters, built up by a list's filter. */
export class Where {
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
}

export interface PageQuery<R> {
  table: string;
  select: string;
  /** The time column and the field of a result row that holds it. */
  column: string;
  field: keyof R & string;
  where: Where;
  order?: 'asc' | 'desc' | undefined;
  limit?: number | undefined;
  cursor?: string | null | undefined;
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
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? `${String(last[q.field])}:${last.id}` : null };
}
