import {
  DEFAULT_STUCK,
  STUCK_RULE,
  rowStuckReason,
  turnStuckReason,
  type StuckThresholds,
} from '../../../shared/stuck';
import type { OutboxRow, Turn } from '../../../shared/types';
import type { BlockingRow } from '../../../shared/stuck';
import type { OutboxFilter, OutboxListItem, Page, TurnFilter, TurnListItem } from '../../../shared/views';
import type { Core } from '../context';
import { STUCK_ROW_SQL, STUCK_TURN_SQL, stuckParams } from '../rules';
import { OUTBOX_SELECT, TURN_SELECT } from '../rows';
import { blockingRows } from './blocking';
import { MIN_FULL_TEXT, Where, countSql, keysetPage, type FilterWhere } from './page';
import { DEFAULT_ATTENTION_WINDOW_MS, OUTBOX_DEAD_STATUSES, TURN_DEAD_STATUSES } from '../../../shared/triage';
import {
  NOT_REPLAYED_SQL,
  NOT_RESENT_SQL,
  OUTBOX_DEAD_SQL,
  OUTBOX_FAILURE_SQL,
  TURN_DEAD_SQL,
  TURN_FAILURE_SQL,
} from '../triage-rules';

// The dashboard's and the CLI's lists: server-side filters, keyset pages, why each is stuck.
// The filters and the decoration of a page are the same on every backend (exported for postgres/).

/** Where each list pages (its time column), whatever the backend. */
export const TURN_PAGE = { table: 'message_turns', column: 'accepted_at', field: 'acceptedAt' } as const;
export const OUTBOX_PAGE = { table: 'message_outbox', column: 'queued_at', field: 'queuedAt' } as const;

/** The statuses a page may hold: those asked for, and only open ones if it asks for stuck rows. */
function statusesOf(asked: readonly string[] | undefined, stuck: readonly string[] | null): string[] | null {
  const wanted = asked?.length ? [...new Set(asked)] : null;
  if (!stuck) return wanted;
  return wanted ? wanted.filter((s) => stuck.includes(s)) : [...stuck];
}

/**
 * The turns' filters, the one that drives the page first: an exact session (per status when
 * some are asked), a search that covers few sessions, the statuses (stuck turns are open ones),
 * a channel; with none, the time index. Whatever follows only narrows the walk.
 */
export function turnWhere(
  where: FilterWhere,
  f: TurnFilter,
  now: number,
  th: StuckThresholds,
  attentionWindowMs = DEFAULT_ATTENTION_WINDOW_MS,
): void {
  const statuses = statusesOf(f.status, f.stuck ? STUCK_RULE.turn.statuses : null);
  if (f.stuck) where.add(STUCK_TURN_SQL, stuckParams(now, th));
  const fullText = textSearch(where, TURN_PAGE.table, f.search);
  timeBounds(where, TURN_PAGE.column, f);
  if (f.dead)
    deadTerms(where, TURN_DEAD_STATUSES.slice(0, 1), TURN_DEAD_SQL, NOT_REPLAYED_SQL(), now - attentionWindowMs);
  if (f.signature !== undefined) {
    where.walk({ column: 'error_signature', value: f.signature });
    raw(where, TURN_FAILURE_SQL);
  }
  if (f.sessionKey !== undefined) {
    const session = { column: 'session_key', value: f.sessionKey };
    if (statuses) where.branches('status', statuses, session);
    else where.walk(session);
  }
  if (f.search && !fullText) where.turnSearch(f.search, statuses);
  if (statuses && f.sessionKey === undefined) where.branches('status', statuses);
  if (f.channel !== undefined) where.walk({ column: 'channel', value: f.channel });
}

/** A term written as a partial index's WHERE has it (a bound, not a narrowing term), so the planner can prove the index applies. */
function raw(where: FilterWhere, term: string): void {
  if (where.bound) where.bound(term, {});
  else where.add(term);
}

/**
 * Dead work: one walk per dead status in time order on v5's partial index of it, which covers
 * the window's term and the link's probe.
 */
function deadTerms(
  where: FilterWhere,
  statuses: readonly string[],
  dead: string,
  notLinked: string,
  since: number,
): void {
  where.branches('status', statuses);
  raw(where, dead);
  where.add(`completed_at >= @deadSince AND ${notLinked}`, { deadSince: since });
}

/** A search long enough for the full-text index drives the page, if this data has one. */
function textSearch(where: FilterWhere, table: string, search: string | undefined): boolean {
  return search !== undefined && search.length >= MIN_FULL_TEXT && (where.fullText?.(table, search) ?? false);
}

/** since/until on the page's time column: [since, until). */
function timeBounds(
  where: FilterWhere,
  column: string,
  f: { since?: number | undefined; until?: number | undefined },
): void {
  const bound = (term: string, params: Record<string, unknown>): void =>
    where.bound ? where.bound(term, params) : where.add(term, params);
  if (f.since !== undefined) bound(`${column} >= @since`, { since: f.since });
  if (f.until !== undefined) bound(`${column} < @until`, { until: f.until });
}

