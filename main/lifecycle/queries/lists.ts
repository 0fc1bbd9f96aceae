import { DEFAULT_STUCK, rowStuckReason, turnStuckReason, type StuckThresholds } from '../../../shared/stuck';
import type { OutboxRow, Turn } from '../../../shared/types';
import type { OutboxFilter, OutboxListItem, Page, TurnFilter, TurnListItem } from '../../../shared/views';
import type { Core } from '../context';
import { STUCK_ROW_SQL, STUCK_TURN_SQL, stuckParams } from '../rules';
import { OUTBOX_SELECT, TURN_SELECT } from '../rows';
import { blockingRows } from './blocking';
import { Where, keysetPage } from './page';

// The dashboard's and the CLI's lists: server-side filters, keyset pages, why each is stuck.

export function listTurns(core: Core, f: TurnFilter = {}, th: StuckThresholds = DEFAULT_STUCK): Page<TurnListItem> {
  const now = core.now();
  const where = new Where();
  where.status(f.status);
  if (f.sessionKey !== undefined) where.add('session_key = @sessionKey', { sessionKey: f.sessionKey });
  if (f.channel !== undefined) where.add('channel = @channel', { channel: f.channel });
  if (f.stuck) where.add(STUCK_TURN_SQL, stuckParams(now, th));
  if (f.search) {
    // A union of two index searches; an OR here would let the planner scan the time index.
    where.add(
      `rowid IN (SELECT rowid FROM message_turns WHERE id = @search
        UNION ALL SELECT rowid FROM message_turns WHERE session_key >= @search AND session_key < @searchEnd)`,
      { search: f.search, searchEnd: `${f.search}\uffff` },
    );
  }
  const page = keysetPage<Turn>(core, {
    table: 'message_turns',
    select: TURN_SELECT,
    column: 'accepted_at',
    field: 'acceptedAt',
    where,
    order: f.order,
    limit: f.limit,
    cursor: f.cursor,
  });
  const blocking = blockingRows(
    core,
    page.items.map((t) => t.id),
  );
  const items = page.items.map((t): TurnListItem => {
    const row = blocking.get(t.id) ?? null;
    return { ...t, stuckReason: turnStuckReason(t, row, now, th), blockingRowId: row?.id ?? null };
  });
  return { items, nextCursor: page.nextCursor };
}

export function listOutbox(
  core: Core,
  f: OutboxFilter = {},
  th: StuckThresholds = DEFAULT_STUCK,
): Page<OutboxListItem> {
  const now = core.now();
  const where = new Where();
  where.status(f.status);
  if (f.turnId !== undefined) where.add('turn_id = @turnId', { turnId: f.turnId });
  if (f.kind === 'direct') where.add('dispatch_kind IS NULL');
  else if (f.kind !== undefined) where.add('dispatch_kind = @kind', { kind: f.kind });
  if (f.channel !== undefined) where.add('channel = @channel', { channel: f.channel });
  if (f.stuck) where.add(STUCK_ROW_SQL, stuckParams(now, th));
  if (f.search) {
    where.add(
      `rowid IN (SELECT rowid FROM message_outbox WHERE id = @search
        UNION ALL SELECT rowid FROM message_outbox WHERE turn_id = @search
        UNION ALL SELECT rowid FROM message_outbox WHERE idempotency_key = @search)`,
      { search: f.search },
    );
  }
  const page = keysetPage<OutboxRow>(core, {
    table: 'message_outbox',
    select: OUTBOX_SELECT,
    column: 'queued_at',
    field: 'queuedAt',
    where,
    order: f.order,
    limit: f.limit,
    cursor: f.cursor,
  });
  return {
    items: page.items.map((r) => ({ ...r, stuckReason: rowStuckReason(r, now, th) })),
    nextCursor: page.nextCursor,
  };
}
