import type { Locator, Page } from 'playwright-core';

/** The shell around every view: navigation, the status line, alerts, the confirmation dialog. */
export class DeskPage {
  constructor(readonly page: Page) {}

  /** Opens the URL `serve` printed (origin + #token=…) and waits for the app to render. */
  async open(url: string): Promise<void> {
    await this.page.goto(url);
    await this.page.getByRole('navigation', { name: 'Main' }).waitFor();
  }

  /** Navigates by hash (what a deep link or a nav click does). */
  async go(hash: string): Promise<void> {
    await this.page.evaluate((h) => {
      (globalThis as unknown as { location: { hash: string } }).location.hash = h;
    }, hash);
  }

  navLink(name: 'Overview' | 'Turns' | 'Outbox' | 'Audit'): Locator {
    return this.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: new RegExp(`^${name}`) });
  }

  heading(): Locator {
    return this.page.getByRole('heading', { level: 1 });
  }

  statusMessage(): Locator {
    return this.page.getByRole('status');
  }

  alerts(): Locator {
    return this.page.getByRole('alert');
  }

  dialog(): Locator {
    return this.page.getByRole('dialog');
  }

  /** Clicks an action button, waits for its confirmation dialog and returns the dialog's text. */
  async requestAction(button: Locator): Promise<string> {
    await button.click();
    const dialog = this.dialog();
    await dialog.waitFor();
    return (await dialog.innerText()).trim();
  }

  async confirm(): Promise<void> {
    const dialog = this.dialog();
    await dialog.getByRole('button', { name: 'Confirm', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
  }

  async cancel(): Promise<void> {
    const dialog = this.dialog();
    await dialog.getByRole('button', { name: 'Cancel', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
  }
}
