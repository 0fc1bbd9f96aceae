import type { OutboxRow, Turn } from '../../../../shared/types';
import type { OutboxFilter, OutboxListItem, Page, TurnFilter, TurnListItem } from '../../../../shared/views';
import { OUTBOX_PAGE, TURN_PAGE, outboxItems, turnItems } from '../../../lifecycle/queries/lists';
import { read, type PgCore, type Tx } from '../context';
import { PG_OUTBOX_SELECT, PG_TURN_SELECT } from '../rows';
import { blockingRows } from './blocking';
import { PgWhere, keysetPage } from './page';
import { pgOutboxWhere, pgTurnWhere, type FilterContext } from './triage-filters';

// The lists with SQLite's filters, pages and stuck reasons (../../../lifecycle/queries/lists.ts).

export const context = (t: Tx, core: PgCore): FilterContext => ({
  now: t.now,
  stuck: core.stuck,
  config: core.config,
});

/** The exact number of turns a filter matches (the bulk preview, an export's total). */
export function countTurns(core: PgCore, f: TurnFilter): Promise<number> {
  return read(core, async (t) => {
    const where = new PgWhere();
    pgTurnWhere(where, f, context(t, core));
    return countOf(t, TURN_PAGE.table, where);
  });
}

export function countOutbox(core: PgCore, f: OutboxFilter): Promise<number> {
  return read(core, async (t) => {
    const where = new PgWhere();
    pgOutboxWhere(where, f, context(t, core));
    return countOf(t, OUTBOX_PAGE.table, where);
  });
}

async function countOf(t: Tx, table: string, where: PgWhere): Promise<number> {
  // A count needs no ordered walks: the branches' values are one list.
  const b = where.branch;
  const terms = b ? `${b.head}${b.column} = ANY(${where.params.p(b.values)}::text[]) AND ${where.sql()}` : where.sql();
  return (await t.one<{ n: number }>(`SELECT count(*) AS n FROM ${table} WHERE ${terms}`, where.params.values))!.n;
}

export function listTurns(core: PgCore, f: TurnFilter): Promise<Page<TurnListItem>> {
  return read(core, async (t) => {
    const where = new PgWhere();
    pgTurnWhere(where, f, context(t, core));
    const page = await keysetPage<Turn>(t, {
      ...TURN_PAGE,
      select: PG_TURN_SELECT,
      where,
      order: f.order,
      limit: f.limit,
      cursor: f.cursor,
    });
    const blocking = await blockingRows(
      t,
      page.items.map((turn) => turn.id),
    );
    return turnItems(page, blocking, t.now, core.stuck);
  });
}

export function listOutbox(core: PgCore, f: OutboxFilter): Promise<Page<OutboxListItem>> {
  return read(core, async (t) => {
    const where = new PgWhere();
    pgOutboxWhere(where, f, context(t, core));
    const page = await keysetPage<OutboxRow>(t, {
      ...OUTBOX_PAGE,
      select: PG_OUTBOX_SELECT,
      where,
      order: f.order,
      limit: f.limit,
      cursor: f.cursor,
    });
    return outboxItems(page, t.now, core.stuck);
  });
}
