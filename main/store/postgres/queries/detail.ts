import { turnStuckReason } from '../../../../shared/stuck';
import type { HistoryEntry, OutboxRow, Turn } from '../../../../shared/types';
import type { TurnDetail } from '../../../../shared/views';
import { LifecycleError } from '../../../lifecycle/errors';
import { auditLimit } from '../../../lifecycle/queries/detail';
import { outboxItem } from '../../../lifecycle/queries/lists';
import { read, type PgCore, type Tx } from '../context';
import { PG_HISTORY_SELECT, PG_OUTBOX_SELECT, PG_TURN_SELECT } from '../rows';
import { blockingRows } from './blocking';
import { BYTEWISE } from './page';

// One turn with its rows and timeline; the timeline of a subject; the audit trail.

export function turnDetail(core: PgCore, id: string): Promise<TurnDetail> {
  return read(core, async (t) => {
    const turn = await t.one<Turn>(`SELECT ${PG_TURN_SELECT} FROM message_turns WHERE id = $1`, [id]);
    if (!turn) throw new LifecycleError('not_found', `no turn with id ${id}`);
    const rows = await t.all<OutboxRow>(
      `SELECT ${PG_OUTBOX_SELECT} FROM message_outbox WHERE turn_id = $1 ORDER BY queued_at, id ${BYTEWISE} LIMIT 1000`,
      [id],
    );
    const blocking = (await blockingRows(t, [id])).get(id) ?? null;
    return {
      turn,
      stuckReason: turnStuckReason(turn, blocking, t.now, core.stuck),
      outbox: rows.map((r) => outboxItem(r, t.now, core.stuck)),
      history: await historyOf(t, id),
      replayedAs: [],
    };
  });
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

/** The operator actions, newest first (ties newest id first, as SQLite's backward index scan gives them). */
export function auditTrail(core: PgCore, limit?: number): Promise<HistoryEntry[]> {
  return read(core, (t) =>
    t.all<HistoryEntry>(
      `SELECT ${PG_HISTORY_SELECT} FROM message_history WHERE actor = 'operator' ORDER BY at DESC, id DESC LIMIT $1`,
      [auditLimit(limit)],
    ),
  );
}
