import { PAGE_LIMIT } from '../../../shared/api';
import type { Page } from '../../../shared/views';
import type { Core } from '../context';
import { LifecycleError } from '../errors';
import { hasSchemaObject } from './indexed-by';

// Keyset paging shared by the lists: ordered by (time, id) either way, one row more than the
// page to know whether there is a next one. The cursor is "time:id".
//
// A filter's terms do not leave the plan to the planner: the lists (lists.ts) name the term
// that drives the page (an index that gives the rows in time order, one such walk per status,
// or a few rows found by key) and every other term only narrows what that walk reads. So a
// page reads about `limit` index entries per branch whatever the size of the file, instead of
// sorting every row of a broad filter (a kind, two statuses) to keep the newest 100.

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

/** An equality on one column; `null` is IS NULL (an outbox row with no dispatch kind). */
export interface Equal {
  column: string;
  value: string | null;
}

/**
 * What the lists' filters (lists.ts) ask of a backend's WHERE builder. The first driving call
 * (`walk`, `branches`, `few`, or a search that finds its rows by key) decides how the page is
 * found; a driving call after it only narrows, like `add`.
 */
export interface FilterWhere {
  /** Narrows the rows, never drives: `@name` parameters. */
  add(term: string, params?: Record<string, unknown>): void;
  /** The rows in time order from the index on (column, time). */
  walk(eq: Equal): void;
  /**
   * One ordered walk per value of `column`, on the index (prefix, column, time), each stopped
   * at the page's size, merged: a bounded set (values × limit) sorted, whatever the data.
   */
  branches(column: string, values: readonly string[], prefix?: Equal): void;
  /** A few rows found by key (`term` on ids: a turn's rows…), sorted. */
  few(term: string, params?: Record<string, unknown>): void;
  /** Turns whose id is `search` or whose session key starts with it (`statuses`: the page's, if it has some). */
  turnSearch(search: string, statuses?: readonly string[] | null): void;
  /** Rows whose id, turn id or idempotency key is `search`. */
  outboxSearch(search: string): void;
  /**
   * Full-text search (issue 11, at least MIN_FULL_TEXT characters): the page is the matches,
   * newest first by the index's own order (its cursor is that order's key), every other term
   * narrows. False when this data has no full-text index (an older file opened read-only): the
   * caller falls back to the key search. Optional until every backend has it.
   */
  fullText?(table: string, search: string): boolean;
  /** A bound on the page's time column (since/until): narrows, and limits the range an ordered walk reads. */
  bound?(term: string, params: Record<string, unknown>): void;
  /** Whether a driving call was made (the rest only narrow). */
  readonly driven: boolean;
}

type Params = Record<string, unknown>;

/** A part of a page's rows: a term found by key, or ordered walks (one per value of @drive_n). */
type Part = { kind: 'few'; term: string } | { kind: 'branches'; term: string; values: string; count: string };

/**
 * How many keys a session prefix may cover for the search to find its turns by key: up to
 * FEW_ROWS turns are sorted; else up to FEW_KEYS sessions are walked in order, each; a broader
 * prefix matches so many turns that walking the time index finds a page at once.
 */
export const FEW_ROWS = 2_000;
export const FEW_KEYS = 48;

export { MIN_FULL_TEXT } from '../../../shared/triage';

/** An FTS5 query for `text` as one phrase: any part of a value (trigrams), case-insensitive. */
export function ftsPhrase(text: string): string {
  return `"${text.replaceAll('"', '""')}"`;
}

/** Unary plus: the same value, but the planner cannot use an index for the term (it only narrows). */
const narrowing = (term: string): string => `+(${term})`;

/** WHERE terms and their named parameters, built up by a list's filter, and how the page is driven. */
export class Where implements FilterWhere {
  readonly terms: string[] = [];
  readonly params: Params = {};
  /** An ordered walk of one index: the term that selects it (empty: the time index). */
  walkTerm: string | null = null;
  readonly parts: Part[] = [];
  /** Bounds on the time column: part of an ordered walk's range, narrowing where rows are found by key. */
  readonly bounds: string[] = [];
  /** A full-text search drives the page: its index table. */
  fts: string | null = null;

