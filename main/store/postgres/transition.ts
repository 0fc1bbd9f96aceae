import { RELEASE_CLAIM, releaseArgs } from '../../lifecycle/claims';
import type { Who } from './history';
import type { MoveOptions, Moving } from '../../lifecycle/transition';
import type { PgCore, Tx } from './context';
import { entriesFrom } from './history';
import { Params } from './params';

// SPEC "Guarded transitions" on PostgreSQL: the rules of ../../lifecycle/transition.ts (the
// same Moving and MoveOptions), with each move and its timeline entry in one statement. Rows
// are locked as they are picked, and the UPDATE re-checks its guard on the latest version.

/**
 * moveMany's selection: the rows of `table` matching `where` (bound to the same Params), locked;
 * `tail` orders, limits, or skips rows other transactions have locked.
 */
export function pick(table: string, where: string, tail = 'FOR UPDATE'): string {
  return `SELECT id AS picked_id, status AS picked_status FROM ${table} WHERE ${where} ${tail}`;
}

/** moveMany's selection of at most `limit` rows matching `where` that no other transaction has locked. */
export function pickUnlocked(b: Params, table: string, where: string, limit: number): string {
  return pick(table, where, `LIMIT ${b.p(limit)} FOR UPDATE SKIP LOCKED`);
}

/**
 * Moves to `to` every row that `selection` (a `pick` bound to `b`) locked and that is still in
 * one of `from` and matches `options.where`; each gets its timeline entry. Returns the ids moved.
 */
export async function moveMany(
  t: Tx,
  core: PgCore,
  m: Moving,
  b: Params,
  selection: string,
  from: readonly string[],
  to: string,
  who: Who,
  options: MoveOptions = {},
): Promise<string[]> {
  const done = m.isDone(to);
  const parts = [m.always(t.now), ...(done ? [m.done(t.now, options.reason ?? null)] : [])];
  if (!done && options.release) parts.push({ sql: RELEASE_CLAIM, args: releaseArgs(core, t.now) });
  if (options.set) parts.push({ sql: options.set, args: options.args ?? [] });
  const set = [`status = ${b.p(to)}`, ...parts.filter((p) => p.sql !== '').map((p) => b.bind(p.sql, p.args))];
  const where = options.where ? ` AND ${b.bind(options.where, options.whereArgs ?? [])}` : '';
  const rows = await t.all<{ id: string }>(
    `WITH picked AS (${selection}),
     moved AS (
       UPDATE ${m.table} SET ${set.join(', ')} FROM picked
       WHERE id = picked.picked_id AND status = ANY(${b.p(from)}::text[])${where}
       RETURNING id, ${m.subject} AS subject, picked.picked_status AS from_status
     ),
     entries AS (${entriesFrom(b, t, core, m.kind, to, who, options.reason, 'moved')})
     SELECT id FROM moved`,
    b.values,
  );
  return rows.map((r) => r.id);
}

/** One guarded move (lifecycle/transition.ts guardedMove): false if the row was not in one of `from`. */
export async function guardedMove(
  t: Tx,
  core: PgCore,
  m: Moving,
  id: string,
  from: readonly string[],
  to: string,
  who: Who,
  options: MoveOptions = {},
): Promise<boolean> {
  const b = new Params();
  const one = pick(m.table, `id = ${b.p(id)} AND status = ANY(${b.p(from)}::text[])`);
  return (await moveMany(t, core, m, b, one, from, to, who, options)).length === 1;
}

/**
 * Inserts a row (`columns`, its status among them) with its timeline entry; `conflict` is an
 * ON CONFLICT clause, after which nothing is returned. Returns the row as `select` lists it;
 * `reason` is its entry's (e.g. "resend of …").
 */
export async function insertWithEntry<R>(
  t: Tx,
  core: PgCore,
  m: Moving,
  columns: Record<string, unknown>,
  conflict: string,
  select: string,
  who: Who,
  reason: string | null = null,
): Promise<R | undefined> {
  const b = new Params();
  const names = Object.keys(columns);
  const values = Object.values(columns).map((v) => b.p(v));
  const source = `(SELECT id, ${m.subject} AS subject, NULL::text AS from_status FROM inserted) AS s`;
  return t.one<R>(
    `WITH inserted AS (
       INSERT INTO ${m.table} (${names.join(', ')}) VALUES (${values.join(', ')}) ${conflict} RETURNING *
     ),
     entries AS (${entriesFrom(b, t, core, m.kind, String(columns.status), who, reason, source)})
     SELECT ${select} FROM inserted`,
    b.values,
  );
}
