import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { eventually, launchBrowser, newPage, screenshot, serve, openDesk } from './harness';
import { whyNot } from '../../shared/triage';
import { TablePage } from './pages/tables';
import { mixedStory } from './seed';

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

test(
  'the turns table: server paging, virtualized rows, order, filters, column choice',
  { timeout: 120_000 },
  async (t) => {
    const { db, stuck } = mixedStory(260, 8);
    const served = await serve(db.file);
    t.after(() => served.stop());
    // Tall enough that all 27 failed_terminal turns render below the liveness banner.
    const { context, page, problems } = await newPage(browser, { height: 1040 });
    t.after(() => context.close());
    const turns = new TablePage(page, 'Turns');
    await turns.open(served);
    await turns.navLink('Turns').click();

    const ids = (sql: string, ...args: unknown[]): string[] =>
      (db.lc.db.prepare(sql).all(...args) as { id: string }[]).map((r) => r.id);
    const total = ids('SELECT id FROM message_turns').length;
    const newest = ids('SELECT id FROM message_turns ORDER BY accepted_at DESC, id DESC LIMIT 1')[0]!;
    const oldest = ids('SELECT id FROM message_turns ORDER BY accepted_at ASC, id ASC LIMIT 1')[0]!;

    // First page, newest first.
    await eventually(async () =>
      assert.equal(await turns.footer().innerText(), '100 rows loaded, more available\nLoad more'),
    );
    assert.equal((await turns.renderedIds())[0], newest);
    await screenshot(page, 'turns');

    // Scrolling to the bottom loads the next pages through the cursor, until the end.
    await eventually(async () => {
      await turns.table().evaluate((el) => {
        const scroller = (el as unknown as { parentElement: { scrollTop: number; scrollHeight: number } })
          .parentElement;
        scroller.scrollTop = scroller.scrollHeight;
      });
      assert.equal(await turns.footer().innerText(), `${total} rows loaded`);
    }, 20_000);
    // Virtualized: only the rows near the viewport exist in the DOM.
    const rendered = await turns.rows().count();
    assert.ok(rendered > 5 && rendered < 60, `rendered ${rendered} of ${total}`);

    // Oldest first.
    await turns.sortButton().click();
    await eventually(async () => assert.equal((await turns.renderedIds())[0], oldest));
    assert.equal(await turns.table().locator('th[aria-sort]').getAttribute('aria-sort'), 'ascending');
    await turns.sortButton().click();

    // Status filter (server side): only failed_terminal turns, all of them.
    const failedTerminal = ids("SELECT id FROM message_turns WHERE status = 'failed_terminal'");
    await turns.statusChip('failed terminal').click();
    await eventually(async () =>
      assert.equal(await turns.footer().innerText(), `${failedTerminal.length} rows loaded`),
    );
    assert.deepEqual(new Set(await turns.renderedIds()), new Set(failedTerminal));
    await turns.statusChip('failed terminal').click();

    // Stuck only.
    const stuckIds = db.lc.listTurns({ stuck: true, limit: 500 }).items.map((x) => x.id);
    assert.ok(stuckIds.includes(stuck.turn.id));
    await turns.stuckOnly().check();
    await eventually(async () => assert.deepEqual(new Set(await turns.renderedIds()), new Set(stuckIds)));
    assert.match(await turns.row(stuck.turn.id).innerText(), /429 Too Many Requests/);
    await turns.stuckOnly().uncheck();

    // Search: a session prefix ('/' focuses the search box).
    await page.keyboard.press('/');
    assert.equal(
      await turns
        .search()
        .evaluate(
          (el) => el === (el as unknown as { ownerDocument: { activeElement: unknown } }).ownerDocument.activeElement,
        ),
      true,
    );
    await page.keyboard.type('telegram:ops');
    await page.keyboard.press('Enter');
    const opsTelegram = ids("SELECT id FROM message_turns WHERE session_key LIKE 'telegram:ops%'");
    await eventually(async () => assert.deepEqual(new Set(await turns.renderedIds()), new Set(opsTelegram)));
    await turns.search().fill('');
    await turns.search().press('Enter');

    // Column choice: hide "Channel", show "Reply to".
    assert.ok((await turns.headers().allInnerTexts()).some((h) => /channel/i.test(h)));
    await turns.columnsMenu().locator('summary').click();
    await turns.columnsMenu().getByRole('checkbox', { name: 'Channel' }).uncheck();
    await turns.columnsMenu().getByRole('checkbox', { name: 'Reply to' }).check();
    const headers = await turns.headers().allInnerTexts();
    assert.ok(!headers.some((h) => /^channel$/i.test(h.trim())), headers.join('|'));
    assert.ok(
      headers.some((h) => /^reply to$/i.test(h.trim())),
      headers.join('|'),
    );
    assert.deepEqual(problems.errors, []);
  },
);

