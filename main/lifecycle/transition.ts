import { sqlList, type Core } from './context';
import { RELEASE_CLAIM, releaseArgs } from './claims';
import { record, type Who } from './history';

// SPEC "Guarded transitions": every status change is conditional on the current status, in
// the UPDATE itself, and reports whether it happened. One implementation for turns and rows.

export interface MoveOptions {
  reason?: string | null | undefined;
  /** Extra assignments: constants or `?` placeholders bound by `args`. */
  set?: string | undefined;
  args?: unknown[] | undefined;
  /** Release the claim (only ours or a lapsed one; claims.ts). Moves to a done status always clear it. */
  release?: boolean | undefined;
  /** An extra guard ANDed to the UPDATE's WHERE, with its `?` placeholders bound by `whereArgs`. */
  where?: string | undefined;
  whereArgs?: unknown[] | undefined;
}

export interface Moving {
  kind: 'turn' | 'outbox';
  table: 'message_turns' | 'message_outbox';
  /** The timeline subject of a row, as SQL: the turn it belongs to, or itself. */
  subject: string;
  /** A status after which the row never changes again (completed_at set, claim cleared). */
  isDone(status: string): boolean;
  /** Assignments of every move (e.g. updated_at), then of a move to a done status. */
  always(now: number): { sql: string; args: unknown[] };
  done(now: number, reason: string | null): { sql: string; args: unknown[] };
}

/** The UPDATE of one kind of move, built once per shape: `always`/`done` SQL is fixed per Moving. */
const moveSqlCache = new Map<string, string>();

/** `returning`: the subject comes back from the UPDATE itself (see guardedMove). */
function moveSql(
  m: Moving,
  from: readonly string[],
  to: string,
  options: MoveOptions,
  done: boolean,
  returning: boolean,
): string {
  const key = `${m.table}|${from.join(',')}|${to}|${done ? 1 : 0}|${options.release ? 1 : 0}|${returning ? 1 : 0}|${options.set ?? ''}|${options.where ?? ''}`;
  let sql = moveSqlCache.get(key);
  if (sql === undefined) {
    const set = ['status = ?', m.always(0).sql];
    if (done) set.push(m.done(0, null).sql);
    else if (options.release) set.push(RELEASE_CLAIM);
    if (options.set) set.push(options.set);
    sql = `UPDATE ${m.table} SET ${set.filter((s) => s !== '').join(', ')}
      WHERE id = ? AND status IN (${sqlList(from)})${options.where ? ` AND ${options.where}` : ''}${returning ? ` RETURNING ${m.subject} AS subject` : ''}`;
    moveSqlCache.set(key, sql);
  }
  return sql;
}

export function guardedMove(
  core: Core,
  m: Moving,
  id: string,
  from: readonly string[],
  to: string,
  who: Who,
  options: MoveOptions = {},
): boolean {
  return core.write((): boolean => {
    const now = core.now();
    const done = m.isDone(to);
    const args: unknown[] = [to, ...m.always(now).args];
    if (done) args.push(...m.done(now, options.reason ?? null).args);
    else if (options.release) args.push(...releaseArgs(core, now));
    if (options.set) args.push(...(options.args ?? []));
    args.push(id, ...(options.whereArgs ?? []));
    if (!from.includes(to)) {
      // The status surely changes, so the file's trigger wrote the entry that record() annotates:
      // no read first, the UPDATE says whether it happened (and the row's subject).
      let subject: string | undefined = id;
      if (m.subject === 'id') {
        if (core.stmt(moveSql(m, from, to, options, done, false)).run(...args).changes !== 1) return false;
      } else {
        const sql = moveSql(m, from, to, options, done, true);
        subject = (core.stmt(sql).get(...args) as { subject: string } | undefined)?.subject;
        if (subject === undefined) return false;
      }
      const known = from.length === 1 ? from[0]! : null;
      record(core, { kind: m.kind, entityId: id, subjectId: subject, from: known, to, reason: options.reason }, who);
      return true;
    }
    // The move may keep the status (a retry of a retry): read under the write lock
    // (BEGIN IMMEDIATE), so `before` is what the UPDATE changes.
    const before = core
      .stmt(`SELECT status, ${m.subject} AS subject FROM ${m.table} WHERE id = ? AND status IN (${sqlList(from)})`)
      .get(id) as { status: string; subject: string } | undefined;
    if (!before) return false;
    if (core.stmt(moveSql(m, from, to, options, done, false)).run(...args).changes !== 1) return false;
    record(
      core,
      { kind: m.kind, entityId: id, subjectId: before.subject, from: before.status, to, reason: options.reason },
      who,
    );
    return true;
  });
}