  /** `core` lets a search probe the session index to decide how to find its rows; without it a search only narrows. */
  constructor(private readonly core?: Core) {}

  get driven(): boolean {
    return this.walkTerm !== null || this.parts.length > 0 || this.fts !== null;
  }

  fullText(table: string, search: string): boolean {
    const fts = `${table}_fts`;
    // Both indexes: a file of an earlier draft of v5 had only the first (it keeps the key search).
    if (!this.core || !hasSchemaObject(this.core, fts) || !hasSchemaObject(this.core, `${fts}_error`)) return false;
    if (this.driven) {
      // Only narrows: the row's own entry must match (by rowid, with its id), in either index.
      this.add(
        `(rowid, id) IN (SELECT rowid, fts_id FROM ${fts} WHERE ${fts} MATCH @ftsNarrow
           UNION ALL SELECT rowid, fts_id FROM ${fts}_error WHERE ${fts}_error MATCH @ftsNarrow)`,
        { ftsNarrow: ftsPhrase(search) },
      );
      return true;
    }
    this.fts = fts;
    this.params.fts = ftsPhrase(search);
    return true;
  }

  bound(term: string, params: Params): void {
    this.bounds.push(term);
    Object.assign(this.params, params);
  }

  add(term: string, params: Params = {}): void {
    this.terms.push(narrowing(term));
    Object.assign(this.params, params);
  }

  private equal(eq: Equal, name: string): string {
    if (eq.value === null) return `${eq.column} IS NULL`;
    this.params[name] = eq.value;
    return `${eq.column} = @${name}`;
  }

  walk(eq: Equal): void {
    if (this.driven) return this.add(this.equal(eq, `n_${eq.column}`));
    this.walkTerm = this.equal(eq, `w_${eq.column}`);
  }

  branches(column: string, values: readonly string[], prefix?: Equal): void {
    const name = `drive${this.parts.length}`;
    const list = JSON.stringify([...new Set(values)]);
    if (this.driven) {
      if (prefix) this.add(this.equal(prefix, `n_${prefix.column}`));
      return this.add(`${column} IN (SELECT value FROM json_each(@${name}))`, { [name]: list });
    }
    this.params[name] = list;
    const head = prefix ? `${this.equal(prefix, `b_${prefix.column}`)} AND ` : '';
    this.parts.push({
      kind: 'branches',
      term: `${head}${column} = d.value`,
      values: name,
      count: `${head}${column} IN (SELECT value FROM json_each(@${name}))`,
    });
  }

  few(term: string, params: Params = {}): void {
    if (this.driven) return this.add(term, params);
    this.parts.push({ kind: 'few', term });
    Object.assign(this.params, params);
  }

  turnSearch(search: string, statuses?: readonly string[] | null): void {
    const searchEnd = `${search}\uffff`;
    const range = 'session_key >= @search AND session_key < @searchEnd';
    const keys = this.driven || !this.core ? null : this.prefixKeys(search, searchEnd);
    if (!keys) return this.add(`id = @search OR (${range})`, { search, searchEnd });
    Object.assign(this.params, { search, searchEnd });
    this.parts.push({ kind: 'few', term: 'id = @search' });
    if (keys === 'few') this.parts.push({ kind: 'few', term: range });
    else if (statuses && keys.length * statuses.length <= FEW_KEYS) {
      // Each session's turns of each status on (session_key, status, time): a session's stuck
      // turns are found without walking its delivered ones.
      this.params.searchKeys = JSON.stringify(keys.flatMap((k) => [...new Set(statuses)].map((st) => [k, st])));
      this.parts.push({
        kind: 'branches',
        term: "session_key = json_extract(d.value, '$[0]') AND status = json_extract(d.value, '$[1]')",
        values: 'searchKeys',
        count:
          "(session_key, status) IN (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(@searchKeys))",
      });
    } else if (keys.length) {
      this.params.searchKeys = JSON.stringify(keys);
      this.parts.push({
        kind: 'branches',
        term: 'session_key = d.value',
        values: 'searchKeys',
        count: 'session_key IN (SELECT value FROM json_each(@searchKeys))',
      });
    }
  }

