import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { OUTBOX_STATUSES, TURN_STATUSES, type Lifecycle } from '../../main/lifecycle';
import { eventually, launchBrowser, screenshot, openDesk } from './harness';
import { OverviewPage, type UiCounts } from './pages/overview';
import { TablePage } from './pages/tables';
import { accepted, mixedStory } from './seed';

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/** The counts straight from the tables (not from the core's counters), and the core's stuck counts. */
function dbCounts(lc: Lifecycle): UiCounts {
  const group = (table: string, statuses: readonly string[]): Record<string, number> => {
    const out = Object.fromEntries(statuses.map((s) => [s, 0]));
    for (const r of lc.db.prepare(`SELECT status, count(*) AS n FROM ${table} GROUP BY status`).all() as {
      status: string;
      n: number;
    }[]) {
      out[r.status] = r.n;
    }
    return out;
  };
  const status = lc.status();
  return {
    turns: group('message_turns', TURN_STATUSES),
    outbox: group('message_outbox', OUTBOX_STATUSES),
    stuckTurns: status.stuckTurns,
    stuckOutbox: status.stuckOutbox,
    deadTurns: status.deadTurns,
    deadOutbox: status.deadOutbox,
  };
}

test('the overview counts equal the database, and follow it live', { timeout: 90_000 }, async (t) => {
  const { db } = mixedStory(220, 22);
  const { served, page, problems } = await openDesk(t, browser, db.file, { height: 1320 });
  const overview = new OverviewPage(page);
  await overview.open(served);

  // The token left the address bar at once; routing still works.
  assert.equal(new URL(page.url()).hash, '#/overview');

  const expected = await eventually(async () => {
    const want = dbCounts(db.lc);
    assert.deepEqual(await overview.counts(), want);
    return want;
  });
  // Not a trivial 0 = 0: the story has turns and rows in most states.
  assert.ok(expected.turns.delivered! > 50 && expected.turns.failed_terminal! > 0 && expected.turns.aborted! > 0);
  assert.ok(expected.outbox.delivered! > 100 && expected.outbox.failed_retryable === 1 && expected.outbox.queued === 1);
  assert.ok(expected.stuckTurns >= 3 && expected.stuckOutbox === 2);

  // A gateway writes to the file: the view follows without a reload (push, no polling).
  accepted(db, { session: 'slack:live-1', text: 'Are you there?' });
  await eventually(async () => assert.deepEqual(await overview.counts(), dbCounts(db.lc)), 15_000);
  assert.equal(await overview.card('turns', 'accepted').innerText(), String(expected.turns.accepted! + 1));

  await overview.windowButton('24 h').click();
  await eventually(async () => assert.equal(await overview.windowButton('24 h').getAttribute('aria-pressed'), 'true'));
  await page.locator('.recharts-surface').first().waitFor();
  await screenshot(page, 'overview-light');
  await page.emulateMedia({ colorScheme: 'dark' });
  await screenshot(page, 'overview-dark');
  assert.deepEqual(problems.errors, []);
});

test('failed-for-good work needs attention: its card opens the list filtered to it', { timeout: 60_000 }, async (t) => {
  const { db } = mixedStory(60, 3);
  const { served, page, problems } = await openDesk(t, browser, db.file, { height: 1320 });
  const overview = new OverviewPage(page);
  await overview.open(served);

  const dead = db.lc.listTurns({ dead: true, order: 'desc', limit: 500 }).items.map((x) => x.id);
  // The story's turns whose reply was refused for good (403), not its delivered or aborted ones.
  assert.ok(dead.length > 0 && dead.length < 20, `failed-for-good turns: ${dead.length}`);
  await eventually(async () =>
    assert.equal(await overview.card('attention', 'deadTurns').innerText(), String(db.lc.status().deadTurns)),
  );
  await overview.card('attention', 'deadTurns').click();
  const turns = new TablePage(page, 'Turns');
  await turns.table().waitFor();
  assert.equal(await turns.deadOnly().isChecked(), true);
  await eventually(async () => assert.equal(await turns.footer().innerText(), `${dead.length} rows loaded`));
  await eventually(async () => assert.deepEqual(new Set(await turns.renderedIds()), new Set(dead)));
  assert.deepEqual(problems.errors, []);
});

test('a stuck outbox row appears in the stuck list with why it is stuck', { timeout: 60_000 }, async (t) => {
  const { db, stuck } = mixedStory(20, 1);
  const { served, page, problems } = await openDesk(t, browser, db.file, { height: 1320 });
  const overview = new OverviewPage(page);
  await overview.open(served);

  const item = overview.stuckRow(stuck.rowId);
  await item.waitFor();
  const text = await item.innerText();
  assert.match(text, /failed 2 times, last error 429 Too Many Requests, was due \d+ (s|min) ago/);
  assert.match(text, new RegExp(`turn ${stuck.turn.id}`));

  // Its turn is stuck because of that row, and the turn list says so.
  const turnItem = overview.stuckTurn(stuck.turn.id);
  await turnItem.waitFor();
  assert.match(await turnItem.innerText(), new RegExp(`429 Too Many Requests.*\\(row ${stuck.rowId}\\)`));

  // The row's turn opens from the list, with the same sentence.
  await turnItem.getByRole('link', { name: stuck.turn.id }).click();
  await page.getByTestId('stuck-reason').waitFor();
  assert.match(
    await page.getByTestId('stuck-reason').innerText(),
    /Why it is stuck: final reply failed 2 times, last error 429 Too Many Requests/,
  );
  assert.deepEqual(problems.errors, []);
});
