import { PAGE_LIMIT } from '../../shared/api';
import {
  DEFAULT_STUCK,
  rowStuckReason,
  turnStuckReason,
  type BlockingRow,
  type StuckThresholds,
} from '../../shared/stuck';
import {
  OUTBOX_PENDING_STATUSES,
  OUTBOX_STATUSES,
  TURN_ACTIVE_STATUSES,
  TURN_STATUSES,
  type HistoryEntry,
  type OutboxRow,
  type OutboxStatus,
  type StatusCounts,
  type Turn,
  type TurnStatus,
} from '../../shared/types';
import { sqlList, type Core } from './context';
import { LifecycleError } from './errors';
import { STUCK_ROW_SQL, STUCK_TURN_SQL, finalRowSql, stuckParams } from './rules';
import { HISTORY_SELECT, OUTBOX_SELECT, TURN_SELECT } from './rows';
import type {
  OutboxFilter,
  OutboxListItem,
  Page,
  SeriesPoint,
  TurnDetail,
  TurnFilter,
  TurnListItem,
} from '../../shared/views';

export type { OutboxFilter, OutboxListItem, Page, SeriesPoint, TurnDetail, TurnFilter, TurnListItem };

// The read side used by the CLI and the dashboard API. Each query is a range scan on one
// index (checked by test/unit/query-plans.test.ts on a large file).

const PENDING = sqlList(OUTBOX_PENDING_STATUSES);

export function statusCounts(core: Core, th: StuckThresholds = DEFAULT_STUCK): StatusCounts {
  const now = core.now();
  const turns = Object.fromEntries(TURN_STATUSES.map((s) => [s, 0])) as Record<TurnStatus, number>;
  const outbox = Object.fromEntries(OUTBOX_STATUSES.map((s) => [s, 0])) as Record<OutboxStatus, number>;
  const otherTurns: Record<string, number> = {};
  const otherOutbox: Record<string, number> = {};
  for (const r of core.stmt('SELECT entity, status, n FROM lifecycle_counts WHERE n <> 0').all() as {
    entity: string;
    status: string;
    n: number;
  }[]) {
    // A status outside the SPEC's set (some gateway wrote it) is shown as such, never dropped.
    if (r.entity === 'turn') {
      if (Object.hasOwn(turns, r.status)) turns[r.status as TurnStatus] = r.n;
      else otherTurns[r.status] = r.n;
    } else if (r.entity === 'outbox') {
      if (Object.hasOwn(outbox, r.status)) outbox[r.status as OutboxStatus] = r.n;
      else otherOutbox[r.status] = r.n;
    }
  }
  const p = stuckParams(now, th);
  const stuckTurns = (
    core.stmt(`SELECT count(*) AS n FROM message_turns WHERE ${STUCK_TURN_SQL}`).get(p) as { n: number }
  ).n;
  const stuckOutbox = (
    core.stmt(`SELECT count(*) AS n FROM message_outbox WHERE ${STUCK_ROW_SQL}`).get(p) as { n: number }
  ).n;
  return { turns, outbox, otherTurns, otherOutbox, stuckTurns, stuckOutbox, at: now };
}

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

const BLOCKING_ROW = `SELECT o.id, o.status, o.attempt_count AS attemptCount, o.next_attempt_at AS nextAttemptAt,
    o.last_error AS lastError, o.dispatch_kind AS dispatchKind
  FROM message_outbox o WHERE o.turn_id = ? AND ${finalRowSql('o')}
  ORDER BY o.status IN (${PENDING}) DESC, o.attempt_count DESC LIMIT 1`;

function keyset(order: 'asc' | 'desc', column: string, cursor: Cursor | null): string {
  if (!cursor) return '';
  const op = order === 'asc' ? '>' : '<';
  return ` AND (${column} ${op} @cursorAt OR (${column} = @cursorAt AND id ${op} @cursorId))`;
}

/** One status is an equality, so the (status, time) index also gives the order without a sort. */
function statusFilter(status: readonly string[] | undefined, where: string[], params: Record<string, unknown>): void {
  if (!status?.length) return;
  if (status.length === 1) {
    where.push('status = @status');
    params.status = status[0];
  } else {
    where.push('status IN (SELECT value FROM json_each(@status))');
    params.status = JSON.stringify(status);
  }
}

function clampLimit(limit: number | undefined): number {
  return Math.max(PAGE_LIMIT.min, Math.min(limit ?? PAGE_LIMIT.default, PAGE_LIMIT.max));
}

