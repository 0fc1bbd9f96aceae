import type { Locator } from 'playwright-core';
import { DeskPage } from './desk';

/** The Errors view: failures grouped by normalized error, channel and kind. */
export class ErrorsPage extends DeskPage {
  navErrors(): Locator {
    return this.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /^Errors/ });
  }

  table(): Locator {
    return this.page.getByRole('table', { name: 'Error groups', exact: true });
  }

  /** A group's row, by its signature (data-signature) and channel. */
  group(signature: string, channel: string): Locator {
    return this.table()
      .locator(`tbody tr[data-signature="${signature.replaceAll('"', '\\"')}"]`)
      .filter({ has: this.page.locator(`td[data-channel="${channel}"]`) });
  }

  groupAction(group: Locator, name: 'Retry all' | 'Resend all' | 'Terminate all' | 'Replay all as new'): Locator {
    return group.getByRole('button', { name, exact: true });
  }

  window(): Locator {
    return this.page.getByRole('combobox', { name: 'Window' });
  }
}

/** The one bulk-by-filter dialog: preview, reason, then the job's progress and summary. */
export class BulkDialog {
  constructor(readonly desk: DeskPage) {}

  dialog(): Locator {
    return this.desk.page.locator('dialog.bulk-dialog');
  }

  /** "N of M matching rows are in a state to be …" (the exact count). */
  count(): Locator {
    return this.dialog().getByTestId('bulk-count');
  }

  /** The exact count and the matching count the preview shows, as numbers. */
  async counts(): Promise<{ count: number; matching: number }> {
    const nums = (await this.count().locator('.num').allInnerTexts()).map((t) => Number(t.replace(/,/g, '')));
    if (nums.length < 2 || nums.some((n) => !Number.isFinite(n))) throw new Error('preview not shown yet');
    return { count: nums[0]!, matching: nums[1]! };
  }

  sampleIds(): Promise<string[]> {
    return this.dialog().getByRole('table').locator('tbody tr td:first-child').allInnerTexts();
  }

  reason(): Locator {
    return this.dialog().getByRole('textbox', { name: /^Reason/ });
  }

  /** The start button ("Retry now 7 rows"). */
  start(): Locator {
    return this.dialog().locator('button[type="submit"]');
  }

  job(): Locator {
    return this.dialog().getByTestId('bulk-job');
  }

  progress(): Locator {
    return this.dialog().getByRole('progressbar', { name: 'Progress of the job' });
  }

  close(): Locator {
    return this.dialog().getByRole('button', { name: /^Close/ });
  }

  cancelJob(): Locator {
    return this.dialog().getByRole('button', { name: 'Cancel job', exact: true });
  }
}

/** The audit trail: filters, pages, export. */
export class AuditPage extends DeskPage {
  table(): Locator {
    return this.page.getByRole('table', { name: 'Audit trail', exact: true });
  }

  rows(): Locator {
    return this.table().locator('tbody tr');
  }

  who(): Locator {
    return this.page.getByRole('textbox', { name: 'Who' });
  }

  action(): Locator {
    return this.page.getByRole('combobox', { name: 'Action' });
  }

  exportButton(format: 'CSV' | 'JSON'): Locator {
    return this.page.getByRole('group', { name: 'Export' }).getByRole('button', { name: format, exact: true });
  }

  loadMore(): Locator {
    return this.page.getByRole('button', { name: 'Load older entries' });
  }
}
