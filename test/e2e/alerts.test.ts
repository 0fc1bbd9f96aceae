// Alerts in browser mode: the person turns them on in the bell's dialog, a gateway (this test,
// writing the file) makes stuck turns cross the threshold, and Chromium's real Notification is
// constructed once — not again while the count stays above, nor when it drops and crosses
// again within the interval, nor after a reload.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import AxeBuilder from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import { RecoveryWorker } from '../../main/lifecycle';
import { SqliteStore } from '../../main/store/sqlite/store';
import { eventually, launchBrowser, openDesk, screenshot } from './harness';
import { DeskPage } from './pages/desk';
import { createDb, failedRetryable, type SeedDb } from './seed';

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

interface Recorded {
  title: string;
  body: string;
  tag: string;
}

/**
 * Wraps window.Notification before the app's code runs: each construction is recorded, and the
 * real one is still constructed (a construction the browser refuses throws, and is not recorded).
 */
const RECORD_NOTICES = `(() => {
  const Real = window.Notification;
  window.__notices = [];
  class Recording extends Real {
    constructor(title, options) {
      super(title, options);
      window.__notices.push({ title, body: options && options.body, tag: options && options.tag });
    }
  }
  window.Notification = Recording;
})();`;

async function notices(page: Page): Promise<Recorded[]> {
  return page.evaluate(() => (globalThis as unknown as { __notices: Recorded[] }).__notices);
}

/** axe-core on the open alerts dialog: no serious or critical violation. */
async function noSeriousViolations(page: Page, where: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).include('.alerts-dialog').analyze();
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(
    bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
    [],
    `axe on the alerts dialog (${where})`,
  );
}

/** Stuck turns the way a gateway leaves them: failed once, ten minutes ago (each in its own session). */
let next = 0;
function addStuck(db: SeedDb, n: number): string[] {
  db.clock.t = Date.now() - 10 * 60_000;
  const sessions: string[] = [];
  for (let i = 0; i < n; i++) {
    const session = `telegram:alert-${++next}`;
    failedRetryable(db, { session, text: `Question ${next}` });
    sessions.push(session);
  }
  db.clock.t = null;
  return sessions;
}

test(
  'a notification fires once when stuck turns cross the threshold, and not again within the interval',
  { timeout: 120_000 },
  async (t) => {
    const db = createDb();
    const first = addStuck(db, 2);
    assert.equal(db.lc.status().stuckTurns, 2);

    const { served, context, page, problems } = await openDesk(t, browser, db.file, {
      permissions: ['notifications'],
    });
    await context.addInitScript(RECORD_NOTICES);
    const desk = new DeskPage(page);
    await desk.open(served);
    const turnsCount = async (): Promise<string> =>
      (await desk.navLink('Turns').locator('.nav-count').textContent()) ?? '';
    await eventually(async () => assert.match(await turnsCount(), /^2 stuck/));

    // Off until the person turns them on.
    const bell = page.getByTestId('alerts-button');
    assert.equal(await bell.getAttribute('title'), 'Alerts (off)');
    await bell.click();
    const dialog = page.getByRole('dialog', { name: 'Alerts' });
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /This browser allows notifications from this page/);
    await noSeriousViolations(page, 'alerts off');
    await dialog.getByRole('checkbox', { name: 'Notify me' }).check();
    await dialog.getByRole('checkbox', { name: 'Stuck outbox rows' }).uncheck();
    const threshold = dialog.getByRole('spinbutton', { name: 'Stuck turns: threshold' });
    // A bad number is said, and the threshold in force is kept.
    await threshold.fill('0');
    await eventually(async () =>
      assert.match(
        await dialog.innerText(),
        /Enter a whole number from 1 to 1,000,000,000\. The threshold stays at 10\./,
      ),
    );
    await threshold.fill('3');
    assert.equal(await dialog.getByText(/Enter a whole number/).count(), 0);
    // The dialog at both widths and in both themes.
    for (const width of [1280, 820]) {
      for (const colorScheme of ['light', 'dark'] as const) {
        await page.setViewportSize({ width, height: 900 });
        await page.emulateMedia({ colorScheme });
        await screenshot(page, `alerts-settings-${width}-${colorScheme}`);
        await noSeriousViolations(page, `${width} px, ${colorScheme}`);
      }
    }
    await page.emulateMedia({ colorScheme: 'light' });
    await dialog.getByRole('button', { name: 'Done' }).click();
    await dialog.waitFor({ state: 'hidden' });
    assert.equal(await bell.getAttribute('title'), 'Alerts (on)');
    // Focus went back to the bell.
    assert.equal(await page.evaluate('document.activeElement?.dataset.testid'), 'alerts-button');
    assert.deepEqual(await notices(page), [], '2 stuck turns are below 3: nothing yet');

    // The gateway leaves two more stuck: 4 ≥ 3, one notification, naming count, threshold and file.
    addStuck(db, 2);
    await eventually(async () => assert.equal((await notices(page)).length, 1), 15_000);
    assert.deepEqual(await notices(page), [
      {
        title: 'Stuck turns',
        body: '4 stuck turns (threshold 3) in message-lifecycle.db',
        tag: 'stuck-turns',
      },
    ]);

    // More while above: still one.
    addStuck(db, 2);
    await eventually(async () => assert.match(await turnsCount(), /^6 stuck/), 15_000);
    assert.equal((await notices(page)).length, 1, 'a count that stays above does not notify again');

    // Below, then across again within the interval (15 min): still one.
    for (const session of [...first, `telegram:alert-3`, `telegram:alert-4`, `telegram:alert-5`]) {
      db.lc.abortSession(session);
    }
    assert.equal(db.lc.status().stuckTurns, 1);
    await eventually(async () => assert.match(await turnsCount(), /^1 stuck/), 15_000);
    addStuck(db, 3);
    await eventually(async () => assert.match(await turnsCount(), /^4 stuck/), 15_000);
    assert.equal((await notices(page)).length, 1, 'a second crossing within the interval does not notify');

    // A reload keeps the settings and the interval: the new page does not notify either.
    await page.reload();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    await eventually(async () => assert.match(await turnsCount(), /^4 stuck/), 15_000);
    assert.equal(await bell.getAttribute('title'), 'Alerts (on)');
    assert.deepEqual(await notices(page), [], 'the interval holds across a reload');

    // "Send a test notification" shows one at once (a person checking that alerts show).
    await bell.click();
    await dialog.getByRole('button', { name: 'Send a test notification' }).click();
    await eventually(async () => assert.equal((await notices(page)).length, 1));
    assert.equal((await notices(page))[0]?.title, 'Lifecycle Desk test notification');
    assert.match(await dialog.getByTestId('alerts-last').innerText(), /Lifecycle Desk test notification/);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });

    assert.deepEqual(problems.errors, []);
  },
);