export function listTurns(core: Core, f: TurnFilter = {}, th: StuckThresholds = DEFAULT_STUCK): Page<TurnListItem> {
  const now = core.now();
  const order = f.order ?? 'asc';
  const limit = clampLimit(f.limit);
  const cursor = decodeCursor(f.cursor);
  const where: string[] = ['1'];
  const params: Record<string, unknown> = { ...stuckParams(now, th), limit: limit + 1 };
  statusFilter(f.status, where, params);
  if (f.sessionKey !== undefined) {
    where.push('session_key = @sessionKey');
    params.sessionKey = f.sessionKey;
  }
  if (f.channel !== undefined) {
    where.push('channel = @channel');
    params.channel = f.channel;
  }
  if (f.stuck) where.push(STUCK_TURN_SQL);
  if (f.search) {
    // A union of two index searches; an OR here would let the planner scan the time index.
    where.push(`rowid IN (SELECT rowid FROM message_turns WHERE id = @search
      UNION ALL SELECT rowid FROM message_turns WHERE session_key >= @search AND session_key < @searchEnd)`);
    params.search = f.search;
    params.searchEnd = `${f.search}\uffff`;
  }
  if (cursor) {
    params.cursorAt = cursor.at;
    params.cursorId = cursor.id;
  }
  const dir = order === 'asc' ? 'ASC' : 'DESC';
  const rows = core
    .stmt(
      `SELECT ${TURN_SELECT} FROM message_turns WHERE ${where.join(' AND ')}${keyset(order, 'accepted_at', cursor)}
       ORDER BY accepted_at ${dir}, id ${dir} LIMIT @limit`,
    )
    .all(params) as Turn[];
  const more = rows.length > limit;
  const page = rows.slice(0, limit);
  const blocking = core.stmt(BLOCKING_ROW);
  const items = page.map((t): TurnListItem => {
    const row = (blocking.get(t.id) as BlockingRow | undefined) ?? null;
    return { ...t, stuckReason: turnStuckReason(t, row, now, th), blockingRowId: row?.id ?? null };
  });
  const last = page.at(-1);
  return { items, nextCursor: more && last ? `${last.acceptedAt}:${last.id}` : null };
}

export function listOutbox(
  core: Core,
  f: OutboxFilter = {},
  th: StuckThresholds = DEFAULT_STUCK,
): Page<OutboxListItem> {
  const now = core.now();
  const order = f.order ?? 'asc';
  const limit = clampLimit(f.limit);
  const cursor = decodeCursor(f.cursor);
  const where: string[] = ['1'];
  const params: Record<string, unknown> = { ...stuckParams(now, th), limit: limit + 1 };
  statusFilter(f.status, where, params);
  if (f.turnId !== undefined) {
    where.push('turn_id = @turnId');
    params.turnId = f.turnId;
  }
  if (f.kind !== undefined) {
    where.push(f.kind === 'direct' ? 'dispatch_kind IS NULL' : 'dispatch_kind = @kind');
    if (f.kind !== 'direct') params.kind = f.kind;
  }
  if (f.channel !== undefined) {
    where.push('channel = @channel');
    params.channel = f.channel;
  }
  if (f.stuck) where.push(STUCK_ROW_SQL);
  if (f.search) {
    where.push(`rowid IN (SELECT rowid FROM message_outbox WHERE id = @search
      UNION ALL SELECT rowid FROM message_outbox WHERE turn_id = @search
      UNION ALL SELECT rowid FROM message_outbox WHERE idempotency_key = @search)`);
    params.search = f.search;
  }
  if (cursor) {
    params.cursorAt = cursor.at;
    params.cursorId = cursor.id;
  }
  const dir = order === 'asc' ? 'ASC' : 'DESC';
  const rows = core
    .stmt(
      `SELECT ${OUTBOX_SELECT} FROM message_outbox WHERE ${where.join(' AND ')}${keyset(order, 'queued_at', cursor)}
       ORDER BY queued_at ${dir}, id ${dir} LIMIT @limit`,
    )
    .all(params) as OutboxRow[];
  const more = rows.length > limit;
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map((r) => ({ ...r, stuckReason: rowStuckReason(r, now, th) })),
    nextCursor: more && last ? `${last.queuedAt}:${last.id}` : null,
  };
}

