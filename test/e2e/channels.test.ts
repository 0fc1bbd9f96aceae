// The Overview's Channels card (issue 12) in Chromium against browser mode: the numbers per
// channel equal the file's rows, the range follows the Overview's window, a stuck count opens
// the list of that channel's stuck work, and an empty file says so.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { eventually, launchBrowser, openDesk, screenshot } from './harness';
import { OverviewPage } from './pages/overview';
import { TablePage } from './pages/tables';
import { createDb, mixedStory } from './seed';

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

interface CardRow {
  channel: string;
  cells: string[];
}

async function cardRows(page: Page): Promise<CardRow[]> {
  return page.locator('.channels-card tbody tr').evaluateAll((trs) =>
    trs.map((tr) => {
      const el = tr as unknown as {
        dataset: { channel: string };
        querySelectorAll(s: string): ArrayLike<{ textContent: string | null }>;
      };
      return {
        channel: el.dataset.channel,
        cells: Array.from(el.querySelectorAll('td'), (td) => (td.textContent ?? '').trim()),
      };
    }),
  );
}

test(
  'the Channels card: counts per channel as in the file, over the window, stuck links to the lists',
  { timeout: 90_000 },
  async (t) => {
    const { db } = mixedStory(220, 22);
    const { served, page, problems } = await openDesk(t, browser, db.file, { width: 1280, height: 1500 });
    const overview = new OverviewPage(page);
    await overview.open(served);
    const card = page.locator('.channels-card');
    await card.getByText('the last hour').waitFor();

    // Over 24 h: every turn of the story (22 hours of them), by channel, as the rows say.
    await page.getByRole('group', { name: 'Time window' }).getByRole('button', { name: '24 h' }).click();
    await card.getByText('the last 24 hours').waitFor();
    const want = db.lc.db
      .prepare(
        `SELECT channel, count(*) AS accepted, sum(status = 'delivered') AS delivered FROM message_turns
       GROUP BY channel ORDER BY channel`,
      )
      .all() as { channel: string; accepted: number; delivered: number }[];
    assert.ok(want.length === 4 && want.every((w) => w.accepted > 20));
    await eventually(async () => {
      const rows = await cardRows(page);
      assert.deepEqual(
        rows.map((r) => ({ channel: r.channel, accepted: Number(r.cells[0]), delivered: Number(r.cells[1]) })),
        want,
      );
    });
    const rows = await cardRows(page);
    for (const r of rows) {
      assert.match(r.cells[2]!, /^(\d+(\.\d)? %|—)$/, `failure rate of ${r.channel}`);
      for (const p of r.cells.slice(5)) assert.match(p, /^\d+(\.\d)? (ms|s|min)$/, `a latency of ${r.channel}`);
    }
    await screenshot(page, 'overview-channels-1280-light', { fitContent: true });
    await page.setViewportSize({ width: 820, height: 1500 });
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, 'overview-channels-820-dark', { fitContent: true });

    // Telegram's stuck turns open the Turns view filtered to them.
    const stuck = db.lc.countTurns({ channel: 'telegram', stuck: true });
    assert.ok(stuck >= 1);
    await card.locator('tr[data-channel="telegram"] td').nth(3).getByRole('link').click();
    await eventually(() => assert.match(new URL(page.url()).hash, /^#\/turns/));
    const turns = new TablePage(page, 'Turns');
    const ids = db.lc.listTurns({ channel: 'telegram', stuck: true }).items.map((i) => i.id);
    await eventually(async () => assert.deepEqual((await turns.renderedIds()).sort(), ids.sort()));
    assert.deepEqual(problems.errors, []);
  },
);

test('the Channels card on an empty file says there were no turns; dark theme', { timeout: 60_000 }, async (t) => {
  const db = createDb();
  const { served, page, problems } = await openDesk(t, browser, db.file, { width: 820, colorScheme: 'dark' });
  await new OverviewPage(page).open(served);
  await page.locator('.channels-card').getByText('No turns in the last hour.').waitFor();
  await screenshot(page, 'overview-channels-820-dark-empty', { fitContent: true });
  assert.deepEqual(problems.errors, []);
});