/**
 * The outbox's filters, likewise: a search or a turn (a few rows by key), the statuses (per
 * kind when one is asked; stuck rows are pending ones), a kind, a channel; else the time index.
 */
export function outboxWhere(
  where: FilterWhere,
  f: OutboxFilter,
  now: number,
  th: StuckThresholds,
  attentionWindowMs = DEFAULT_ATTENTION_WINDOW_MS,
): void {
  const statuses = statusesOf(f.status, f.stuck ? STUCK_RULE.row.statuses : null);
  const kind = f.kind === undefined ? null : { column: 'dispatch_kind', value: f.kind === 'direct' ? null : f.kind };
  if (f.stuck) where.add(STUCK_ROW_SQL, stuckParams(now, th));
  const fullText = textSearch(where, OUTBOX_PAGE.table, f.search);
  timeBounds(where, OUTBOX_PAGE.column, f);
  if (f.errorClass !== undefined) where.add('error_class = @errorClass', { errorClass: f.errorClass });
  if (f.dead) deadTerms(where, OUTBOX_DEAD_STATUSES, OUTBOX_DEAD_SQL, NOT_RESENT_SQL(), now - attentionWindowMs);
  if (f.signature !== undefined) {
    where.walk({ column: 'error_signature', value: f.signature });
    raw(where, OUTBOX_FAILURE_SQL);
  }
  if (f.search && !fullText) where.outboxSearch(f.search);
  if (f.turnId !== undefined) where.few('turn_id = @turnId', { turnId: f.turnId });
  if (statuses) where.branches('status', statuses, kind ?? undefined);
  else if (kind) where.walk(kind);
  if (f.channel !== undefined) where.walk({ column: 'channel', value: f.channel });
}

/** A page of turns with why each is stuck and the final row that blocks it (`blocking`, by turn id). */
export function turnItems(
  page: Page<Turn>,
  blocking: ReadonlyMap<string, BlockingRow>,
  now: number,
  th: StuckThresholds,
): Page<TurnListItem> {
  const items = page.items.map((t): TurnListItem => {
    const row = blocking.get(t.id) ?? null;
    return { ...t, stuckReason: turnStuckReason(t, row, now, th), blockingRowId: row?.id ?? null };
  });
  return { items, nextCursor: page.nextCursor };
}

export function outboxItem(r: OutboxRow, now: number, th: StuckThresholds): OutboxListItem {
  return { ...r, stuckReason: rowStuckReason(r, now, th) };
}

export function outboxItems(page: Page<OutboxRow>, now: number, th: StuckThresholds): Page<OutboxListItem> {
  return { items: page.items.map((r) => outboxItem(r, now, th)), nextCursor: page.nextCursor };
}

export function listTurns(core: Core, f: TurnFilter = {}, th: StuckThresholds = DEFAULT_STUCK): Page<TurnListItem> {
  const now = core.now();
  const where = new Where(core);
  turnWhere(where, f, now, th, core.config.attentionWindowMs);
  const page = keysetPage<Turn>(core, {
    ...TURN_PAGE,
    select: TURN_SELECT,
    where,
    order: f.order,
    limit: f.limit,
    cursor: f.cursor,
  });
  const blocking = blockingRows(
    core,
    page.items.map((t) => t.id),
  );
  return turnItems(page, blocking, now, th);
}

export function listOutbox(
  core: Core,
  f: OutboxFilter = {},
  th: StuckThresholds = DEFAULT_STUCK,
): Page<OutboxListItem> {
  const now = core.now();
  const where = new Where(core);
  outboxWhere(where, f, now, th, core.config.attentionWindowMs);
  const page = keysetPage<OutboxRow>(core, {
    ...OUTBOX_PAGE,
    select: OUTBOX_SELECT,
    where,
    order: f.order,
    limit: f.limit,
    cursor: f.cursor,
  });
  return outboxItems(page, now, th);
}

/** Exactly how many turns match the filter (paging fields ignored). */
export function countTurns(core: Core, f: TurnFilter, th: StuckThresholds = DEFAULT_STUCK): number {
  const where = new Where(core);
  turnWhere(where, f, core.now(), th, core.config.attentionWindowMs);
  const { sql, params } = countSql(TURN_PAGE.table, where);
  return (core.stmt(sql).get(params) as { n: number }).n;
}

/** Exactly how many outbox rows match the filter (paging fields ignored). */
export function countOutbox(core: Core, f: OutboxFilter, th: StuckThresholds = DEFAULT_STUCK): number {
  const where = new Where(core);
  outboxWhere(where, f, core.now(), th, core.config.attentionWindowMs);
  const { sql, params } = countSql(OUTBOX_PAGE.table, where);
  return (core.stmt(sql).get(params) as { n: number }).n;
}
