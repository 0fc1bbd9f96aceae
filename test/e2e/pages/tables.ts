import type { Locator } from 'playwright-core';
import { DeskPage } from './desk';

/** The Turns and Outbox views: filters, a server-paged virtualized table, bulk actions. */
export class TablePage extends DeskPage {
  constructor(
    page: DeskPage['page'],
    readonly tableName: 'Turns' | 'Outbox',
  ) {
    super(page);
  }

  table(): Locator {
    return this.page.getByRole('table', { name: this.tableName, exact: true });
  }

  /** Rendered rows (virtualized: only those near the viewport exist). */
  rows(): Locator {
    return this.table().locator('tbody tr[data-row-id]');
  }

  row(id: string): Locator {
    return this.table().locator(`tbody tr[data-row-id="${id}"]`);
  }

  async renderedIds(): Promise<string[]> {
    return this.rows().evaluateAll((trs) =>
      trs.map((tr) => (tr as unknown as { dataset: { rowId: string } }).dataset.rowId),
    );
  }

  footer(): Locator {
    return this.page.locator('.table-footer');
  }

  async select(id: string): Promise<void> {
    await this.row(id)
      .getByRole('checkbox', { name: /^Select row / })
      .check();
  }

  statusChip(label: string): Locator {
    return this.page.getByRole('group', { name: 'Status' }).getByRole('button', { name: label, exact: true });
  }

  search(): Locator {
    return this.page.getByRole('searchbox', { name: 'Search' });
  }

  stuckOnly(): Locator {
    return this.page.getByRole('checkbox', { name: 'Stuck only' });
  }

  bulkButton(
    name: 'Abort session' | 'Replay turn' | 'Replay as new turn' | 'Retry now' | 'Resend' | 'Terminate',
  ): Locator {
    return this.page.locator('.bulk-actions').getByRole('button', { name, exact: true });
  }

  /** "Failed for good (24 h)": failed for good recently, not yet resent / replayed as new. */
  deadOnly(): Locator {
    return this.page.getByRole('checkbox', { name: /^Failed for good/ });
  }

  sortButton(): Locator {
    return this.table().locator('thead .sort-button');
  }

  columnsMenu(): Locator {
    return this.page.locator('.column-chooser');
  }

  headers(): Locator {
    return this.table().locator('thead th');
  }
}
