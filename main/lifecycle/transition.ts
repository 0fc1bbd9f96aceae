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
    // Read under the write lock (BEGIN IMMEDIATE), so `before` is what the UPDATE changes.
    const before = core
      .stmt(`SELECT status, ${m.subject} AS subject FROM ${m.table} WHERE id = ? AND status IN (${sqlList(from)})`)
      .get(id) as { status: string; subject: string } | undefined;
    if (!before) return false;
    const now = core.now();
    const done = m.isDone(to);
    const parts = [m.always(now), ...(done ? [m.done(now, options.reason ?? null)] : [])];
    if (!done && options.release) parts.push({ sql: RELEASE_CLAIM, args: releaseArgs(core, now) });
    if (options.set) parts.push({ sql: options.set, args: options.args ?? [] });
    const set = parts.map((p) => p.sql).filter((sql) => sql !== '');
    const changed = core
      .stmt(
        `UPDATE ${m.table} SET ${['status = ?', ...set].join(', ')}
         WHERE id = ? AND status IN (${sqlList(from)})${options.where ? ` AND ${options.where}` : ''}`,
      )
      .run(to, ...parts.flatMap((p) => p.args), id, ...(options.whereArgs ?? [])).changes;
    if (changed !== 1) return false;
    record(
      core,
      { kind: m.kind, entityId: id, subjectId: before.subject, from: before.status, to, reason: options.reason },
      who,
    );
    return true;
  });
}
