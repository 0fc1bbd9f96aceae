import { DEFAULT_STUCK, turnStuckReason, type StuckThresholds } from '../../../shared/stuck';
import type { HistoryEntry, OutboxRow, Turn } from '../../../shared/types';
import type { AuditFilter, Page, TurnDetail } from '../../../shared/views';
import type { Core } from '../context';
import { LifecycleError } from '../errors';
import { HISTORY_SELECT, OUTBOX_SELECT, TURN_SELECT } from '../rows';
import { blockingRows } from './blocking';
import { decodeCursor } from './page';
import { outboxItem } from './lists';

// One turn with its rows and timeline; the timeline of a subject; the audit trail.

export function turnDetail(core: Core, id: string, th: StuckThresholds = DEFAULT_STUCK): TurnDetail {
  const turn = core.stmt(`SELECT ${TURN_SELECT} FROM message_turns WHERE id = ?`).get(id) as Turn | undefined;
  if (!turn) throw new LifecycleError('not_found', `no turn with id ${id}`);
  const now = core.now();
  const rows = core
    .stmt(`SELECT ${OUTBOX_SELECT} FROM message_outbox WHERE turn_id = ? ORDER BY queued_at, id LIMIT 1000`)
    .all(id) as OutboxRow[];
  // Resends of its rows (and of those resends), which have no turn: found by their links.
  const resends: OutboxRow[] = [];
  let of = rows.map((r) => r.id);
  for (let depth = 0; depth < MAX_RESEND_DEPTH && of.length > 0; depth++) {
    const next = core.stmt(RESENDS_SQL).all(JSON.stringify(of)) as OutboxRow[];
    resends.push(...next);
    of = next.map((r) => r.id);
  }
  const blocking = blockingRows(core, [id]).get(id) ?? null;
  const subjects = [id, ...resends.map((r) => r.id)];
  return {
    turn,
    stuckReason: turnStuckReason(turn, blocking, now, th),
    outbox: [...rows, ...resends].map((r) => outboxItem(r, now, th)),
    history: subjects.length === 1 ? history(core, id) : mergedHistory(core, subjects),
    replayedAs: core
      .stmt('SELECT id FROM message_turns WHERE replay_of = ? ORDER BY accepted_at, id LIMIT 100')
      .pluck()
      .all(id) as string[],
  };
}

/** Resends of resends are followed this far (a row resent, failed again, resent again…). */
const MAX_RESEND_DEPTH = 5;
const RESENDS_SQL = `SELECT ${OUTBOX_SELECT} FROM message_outbox WHERE resend_of IN (SELECT value FROM json_each(?))
  ORDER BY queued_at, id LIMIT 1000`;

/** The timelines of several subjects, by time (a turn's, then its rows' resends'). */
function mergedHistory(core: Core, subjects: readonly string[], limit = 1000): HistoryEntry[] {
  return core
    .stmt(
      `SELECT ${HISTORY_SELECT} FROM message_history WHERE subject_id IN (SELECT value FROM json_each(?))
       ORDER BY at, id LIMIT ?`,
    )
    .all(JSON.stringify(subjects), limit) as HistoryEntry[];
}

export function history(core: Core, subjectId: string, limit = 1000): HistoryEntry[] {
  return core
    .stmt(`SELECT ${HISTORY_SELECT} FROM message_history WHERE subject_id = ? ORDER BY id LIMIT ?`)
    .all(subjectId, limit) as HistoryEntry[];
}

/** How many audit entries a request gets: 100 unless it asks, never more than 1000. */
export function auditLimit(limit = 100): number {
  return Math.max(1, Math.min(limit, 1000));
}

/**
 * The operator actions, newest first, by page (cursor "at:id"), filtered by who (a part of the
 * name), action and time; a bulk job's per-row entries are left out (its one summary stays).
 */
export function auditTrail(core: Core, filter: AuditFilter = {}): Page<HistoryEntry> {
  const limit = auditLimit(filter.limit);
  const cursor = decodeCursor(filter.cursor);
  const terms = [AUDIT_SQL];
  const params: Record<string, unknown> = { limit: limit + 1 };
  if (filter.action !== undefined) {
    terms.push('action = @action');
    params.action = filter.action;
  }
  if (filter.since !== undefined) {
    terms.push('at >= @since');
    params.since = filter.since;
  }
  if (filter.until !== undefined) {
    terms.push('at < @until');
    params.until = filter.until;
  }
  if (cursor) {
    terms.push('at <= @cursorAt', '+(at < @cursorAt OR id < @cursorId)');
    Object.assign(params, { cursorAt: cursor.at, cursorId: Number(cursor.id) });
  }
  if (filter.by !== undefined) {
    terms.push("+(instr(lower(coalesce(actor_name, '')), lower(@by)) > 0)");
    params.by = filter.by;
  }
  const rows = core
    .stmt(
      `SELECT ${HISTORY_SELECT} FROM message_history WHERE ${terms.join(' AND ')} ORDER BY at DESC, id DESC LIMIT @limit`,
    )
    .all(params) as HistoryEntry[];
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? `${last.at}:${last.id}` : null };
}

/** What the audit lists: v5's partial indexes of it carry the same text. */
export const AUDIT_SQL = "actor = 'operator' AND job_id IS NULL";