test('the outbox table filters by kind and channel; keyboard shortcuts and help', { timeout: 90_000 }, async (t) => {
  const { db } = mixedStory(60, 3);
  const { served, page, problems } = await openDesk(t, browser, db.file, { colorScheme: 'dark' });
  const outbox = new TablePage(page, 'Outbox');
  await outbox.open(served);

  // g x → Outbox
  await page.keyboard.press('g');
  await page.keyboard.press('x');
  await eventually(async () => assert.equal(await outbox.heading().innerText(), 'Outbox'));
  await outbox.rows().first().waitFor();
  await screenshot(page, 'outbox-dark');

  const ids = (sql: string): string[] => (db.lc.db.prepare(sql).all() as { id: string }[]).map((r) => r.id);
  await page.getByRole('combobox', { name: 'Kind' }).selectOption('final');
  await page.getByRole('textbox', { name: 'Channel' }).fill('slack');
  await page.getByRole('textbox', { name: 'Channel' }).press('Enter');
  const want = ids("SELECT id FROM message_outbox WHERE dispatch_kind = 'final' AND channel = 'slack'");
  assert.ok(want.length > 0);
  await eventually(async () => assert.deepEqual(new Set(await outbox.renderedIds()), new Set(want)));
  await page.getByRole('button', { name: 'Reset filters' }).click();
  await eventually(async () => assert.ok((await outbox.rows().count()) > want.length));

  // Number keys, g-chords, and the help popover that lists them.
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('1');
  await eventually(async () => assert.equal(await outbox.heading().innerText(), 'Overview'));
  await page.keyboard.press('g');
  await page.keyboard.press('t');
  await eventually(async () => assert.equal(await outbox.heading().innerText(), 'Turns'));
  await page.keyboard.press('4');
  await eventually(async () => assert.equal(await outbox.heading().innerText(), 'Audit trail'));
  await page.keyboard.press('?');
  const help = page.getByRole('region', { name: 'Help' });
  await help.waitFor();
  const helpText = await help.innerText();
  for (const keys of ['g o', 'g t', 'g x', '/']) assert.ok(helpText.replace(/\s+/g, ' ').includes(keys), helpText);
  await page.keyboard.press('Escape');
  await help.waitFor({ state: 'hidden' });
  assert.deepEqual(problems.errors, []);
});

test(
  'a long list holds only the pages near the viewport: far rows are dropped and fetched again, selection stays',
  { timeout: 120_000 },
  async (t) => {
    const { db } = mixedStory(720, 12);
    const { served, page, problems } = await openDesk(t, browser, db.file, { height: 900 });
    const turns = new TablePage(page, 'Turns');
    const cursors: (string | null)[] = [];
    page.on('request', (req) => {
      if (req.url().endsWith('/api/listTurns')) {
        const body = JSON.parse(req.postData() ?? '{}') as { cursor?: string | null; stuck?: boolean };
        if (!body.stuck) cursors.push(body.cursor ?? null);
      }
    });
    await turns.open(served);
    await turns.navLink('Turns').click();
    await turns.rows().first().waitFor();
    const total = (db.lc.db.prepare('SELECT count(*) AS n FROM message_turns').get() as { n: number }).n;
    const newest = (await turns.renderedIds())[0]!;
    await turns.select(newest);

    // Down to the end, a screen at a time.
    const scroll = (to: 'down' | 'top' | 'bottom'): Promise<void> =>
      turns.table().evaluate((el, where) => {
        const s = (
          el as unknown as { parentElement: { scrollTop: number; clientHeight: number; scrollHeight: number } }
        ).parentElement;
        s.scrollTop = where === 'top' ? 0 : where === 'bottom' ? s.scrollHeight : s.scrollTop + s.clientHeight;
      }, to);
    await eventually(async () => {
      await scroll('down');
      assert.equal(await turns.footer().innerText(), `${total} rows loaded`);
    }, 60_000);
    await scroll('bottom');
    await eventually(async () => {
      assert.equal(await page.locator('tbody tr.placeholder').count(), 0);
      assert.equal(await turns.rows().last().getAttribute('aria-rowindex'), String(total + 1));
    });
    assert.equal(await turns.table().getAttribute('aria-rowcount'), String(total + 1));
    const domRows = await page.locator('tbody tr:not(.spacer)').count();
    assert.ok(domRows < 60, `${domRows} row elements`);
    // The first page was dropped: nothing of it is in the DOM, and the selection still counts it.
    assert.equal(await turns.row(newest).count(), 0);
    assert.match(await page.locator('.selection-info').innerText(), /^1 selected/);

    // Back to the top: the first page is fetched again (cursor null) and the row is still selected.
    const before = cursors.length;
    await scroll('top');
    await turns.row(newest).waitFor();
    assert.ok(cursors.slice(before).includes(null), JSON.stringify(cursors.slice(before)));
    assert.equal(await turns.row(newest).getAttribute('aria-selected'), 'true');
    assert.equal(await turns.row(newest).getAttribute('aria-rowindex'), '2');
    // The actions judge the selected row by what it is, though its page was dropped meanwhile.
    const why = whyNot('replay', db.lc.getTurn(newest)!);
    assert.equal(await turns.bulkButton('Replay turn').isEnabled(), why === null);
    assert.equal(await turns.bulkButton('Replay turn').getAttribute('title'), why);
    assert.deepEqual(problems.errors, []);
  },
);