test('without the permission: "Allow notifications" asks, a refusal is said plainly, nothing is constructed', async (t) => {
  const db = createDb();
  addStuck(db, 3);
  const { served, context, page, problems } = await openDesk(t, browser, db.file);
  await context.addInitScript(RECORD_NOTICES);
  // Headless Chromium answers "denied" before anyone asked; a person's browser says "default"
  // until asked, then what the person chose (here: Block).
  await context.addInitScript(`(() => {
    let state = 'default';
    window.__asked = 0;
    Object.defineProperty(window.Notification, 'permission', { get: () => state });
    window.Notification.requestPermission = () => {
      window.__asked += 1;
      state = 'denied';
      return Promise.resolve(state);
    };
  })();`);
  const desk = new DeskPage(page);
  await desk.open(served);
  await page.getByTestId('alerts-button').click();
  const dialog = page.getByRole('dialog', { name: 'Alerts' });
  await dialog.getByRole('checkbox', { name: 'Notify me' }).check();
  await dialog.getByRole('spinbutton', { name: 'Stuck turns: threshold' }).fill('2');
  assert.match(await dialog.innerText(), /This browser shows notifications only once you allow them/);
  assert.equal(await dialog.getByRole('button', { name: 'Send a test notification' }).isDisabled(), true);
  await noSeriousViolations(page, 'permission not asked yet');
  await dialog.getByRole('button', { name: 'Allow notifications' }).click();
  assert.equal(await page.evaluate('window.__asked'), 1, 'the click asked the browser');
  await eventually(async () =>
    assert.match(await dialog.innerText(), /This browser blocks notifications from this page/),
  );
  assert.equal(await dialog.getByRole('button', { name: 'Allow notifications' }).count(), 0);
  await noSeriousViolations(page, 'permission denied');
  await eventually(async () =>
    assert.match((await desk.navLink('Turns').locator('.nav-count').textContent()) ?? '', /^3 stuck/),
  );
  assert.deepEqual(await notices(page), [], '3 stuck turns ≥ 2, but the browser may not show them');
  assert.deepEqual(problems.errors, []);
});

test('"No recovery worker alive": one notification when the last worker stops', { timeout: 90_000 }, async (t) => {
  const db = createDb();
  const worker = new RecoveryWorker(new SqliteStore(db.lc), {
    deliver: async () => undefined,
    replay: async () => undefined,
  });
  worker.start();
  let stopped = false;
  t.after(async () => {
    if (!stopped) await worker.stop();
  });

  const { served, context, page, problems } = await openDesk(t, browser, db.file, {
    permissions: ['notifications'],
  });
  await context.addInitScript(RECORD_NOTICES);
  const desk = new DeskPage(page);
  await desk.open(served);
  await eventually(
    async () =>
      assert.match(
        await page
          .getByText(/^alive/)
          .first()
          .innerText(),
        /^alive/,
      ),
    20_000,
  );
  assert.equal(await desk.livenessBanner().count(), 0);

  await page.getByTestId('alerts-button').click();
  const dialog = page.getByRole('dialog', { name: 'Alerts' });
  await dialog.getByRole('checkbox', { name: 'Notify me' }).check();
  await dialog.getByRole('checkbox', { name: 'No recovery worker alive' }).check();
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  assert.deepEqual(await notices(page), [], 'a worker is alive');

  await worker.stop();
  stopped = true;
  await desk.livenessBanner().waitFor({ timeout: 20_000 });
  await eventually(async () => assert.equal((await notices(page)).length, 1), 15_000);
  const [notice] = await notices(page);
  assert.equal(notice?.title, 'No recovery worker alive');
  assert.equal(notice?.tag, 'no-worker');
  assert.match(notice?.body ?? '', /^No recovery worker is alive in message-lifecycle\.db/);
  assert.deepEqual(problems.errors, []);
});
