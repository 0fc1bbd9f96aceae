import type { OutboxRow, Turn } from '../../../../shared/types';
import type { OutboxFilter, OutboxListItem, Page, TurnFilter, TurnListItem } from '../../../../shared/views';
import {
  OUTBOX_PAGE,
  TURN_PAGE,
  outboxItems,
  outboxWhere,
  turnItems,
  turnWhere,
} from '../../../lifecycle/queries/lists';
import { read, type PgCore } from '../context';
import { PG_OUTBOX_SELECT, PG_TURN_SELECT } from '../rows';
import { blockingRows } from './blocking';
import { PgWhere, keysetPage } from './page';

// The lists with SQLite's filters, pages and stuck reasons (../../../lifecycle/queries/lists.ts).

export function listTurns(core: PgCore, f: TurnFilter): Promise<Page<TurnListItem>> {
  return read(core, async (t) => {
    const where = new PgWhere();
    turnWhere(where, f, t.now, core.stuck);
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
    outboxWhere(where, f, t.now, core.stuck);
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