  /**
   * What a session prefix covers, probed on the session index: 'few' turns (sort them), else
   * the few session keys (walk each), else null (so many that the prefix only narrows a walk).
   */
  private prefixKeys(search: string, searchEnd: string): 'few' | string[] | null {
    const core = this.core!;
    const rows = (
      core
        .stmt(
          `SELECT count(*) AS n FROM (SELECT 1 FROM message_turns
             WHERE session_key >= @search AND session_key < @searchEnd LIMIT @bound)`,
        )
        .get({ search, searchEnd, bound: FEW_ROWS + 1 }) as { n: number }
    ).n;
    if (rows <= FEW_ROWS) return 'few';
    // Distinct keys by skipping from one to the next (one index seek each), never reading a session's turns.
    const keys = core
      .stmt(
        `WITH RECURSIVE k(key) AS (
           SELECT min(session_key) FROM message_turns WHERE session_key >= @search AND session_key < @searchEnd
           UNION ALL SELECT (SELECT min(session_key) FROM message_turns WHERE session_key > k.key AND session_key < @searchEnd)
             FROM k WHERE k.key IS NOT NULL LIMIT @bound)
         SELECT key FROM k WHERE key IS NOT NULL`,
      )
      .pluck()
      .all({ search, searchEnd, bound: FEW_KEYS + 1 }) as string[];
    return keys.length <= FEW_KEYS ? keys : null;
  }

