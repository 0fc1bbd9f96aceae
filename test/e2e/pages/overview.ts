import type { Locator } from 'playwright-core';
import { DeskPage } from './desk';

export interface UiCounts {
  turns: Record<string, number>;
  outbox: Record<string, number>;
  stuckTurns: number;
  stuckOutbox: number;
  /** Failed for good recently, not yet replayed as new / resent. */
  deadTurns: number;
  deadOutbox: number;
}

export class OverviewPage extends DeskPage {
  card(grid: 'turns' | 'outbox' | 'attention', key: string): Locator {
    return this.page.locator(`[data-count="${grid}.${key}"]`);
  }

  /** Every count card, read as numbers (throws while any is still loading). */
  async counts(): Promise<UiCounts> {
    const read = async (grid: 'turns' | 'outbox'): Promise<Record<string, number>> => {
      const out: Record<string, number> = {};
      for (const el of await this.page.locator(`[data-count^="${grid}."]`).all()) {
        const key = (await el.getAttribute('data-count'))!.slice(grid.length + 1);
        out[key] = toNumber(await el.innerText());
      }
      return out;
    };
    return {
      turns: await read('turns'),
      outbox: await read('outbox'),
      stuckTurns: toNumber(await this.card('attention', 'stuckTurns').innerText()),
      stuckOutbox: toNumber(await this.card('attention', 'stuckOutbox').innerText()),
      deadTurns: toNumber(await this.card('attention', 'deadTurns').innerText()),
      deadOutbox: toNumber(await this.card('attention', 'deadOutbox').innerText()),
    };
  }

  stuckRowsList(): Locator {
    return this.page.getByRole('list', { name: 'Stuck outbox rows' });
  }

  stuckRow(rowId: string): Locator {
    return this.stuckRowsList().locator(`li[data-row-id="${rowId}"]`);
  }

  stuckTurn(turnId: string): Locator {
    return this.page.getByRole('list', { name: 'Stuck turns' }).locator(`li[data-turn-id="${turnId}"]`);
  }

  /** The "Recovery workers" card: heartbeats, last writes, "Prune now". */
  workers(): Locator {
    return this.page.getByRole('region', { name: 'Recovery workers', exact: true });
  }

  worker(owner: string): Locator {
    return this.workers().locator(`li[data-owner="${owner}"]`);
  }

  /** A count card for a status outside the SPEC's set ("other: <status>"). */
  otherCard(grid: 'turns' | 'outbox', status: string): Locator {
    return this.page.locator(`li.count-card.other:has([data-count="${grid}.other:${status}"])`);
  }

  windowButton(label: '1 h' | '24 h' | '7 d'): Locator {
    return this.page.getByRole('group', { name: 'Time window' }).getByRole('button', { name: label, exact: true });
  }
}

function toNumber(text: string): number {
  const n = Number(text.replace(/[,\s]/g, ''));
  if (!Number.isFinite(n)) throw new Error(`not a count yet: ${JSON.stringify(text)}`);
  return n;
}
