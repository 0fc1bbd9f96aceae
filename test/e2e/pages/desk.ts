import type { Locator, Page } from 'playwright-core';

/** The shell around every view: navigation, the status line, alerts, the confirmation dialog. */
export class DeskPage {
  constructor(readonly page: Page) {}

  /**
   * Opens a link `serve` printed (origin + #code=…) and waits for the app to render. Given the
   * server itself, a fresh link is asked for: each code signs in one browser context, once.
   */
  async open(target: string | { link(): Promise<string> }): Promise<void> {
    await this.page.goto(typeof target === 'string' ? target : await target.link());
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

  /** The topbar's role badge ("Observer — writes only what you confirm"); data-role holds the role. */
  roleBadge(): Locator {
    return this.page.getByTestId('role-badge');
  }

  /** The sidebar's role block: the role, what it means, and the server's reason as text. */
  roleBlock(): Locator {
    return this.page.getByRole('region', { name: 'How this app treats the file', exact: true });
  }

  /** The banner shown while no recovery worker is alive. */
  livenessBanner(): Locator {
    return this.page.getByRole('region', { name: 'Recovery warning', exact: true });
  }

  /** The integrity check's note or alert (data-state: checking, damaged, unavailable). */
  integrity(): Locator {
    return this.page.getByTestId('integrity');
  }

  /** Why the action buttons nearby are disabled (read-only). */
  actionHints(): Locator {
    return this.page.getByTestId('action-hint');
  }

  /** The line under an action's message that says when it will actually happen. */
  actionNote(): Locator {
    return this.page.getByTestId('action-note');
  }

  /** Calls the API as the page's transport does (its session cookie, same HTTP path), from the page. */
  async apiCall(method: string, args: unknown): Promise<{ status: number; body: unknown }> {
    return this.page.evaluate(
      async ([m, a]) => {
        const g = globalThis as unknown as {
          fetch(url: string, init: unknown): Promise<{ status: number; json(): Promise<unknown> }>;
        };
        const res = await g.fetch(`/api/${m}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(a),
        });
        return { status: res.status, body: await res.json() };
      },
      [method, args] as const,
    );
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