export function turnDetail(core: Core, id: string, th: StuckThresholds = DEFAULT_STUCK): TurnDetail {
  const turn = core.stmt(`SELECT ${TURN_SELECT} FROM message_turns WHERE id = ?`).get(id) as Turn | undefined;
  if (!turn) throw new LifecycleError('not_found', `no turn with id ${id}`);
  const now = core.now();
  const rows = core
    .stmt(`SELECT ${OUTBOX_SELECT} FROM message_outbox WHERE turn_id = ? ORDER BY queued_at, id LIMIT 1000`)
    .all(id) as OutboxRow[];
  const blocking = (core.stmt(BLOCKING_ROW).get(id) as BlockingRow | undefined) ?? null;
  return {
    turn,
    stuckReason: turnStuckReason(turn, blocking, now, th),
    outbox: rows.map((r) => ({ ...r, stuckReason: rowStuckReason(r, now, th) })),
    history: history(core, id),
  };
}

export function history(core: Core, subjectId: string, limit = 1000): HistoryEntry[] {
  return core
    .stmt(`SELECT ${HISTORY_SELECT} FROM message_history WHERE subject_id = ? ORDER BY id LIMIT ?`)
    .all(subjectId, limit) as HistoryEntry[];
}

/** The operator actions, newest first. */
export function auditTrail(core: Core, limit = 100): HistoryEntry[] {
  return core
    .stmt(`SELECT ${HISTORY_SELECT} FROM message_history WHERE actor = 'operator' ORDER BY at DESC LIMIT ?`)
    .all(Math.max(1, Math.min(limit, 1000))) as HistoryEntry[];
}

const MINUTE = 60_000;

/**
 * Time series over [now - windowMs, now] in `buckets` buckets, read from the per-minute
 * counters: the open-turn curve is rebuilt backwards from today's counts.
 */
export function series(core: Core, windowMs: number, buckets: number): SeriesPoint[] {
  const now = core.now();
  const bucketMs = Math.max(MINUTE, Math.ceil(windowMs / buckets / MINUTE) * MINUTE);
  const end = Math.floor(now / MINUTE) * MINUTE + MINUTE;
  const start = end - bucketMs * buckets;
  const rows = core
    .stmt(
      `SELECT entity, minute, status, entered, exited FROM lifecycle_minutes
       WHERE entity IN ('turn','outbox') AND minute >= ? ORDER BY entity, minute`,
    )
    .all(start / MINUTE) as { entity: string; minute: number; status: string; entered: number; exited: number }[];
  const points: SeriesPoint[] = Array.from({ length: buckets }, (_, i) => ({
    t: start + i * bucketMs,
    turnsEntered: Object.fromEntries(TURN_STATUSES.map((s) => [s, 0])) as Record<TurnStatus, number>,
    turnsOpen: Object.fromEntries(TURN_ACTIVE_STATUSES.map((s) => [s, 0])) as SeriesPoint['turnsOpen'],
    outboxEntered: Object.fromEntries(OUTBOX_STATUSES.map((s) => [s, 0])) as Record<OutboxStatus, number>,
  }));
  const net = new Map<string, number[]>(TURN_ACTIVE_STATUSES.map((s) => [s, new Array<number>(buckets).fill(0)]));
  for (const r of rows) {
    const i = Math.floor((r.minute * MINUTE - start) / bucketMs);
    const p = points[i];
    if (!p) continue;
    if (r.entity === 'turn') {
      if (r.status in p.turnsEntered) p.turnsEntered[r.status as TurnStatus] += r.entered;
      const n = net.get(r.status);
      if (n) n[i]! += r.entered - r.exited;
    } else if (r.status in p.outboxEntered) {
      p.outboxEntered[r.status as OutboxStatus] += r.entered;
    }
  }
  const current = statusCountsOnly(core);
  for (const s of TURN_ACTIVE_STATUSES) {
    let open = current[s];
    const n = net.get(s)!;
    for (let i = buckets - 1; i >= 0; i--) {
      points[i]!.turnsOpen[s] = Math.max(0, open);
      open -= n[i]!;
    }
  }
  return points;
}

function statusCountsOnly(core: Core): Record<TurnStatus, number> {
  const out = Object.fromEntries(TURN_STATUSES.map((s) => [s, 0])) as Record<TurnStatus, number>;
  for (const r of core.stmt("SELECT status, n FROM lifecycle_counts WHERE entity = 'turn'").all() as {
    status: TurnStatus;
    n: number;
  }[]) {
    if (r.status in out) out[r.status] = r.n;
  }
  return out;
}