test('the outbox table filters by a time range, error class and failed for good', { timeout: 90_000 }, async (t) => {
  const { db } = mixedStory(60, 3);
  const { served, page, problems } = await openDesk(t, browser, db.file, { height: 1000 });
  const sent: Record<string, unknown>[] = [];
  page.on('request', (req) => {
    if (req.url().endsWith('/api/listOutbox')) sent.push(JSON.parse(req.postData() ?? '{}') as Record<string, unknown>);
  });
  const outbox = new TablePage(page, 'Outbox');
  await outbox.open(served);
  await outbox.navLink('Outbox').click();
  await outbox.rows().first().waitFor();
  const ids = (sql: string, ...args: unknown[]): string[] =>
    (db.lc.db.prepare(sql).all(...args) as { id: string }[]).map((r) => r.id);
  const last = (): Record<string, unknown> => sent.at(-1) ?? {};

  // From a time (local, to the minute): the rows queued since then.
  const from = new Date(Date.now() - 90 * 60_000);
  from.setSeconds(0, 0);
  const pad = (n: number): string => String(n).padStart(2, '0');
  const local = `${from.getFullYear()}-${pad(from.getMonth() + 1)}-${pad(from.getDate())}T${pad(from.getHours())}:${pad(from.getMinutes())}`;
  await page.getByRole('combobox', { name: 'Queued' }).selectOption('custom');
  await page.getByLabel('From', { exact: true }).fill(local);
  await eventually(() => assert.equal(last().since, from.getTime()));
  const recent = ids('SELECT id FROM message_outbox WHERE queued_at >= ?', from.getTime());
  const all = ids('SELECT id FROM message_outbox');
  assert.ok(recent.length > 0 && recent.length < all.length, `${recent.length} of ${all.length}`);
  await eventually(async () => assert.equal(await outbox.footer().innerText(), `${recent.length} rows loaded`));
  // Virtualized: the rows on screen are some of them, none from before.
  const shown = await outbox.renderedIds();
  assert.ok(shown.length > 0 && shown.every((id) => recent.includes(id)), shown.join(' '));

  // A preset: the last hour, counted back from when it was chosen.
  const before = Date.now();
  await page.getByRole('combobox', { name: 'Queued' }).selectOption('1h');
  await eventually(() => assert.equal(last().until, undefined));
  const since = last().since as number;
  assert.ok(since >= before - 3_600_000 - 1_000 && since <= Date.now() - 3_600_000 + 1_000, String(since));

  // Error class, with the range cleared.
  await page.getByRole('combobox', { name: 'Queued' }).selectOption('');
  await page.getByRole('combobox', { name: 'Error class' }).selectOption('terminal');
  await eventually(() => assert.deepEqual([last().errorClass, last().since], ['terminal', undefined]));
  const terminal = ids("SELECT id FROM message_outbox WHERE error_class = 'terminal'");
  assert.ok(terminal.length > 0);
  await eventually(async () => assert.deepEqual(new Set(await outbox.renderedIds()), new Set(terminal)));

  // Failed for good (24 h): sent as `dead`, and Reset clears every one of these.
  await outbox.deadOnly().check();
  await eventually(() => assert.equal(last().dead, true));
  await page.getByRole('button', { name: 'Reset filters' }).click();
  await eventually(() => assert.deepEqual(Object.keys(last()).sort(), ['cursor', 'limit', 'order']));
  assert.equal(await page.getByRole('combobox', { name: 'Queued' }).inputValue(), '');
  assert.deepEqual(problems.errors, []);
});
