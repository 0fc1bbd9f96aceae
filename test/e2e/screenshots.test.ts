// Screenshots of every view and dialog at 1,280 and 820 px, light and dark, on the demo's incident
// (real UUIDv7 ids, every status, error groups): `<view>-<width>-<theme>.png` in SCREENSHOT_DIR
// (docs/screenshots/ with UPDATE_SCREENSHOTS=1). A person looks at them; the test fails only on
// page errors or a shot that could not be reached.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { tempDir } from '../helpers/temp-db';
import { eventually, launchBrowser, newPage, screenshot, serve } from './harness';
import { DeskPage } from './pages/desk';

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

export const WIDTHS = [1280, 820] as const;
export const THEMES = ['light', 'dark'] as const;

/** What a shot needs from the run: a turn of the incident that is stuck, with an outbox row. */
export interface ShotContext {
  desk: DeskPage;
  page: Page;
  stuckTurn: string;
}

/**
 * One screenshot: where to go, what to wait for, and (for a dialog) what opens it and closes it.
 * Add a row for a new view or dialog; `fit` captures a view that scrolls whole.
 */
export interface Shot {
  name: string;
  hash(c: ShotContext): string;
  ready(c: ShotContext): Promise<void>;
  open?(c: ShotContext): Promise<void>;
  close?(c: ShotContext): Promise<void>;
  fit?: boolean;
}

const dialog = (c: ShotContext) => c.page.getByRole('dialog');
const closeDialog = async (c: ShotContext): Promise<void> => {
  await c.page.keyboard.press('Escape');
  await dialog(c).waitFor({ state: 'hidden' });
};
const firstRow = (name: string) => (c: ShotContext) =>
  c.page.getByRole('table', { name, exact: true }).locator('tbody tr').first().waitFor();

export const SHOTS: Shot[] = [
  {
    name: 'overview',
    hash: () => '#/overview',
    ready: (c) => c.page.locator('.recharts-surface').first().waitFor(),
    fit: true,
  },
  { name: 'turns', hash: () => '#/turns', ready: firstRow('Turns') },
  { name: 'outbox', hash: () => '#/outbox', ready: firstRow('Outbox') },
  { name: 'errors', hash: () => '#/errors', ready: firstRow('Error groups'), fit: true },
  { name: 'audit', hash: () => '#/audit', ready: firstRow('Audit trail'), fit: true },
  {
    name: 'turn-detail',
    hash: (c) => `#/turn/${encodeURIComponent(c.stuckTurn)}`,
    ready: (c) => c.page.getByRole('list', { name: 'Timeline' }).waitFor(),
    fit: true,
  },
  {
    name: 'dialog-action-confirm',
    hash: (c) => `#/turn/${encodeURIComponent(c.stuckTurn)}`,
    ready: (c) => c.page.getByRole('list', { name: 'Timeline' }).waitFor(),
    open: async (c) => {
      // The demo runs on: whichever of the turn's actions it can still take (abort, replay, replay as new).
      await c.page.locator('.detail-actions button:enabled').first().click();
      await dialog(c).waitFor();
    },
    close: closeDialog,
  },
  {
    name: 'dialog-bulk-preview',
    hash: () => '#/errors',
    ready: firstRow('Error groups'),
    open: async (c) => {
      await c.page
        .getByRole('table', { name: 'Error groups', exact: true })
        .locator('tbody tr .group-actions button:enabled')
        .first()
        .click();
      await c.page.locator('dialog.bulk-dialog').waitFor();
      await c.page.locator('dialog.bulk-dialog').getByRole('table').waitFor();
    },
    close: async (c) => {
      await c.page.locator('dialog.bulk-dialog').getByRole('button', { name: 'Cancel', exact: true }).click();
      await c.page.locator('dialog.bulk-dialog').waitFor({ state: 'hidden' });
    },
  },
  {
    name: 'dialog-help',
    hash: () => '#/overview',
    ready: (c) => c.page.locator('.recharts-surface').first().waitFor(),
    open: async (c) => {
      await c.page.keyboard.press('?');
      await c.page.locator('#shortcut-help').waitFor();
    },
    close: async (c) => {
      await c.page.keyboard.press('Escape');
      await c.page.locator('#shortcut-help').waitFor({ state: 'hidden' });
    },
  },
  {
    name: 'dialog-alerts',
    hash: () => '#/overview',
    ready: (c) => c.page.locator('.recharts-surface').first().waitFor(),
    open: async (c) => {
      await c.page.getByRole('button', { name: /^Alerts/ }).click();
      await dialog(c).waitFor();
    },
    close: closeDialog,
  },
  {
    // The help's lower half: why stuck, the actions, the shortcuts.
    name: 'dialog-help-actions',
    hash: () => '#/overview',
    ready: (c) => c.page.locator('.recharts-surface').first().waitFor(),
    open: async (c) => {
      await c.page.keyboard.press('?');
      await c.page.locator('#help-actions').scrollIntoViewIfNeeded();
    },
    close: async (c) => {
      await c.page.keyboard.press('Escape');
      await c.page.locator('#shortcut-help').waitFor({ state: 'hidden' });
    },
  },
];

test('screenshots: every view and dialog at 1,280 and 820 px, light and dark', { timeout: 300_000 }, async (t) => {
  const file = path.join(tempDir('lifecycle-e2e-shots-'), 'message-lifecycle.db');
  const served = await serve(file, ['--demo', '--seed', '1']);
  t.after(() => served.stop());
  let stuckTurn: string | undefined;
  const only = process.env.SHOTS ? new Set(process.env.SHOTS.split(',')) : null;
  const themes = process.env.SHOT_THEMES ? (process.env.SHOT_THEMES.split(',') as (typeof THEMES)[number][]) : THEMES;
  for (const width of WIDTHS) {
    for (const theme of themes) {
      const { context, page, problems } = await newPage(browser, { width, height: 900, colorScheme: theme });
      const desk = new DeskPage(page);
      await desk.open(served);
      // Once: a turn whose outbox row is stuck (its page shows the rows, the reason, a timeline),
      // then a person's retry of that row with a long reason, for the audit and the timeline.
      stuckTurn ??= await eventually(async () => {
        const { body } = await desk.apiCall('listOutbox', { stuck: true, limit: 50 });
        const items = (body as { value: { items: { id: string; turnId: string | null }[] } }).value.items;
        const item = items.find((i) => i.turnId);
        assert.ok(item?.turnId, 'the demo has a stuck outbox row of a turn');
        const { status } = await desk.apiCall('retryRows', {
          ids: [item.id],
          reason:
            'telegram was rate-limiting us from 14:02 to 14:20; the user asked in ticket 4411 why the reply never came',
        });
        assert.equal(status, 200);
        return item.turnId;
      }, 30_000);
      const c: ShotContext = { desk, page, stuckTurn };
      for (const shot of SHOTS) {
        if (only && !only.has(shot.name)) continue;
        await page.setViewportSize({ width, height: 900 });
        await desk.go(shot.hash(c));
        await shot.ready(c);
        if (shot.open) await shot.open(c);
        await screenshot(page, `${shot.name}-${width}-${theme}`, { fitContent: shot.fit ?? false });
        if (shot.close) await shot.close(c);
      }
      assert.deepEqual(problems.errors, []);
      await context.close();
    }
  }
});
