import type { Locator } from 'playwright-core';
import { DeskPage } from './desk';

/** #/turn/<id>: fields, payload, why it is stuck, its outbox rows, the timeline, actions. */
export class TurnDetailPage extends DeskPage {
  async openTurn(id: string): Promise<void> {
    await this.go(`#/turn/${encodeURIComponent(id)}`);
    await this.page.locator('.detail-title h2', { hasText: id }).waitFor();
  }

  status(): Locator {
    return this.page.locator('.detail-title .badge');
  }

  /** The inbound message, or with `reply` the final reply, as the <pre> that shows it. */
  payload(which: 'inbound' | 'reply' = 'inbound'): Locator {
    return which === 'inbound'
      ? this.page.locator('pre[aria-label="Inbound message"]')
      : this.page.locator('pre[aria-label^="Final reply"]');
  }

  stuckReason(): Locator {
    return this.page.getByTestId('stuck-reason');
  }

  outboxRow(id: string): Locator {
    return this.page.getByRole('table', { name: 'Outbox rows of this turn' }).locator(`tr[data-row-id="${id}"]`);
  }

  timeline(): Locator {
    return this.page.getByRole('list', { name: 'Timeline' });
  }

  action(name: 'Abort session' | 'Replay turn' | 'Replay as new turn'): Locator {
    return this.page.locator('.detail-actions').getByRole('button', { name, exact: true });
  }

  rowAction(rowId: string, name: 'Retry now' | 'Terminate' | 'Resend'): Locator {
    return this.outboxRow(rowId).getByRole('button', { name, exact: true });
  }

  /** Why the turn's disabled actions are disabled, as text under them. */
  actionWhy(): Locator {
    return this.page.getByTestId('action-why');
  }

  /** "Replay of turn X" / "Replayed as new turn Y". */
  turnLinks(): Locator {
    return this.page.getByTestId('turn-links');
  }

  /** The links the last action's result gave ("Resent as …", "Replayed as new turn …"). */
  resultLinks(): Locator {
    return this.page.getByTestId('action-links').getByRole('link');
  }
}
