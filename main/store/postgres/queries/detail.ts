import { turnStuckReason } from '../../../../shared/stuck';
import type { HistoryEntry, OutboxRow, Turn } from '../../../../shared/types';
import type { AuditFilter, Page, TurnDetail } from '../../../../shared/views';
import { LifecycleError } from '../../../lifecycle/errors';
import { auditLimit } from '../../../lifecycle/queries/detail';
import { outboxItem } from '../../../lifecycle/queries/lists';
import { decodeCursor } from '../../../lifecycle/queries/page';
import { read, type PgCore, type Tx } from '../context';
import { Params } from '../params';
import { PG_HISTORY_SELECT, PG_OUTBOX_SELECT, PG_TURN_SELECT } from '../rows';
import { AUDIT_ENTRY_SQL } from '../schema';
import { containsPattern } from '../search';
import { blockingRows } from './blocking';
import { BYTEWISE } from './page';

// One turn with its rows (and the resends of them) and timeline; the timeline of a subject; the audit trail.

/** How many rows a detail lists, and how many generations of resends (a resend of a resend…) it follows. */
const DETAIL_ROWS = 1000;
const RESEND_DEPTH = 20;

/** The resends of `ids`, of those resends, and so on: oldest first. */
async function resendsOf(t: Tx, ids: readonly string[]): Promise<OutboxRow[]> {
  const found: OutboxRow[] = [];
  let wave = [...ids];
  for (let depth = 0; depth < RESEND_DEPTH && wave.length > 0 && found.length < DETAIL_ROWS; depth++) {
    const rows = await t.all<OutboxRow>(
      `SELECT ${PG_OUTBOX_SELECT} FROM message_outbox WHERE resend_of = ANY($1::text[])
       ORDER BY queued_at, id ${BYTEWISE} LIMIT $2`,
      [wave, DETAIL_ROWS - found.length],
    );
    found.push(...rows);
    wave = rows.map((r) => r.id);
  }
  return found;
}

export function turnDetail(core: PgCore, id: string): Promise<TurnDetail> {
  return read(core, async (t) => {
    const turn = await t.one<Turn>(`SELECT ${PG_TURN_SELECT} FROM message_turns WHERE id = $1`, [id]);
    if (!turn) throw new LifecycleError('not_found', `no turn with id ${id}`);
    const rows = await t.all<OutboxRow>(
      `SELECT ${PG_OUTBOX_SELECT} FROM message_outbox WHERE turn_id = $1 ORDER BY queued_at, id ${BYTEWISE} LIMIT $2`,
      [id, DETAIL_ROWS],
    );
    const resends = await resendsOf(
      t,
      rows.map((r) => r.id),
    );
    const blocking = (await blockingRows(t, [id])).get(id) ?? null;
    const replayedAs = await t.all<{ id: string }>(
      `SELECT id FROM message_turns WHERE replay_of = $1 ORDER BY accepted_at, id ${BYTEWISE}`,
      [id],
    );
    return {
      turn,
      stuckReason: turnStuckReason(turn, blocking, t.now, core.stuck),
      outbox: [...rows, ...resends].map((r) => outboxItem(r, t.now, core.stuck)),
      history: await timelineOf(t, [id, ...resends.map((r) => r.id)]),
      replayedAs: replayedAs.map((r) => r.id),
    };
  });
}

/** The entries of these subjects (a resend is the subject of its own), merged by time. */
async function timelineOf(t: Tx, subjectIds: readonly string[], limit = 1000): Promise<HistoryEntry[]> {
  if (subjectIds.length === 1) return historyOf(t, subjectIds[0]!, limit);
  return t.all<HistoryEntry>(
    `SELECT ${PG_HISTORY_SELECT} FROM message_history WHERE subject_id = ANY($1::text[]) ORDER BY at, id LIMIT $2`,
    [subjectIds, limit],
  );
}

function historyOf(t: Tx, subjectId: string, limit = 1000): Promise<HistoryEntry[]> {
  return t.all<HistoryEntry>(
    `SELECT ${PG_HISTORY_SELECT} FROM message_history WHERE subject_id = $1 ORDER BY id LIMIT $2`,
    [subjectId, limit],
  );
}

export function history(core: PgCore, subjectId: string): Promise<HistoryEntry[]> {
  return read(core, (t) => historyOf(t, subjectId));
}

/**
 * The operator actions, newest first (ties newest id first, as SQLite's backward index scan
 * gives them), filtered and by page: the cursor is "at:id" of the page's last entry. A bulk
 * job's per-row entries are left out (its one summary stays).
 */
export function auditTrail(core: PgCore, f: AuditFilter = {}): Promise<Page<HistoryEntry>> {
  return read(core, async (t) => {
    const b = new Params();
    const terms = [AUDIT_ENTRY_SQL];
    if (f.action !== undefined) terms.push(`action = ${b.p(f.action)}`);
    if (f.by !== undefined) terms.push(`actor_name ILIKE ${b.p(containsPattern(f.by))}`);
    if (f.since !== undefined) terms.push(`at >= ${b.p(f.since)}::bigint`);
    if (f.until !== undefined) terms.push(`at < ${b.p(f.until)}::bigint`);
    const cursor = decodeCursor(f.cursor);
    if (cursor) {
      const id = Number(cursor.id);
      if (!Number.isSafeInteger(id)) throw new LifecycleError('invalid_argument', 'malformed page cursor');
      terms.push(`(at, id) < (${b.p(cursor.at)}::bigint, ${b.p(id)}::bigint)`);
    }
    const limit = auditLimit(f.limit);
    const rows = await t.all<HistoryEntry>(
      `SELECT ${PG_HISTORY_SELECT} FROM message_history WHERE ${terms.join(' AND ')}
       ORDER BY at DESC, id DESC LIMIT ${b.p(limit + 1)}`,
      b.values,
    );
    const items = rows.slice(0, limit);
    const last = items.at(-1);
    return { items, nextCursor: rows.length > limit && last ? `${last.at}:${last.id}` : null };
  });
}
