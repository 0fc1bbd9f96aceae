// Links that work: the view, its filters, order and selection are in the URL, so a reload, a new
// tab of the same browser and Back/Forward show what the person saw.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { eventually, launchBrowser, openDesk } from './harness';
import { TablePage } from './pages/tables';
import { mixedStory } from './seed';

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/** What the Turns view shows of its filters and selection. */
async function shown(page: Page, selectedId: string) {
  const turns = new TablePage(page, 'Turns');
  await turns.table().waitFor();
  return {
    heading: await turns.heading().innerText(),
    delivered: await turns.statusChip('delivered').getAttribute('aria-pressed'),
    running: await turns.statusChip('running').getAttribute('aria-pressed'),
    channel: await page.getByRole('textbox', { name: 'Channel', exact: true }).inputValue(),
    order: await page.getByRole('combobox', { name: 'Order' }).inputValue(),
    selected: await turns.row(selectedId).getByRole('checkbox').isChecked(),
    first: (await turns.renderedIds())[0],
  };
}

test(
  'a filtered Turns view survives a reload, opens in a new tab, and its links open turns',
  { timeout: 120_000 },
  async (t) => {
    const { db } = mixedStory(80, 3);
    const telegramDelivered = (
      db.lc.db
        .prepare(
          "SELECT id FROM message_turns WHERE status = 'delivered' AND channel = 'telegram' ORDER BY accepted_at ASC, id ASC",
        )
        .all() as { id: string }[]
    ).map((r) => r.id);
    assert.ok(telegramDelivered.length >= 3, 'the story has delivered telegram turns');
    const oldest = telegramDelivered[0]!;
    const picked = telegramDelivered[1]!;

    const { served, context, page, problems } = await openDesk(t, browser, db.file);
    const turns = new TablePage(page, 'Turns');
    await turns.open(served.url);
    await turns.navLink('Turns').click();
    await turns.table().waitFor();

    // The person narrows the list: a status chip, a channel, oldest first, one row selected.
    await turns.statusChip('delivered').click();
    const channel = page.getByRole('textbox', { name: 'Channel', exact: true });
    // Committed after the pause in typing (Enter would commit it a second time: helper live's fix).
    await channel.fill('telegram');
    await eventually(async () => assert.match(new URL(page.url()).hash, /channel=telegram/));
    await page.getByRole('combobox', { name: 'Order' }).selectOption('asc');
    await eventually(async () => assert.equal((await turns.renderedIds())[0], oldest));
    await turns.select(picked);

    const expected = {
      heading: 'Turns',
      delivered: 'true',
      running: 'false',
      channel: 'telegram',
      order: 'asc',
      selected: true,
      first: oldest,
    };
    const hash = await eventually(async () => {
      const h = new URL(page.url()).hash;
      assert.match(h, /^#\/turns\?/);
      assert.match(h, /status=delivered/);
      assert.match(h, /channel=telegram/);
      assert.match(h, /order=asc/);
      assert.match(h, new RegExp(`sel=${encodeURIComponent(picked)}`));
      return h;
    });
    assert.doesNotMatch(page.url(), /token=/, 'the address carries no token');
    // Typing and choosing replaced the entry: one step back leaves the Turns view.
    const historyLength = await page.evaluate(
      () => (globalThis as unknown as { history: { length: number } }).history.length,
    );

    // Reload: the same chips, channel, order and selection.
    await page.reload();
    await eventually(async () => assert.deepEqual(await shown(page, picked), expected));
    assert.equal(new URL(page.url()).hash, hash);

    // The same address in a new tab of the same browser.
    const tab = await context.newPage();
    t.after(() => tab.close());
    await tab.goto(page.url());
    await eventually(async () => assert.deepEqual(await shown(tab, picked), expected));
    assert.equal(
      await tab
        .getByRole('alert')
        .filter({ hasText: /Not authorized/ })
        .count(),
      0,
    );

    // A turn link of the table opened in a new tab (Ctrl+click) opens that turn.
    const link = turns.row(picked).getByRole('link', { name: /.+/ }).first();
    assert.equal(await link.getAttribute('href'), `#/turn/${encodeURIComponent(picked)}`);
    const [turnTab] = await Promise.all([context.waitForEvent('page'), link.click({ modifiers: ['Control'] })]);
    t.after(() => turnTab.close());
    await turnTab.waitForLoadState();
    await eventually(async () => {
      assert.equal(await turnTab.getByRole('heading', { level: 1 }).innerText(), 'Turn detail');
      assert.equal(await turnTab.getByRole('heading', { level: 2, name: picked }).count(), 1);
    });
    assert.equal(
      await turnTab
        .getByRole('alert')
        .filter({ hasText: /Not authorized/ })
        .count(),
      0,
    );

    // Back and Forward move between views, each with its own filters.
    await link.click();
    await eventually(async () => assert.equal(await turns.heading().innerText(), 'Turn detail'));
    await page.goBack();
    await eventually(async () => assert.deepEqual(await shown(page, picked), expected));
    await page.goForward();
    await eventually(async () => assert.equal(await turns.heading().innerText(), 'Turn detail'));
    // The turn's "← Turns" and the sidebar go back to the list as it was left, filters and all.
    assert.equal(await turns.navLink('Turns').getAttribute('href'), hash);
    await page.getByRole('link', { name: '← Turns' }).click();
    await eventually(async () => assert.deepEqual(await shown(page, picked), expected));
    await turns.navLink('Overview').click();
    await eventually(async () => assert.equal(await turns.heading().innerText(), 'Overview'));
    // A card of the overview is a link to its list, filtered.
    await page.locator('[data-count="attention.stuckTurns"]').click();
    await eventually(async () => {
      assert.equal(await turns.heading().innerText(), 'Turns');
      assert.equal(new URL(page.url()).hash, '#/turns?stuck=1');
      assert.equal(await turns.stuckOnly().isChecked(), true);
    });
    await page.goBack();
    await eventually(async () => assert.equal(await turns.heading().innerText(), 'Overview'));
    await page.goBack();
    await eventually(async () => assert.deepEqual(await shown(page, picked), expected));
    await page.goBack();
    await eventually(async () => assert.equal(await turns.heading().innerText(), 'Turn detail'));
    await page.goForward();
    await eventually(async () => assert.deepEqual(await shown(page, picked), expected));
    assert.equal(
      await page.evaluate(() => (globalThis as unknown as { history: { length: number } }).history.length),
      historyLength + 4,
      'each view change is one history entry; filters and selection added none',
    );

    assert.deepEqual(problems.errors, []);
  },
);

test(
  'Overview window, Errors and Audit filters are in the URL too; garbage in it is dropped',
  { timeout: 60_000 },
  async (t) => {
    const { db } = mixedStory(40, 2);
    const { served, context, page, problems } = await openDesk(t, browser, db.file);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: served.origin });
    const desk = new TablePage(page, 'Turns');
    await desk.open(served.url);

    // The overview's time window: chosen, it is in the address; reloaded, it is chosen.
    const windowButton = (label: string) =>
      page.getByRole('group', { name: 'Time window' }).getByRole('button', { name: label, exact: true });
    await windowButton('7 d').click();
    await eventually(async () => assert.equal(new URL(page.url()).hash, '#/overview?window=7d'));
    await page.reload();
    await eventually(async () => assert.equal(await windowButton('7 d').getAttribute('aria-pressed'), 'true'));

    await desk.go('#/errors?since=7d&subject=outbox&bogus=1');
    await eventually(async () => {
      assert.equal(await desk.heading().innerText(), 'Errors');
      assert.equal(await page.getByRole('combobox', { name: 'Window' }).inputValue(), '7d');
      assert.equal(await page.getByRole('combobox', { name: 'Failures of' }).inputValue(), 'outbox');
      assert.equal(new URL(page.url()).hash, '#/errors?since=7d&subject=outbox');
    });
    await page.getByRole('combobox', { name: 'Window' }).selectOption('1h');
    await eventually(async () => assert.equal(new URL(page.url()).hash, '#/errors?since=1h&subject=outbox'));

    await desk.go('#/audit?action=retry&by=alice');
    await eventually(async () => {
      assert.equal(await page.getByRole('combobox', { name: 'Action' }).inputValue(), 'retry');
      assert.equal(await page.getByRole('textbox', { name: 'Who' }).inputValue(), 'alice');
    });
    await page.reload();
    await eventually(async () => {
      assert.equal(await page.getByRole('combobox', { name: 'Action' }).inputValue(), 'retry');
      assert.equal(await page.getByRole('textbox', { name: 'Who' }).inputValue(), 'alice');
    });

    await desk.go('#/turns?status=queued,running&order=sideways');
    await eventually(async () => {
      assert.equal(new URL(page.url()).hash, '#/turns?status=running');
      assert.equal(await desk.statusChip('running').getAttribute('aria-pressed'), 'true');
    });

    // A turn id longer than the list shows still opens (the API takes ids up to 1,024 characters).
    const longId = `${'01a230c8-35ef-70'.repeat(21)}x`.slice(0, 337);
    db.lc.accept({
      id: longId,
      channel: 'telegram',
      sessionKey: 'telegram:long',
      payload: { text: 'hi' },
      route: { channel: 'telegram', to: '1' },
    });
    await desk.go(`#/turn/${encodeURIComponent(longId)}`);
    await eventually(async () => assert.equal(await page.getByRole('heading', { level: 2, name: longId }).count(), 1));

    // Copy link: the address of the view, without any login secret.
    await desk.go('#/outbox?stuck=1');
    await page.getByRole('button', { name: 'Copy link' }).click();
    const copied = await eventually(async () => {
      const text = await page.evaluate(async () => {
        const g = globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } };
        return g.navigator.clipboard.readText().catch(() => null);
      });
      const field = page.getByRole('textbox', { name: 'Link to this view' });
      const value = text ?? ((await field.count()) ? await field.inputValue() : null);
      assert.ok(value);
      return value;
    });
    assert.equal(copied, `${served.origin}/#/outbox?stuck=1`);
    assert.deepEqual(problems.errors, []);
  },
);