  outboxSearch(search: string): void {
    if (this.driven) return this.add('id = @search OR turn_id = @search OR idempotency_key = @search', { search });
    this.params.search = search;
    for (const column of ['id', 'turn_id', 'idempotency_key'])
      this.parts.push({ kind: 'few', term: `${column} = @search` });
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

/** The page's SQL and parameters (exported for the plans test). */
export function pageSql<R>(q: PageQuery<R>): { sql: string; params: Params } {
  const limit = clampLimit(q.limit);
  const cursor = decodeCursor(q.cursor);
  const asc = (q.order ?? 'asc') === 'asc';
  const op = asc ? '>' : '<';
  const dir = asc ? 'ASC' : 'DESC';
  const { where, table, column } = q;
  const order = `ORDER BY ${column} ${dir}, id ${dir} LIMIT @limit`;
  // The first term bounds the index range the walk reads; the second skips the ties already shown.
  const after = cursor
    ? [`${column} ${op}= @cursorAt`, narrowing(`${column} ${op} @cursorAt OR id ${op} @cursorId`)]
    : [];
  const and = (terms: readonly string[]): string => (terms.length ? terms.join(' AND ') : '1');
  const params: Params = {
    ...where.params,
    limit: limit + 1,
    ...(cursor ? { cursorAt: cursor.at, cursorId: cursor.id } : {}),
  };
  if (where.fts) return ftsPageSql(q, where.fts, params, cursor, asc);
  if (where.parts.length === 0) {
    const terms = [...(where.walkTerm ? [where.walkTerm] : []), ...where.terms, ...where.bounds, ...after];
    return { sql: `SELECT ${q.select} FROM ${table} WHERE ${and(terms)} ${order}`, params };
  }
  const narrow = [...where.terms, ...where.bounds, ...after];
  const parts = where.parts.map((p) =>
    p.kind === 'few'
      ? `SELECT id FROM ${table} WHERE ${and([p.term, ...narrow.map((t) => (t === after[0] || where.bounds.includes(t) ? narrowing(t) : t))])}`
      : `SELECT b.id FROM json_each(@${p.values}) AS d JOIN ${table} AS b ON b.id IN (
           SELECT id FROM ${table} WHERE ${and([p.term, ...narrow])} ${order})`,
  );
  return {
    // By id, not rowid: the read-only shim's views over an older file have no rowid.
    sql: `SELECT ${q.select} FROM ${table} WHERE id IN (${parts.join(' UNION ALL ')}) ${order}`,
    params,
  };
}

/** The column a full-text page's rows carry their position in the index in (the cursor's key). */
const FTS_KEY = 'ftsRowid';

/**
 * The terms that pick a table's rows from one of its full-text indexes (`f`): the entry matches
 * and the row at that rowid still has the entry's id (VACUUM may renumber rowids). The error's
 * index counts only rows the keys' index does not match, so that each row is found once.
 */
function ftsArm(table: string, fts: string, index: string): string[] {
  const terms = [`${index} MATCH @fts`, `${table}.id = f.fts_id`];
  if (index !== fts) terms.push(`NOT EXISTS (SELECT 1 FROM ${fts} WHERE ${fts} MATCH @fts AND rowid = f.rowid)`);
  return terms;
}

/**
 * A page of full-text matches: the entries of both indexes (keys and payload; the error) in
 * rowid order (newest rows last), then the filter's other terms. UNION ALL with ORDER BY merges
 * the two walks, each in its index's rowid order, so each stops at the page's limit (a UNION
 * would order each by all columns to merge duplicates, and sort every match). Cursor: "rowid:id".
 */
function ftsPageSql<R>(
  q: PageQuery<R>,
  fts: string,
  params: Params,
  cursor: Cursor | null,
  asc: boolean,
): { sql: string; params: Params } {
  const { table, where } = q;
  const arm = (index: string): string => {
    const terms = [
      ...ftsArm(table, fts, index),
      ...where.terms,
      ...where.bounds.map(narrowing),
      ...(cursor ? [`f.rowid ${asc ? '>' : '<'} @cursorAt`] : []),
    ];
    return `SELECT ${q.select}, f.rowid AS ${FTS_KEY} FROM ${index} AS f JOIN ${table} ON ${table}.rowid = f.rowid
      WHERE ${terms.join(' AND ')}`;
  };
  return {
    sql: `${arm(fts)} UNION ALL ${arm(`${fts}_error`)} ORDER BY ${FTS_KEY} ${asc ? 'ASC' : 'DESC'} LIMIT @limit`,
    params,
  };
}

/** How many rows the filter of `where` matches, exactly, on the same index the page would walk. */
export function countSql(table: string, where: Where): { sql: string; params: Params } {
  const and = (terms: readonly string[]): string => (terms.length ? terms.join(' AND ') : '1');
  const params = { ...where.params };
  if (where.fts) {
    const fts = where.fts;
    const count = (index: string): string =>
      `SELECT count(*) FROM ${index} AS f JOIN ${table} ON ${table}.rowid = f.rowid
         WHERE ${and([...ftsArm(table, fts, index), ...where.terms, ...where.bounds.map(narrowing)])}`;
    return { sql: `SELECT (${count(fts)}) + (${count(`${fts}_error`)}) AS n`, params };
  }
  if (where.parts.length === 0) {
    const terms = [...(where.walkTerm ? [where.walkTerm] : []), ...where.terms, ...where.bounds];
    return { sql: `SELECT count(*) AS n FROM ${table} WHERE ${and(terms)}`, params };
  }
  // The parts as plain terms (a walk per value becomes an IN), any of them: each row once, and
  // the count reads index entries only where the terms allow.
  const parts = where.parts.map((p) => (p.kind === 'few' ? p.term : p.count));
  const any = parts.length === 1 ? parts[0]! : `(${parts.map((p) => `(${p})`).join(' OR ')})`;
  return { sql: `SELECT count(*) AS n FROM ${table} WHERE ${and([any, ...where.terms, ...where.bounds])}`, params };
}

export function keysetPage<R extends { id: string }>(core: Core, q: PageQuery<R>): Page<R> {
  const { sql, params } = pageSql(q);
  const rows = core.stmt(sql).all(params) as R[];
  if (!q.where.fts) return toPage(rows, clampLimit(q.limit), q.field);
  const page = toPage(rows as (R & { [FTS_KEY]: number })[], clampLimit(q.limit), FTS_KEY);
  for (const r of page.items) delete (r as Partial<Record<string, unknown>>)[FTS_KEY];
  return page as Page<R>;
}
