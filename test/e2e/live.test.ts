// A live view that holds still (issue 12), in Chromium against browser mode: while a writer
// adds turns, a row being read keeps its place and a bar counts what came; a turn replayed in
// "Stuck only" stays in view, marked; an idle file with a gateway's worker heartbeating costs no
// refetch; one Enter in a filter box is one request. The writer is this test process, another
// process than the server, as a gateway would be.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { RecoveryWorker } from '../../main/lifecycle';
import { SqliteStore } from '../../main/store/sqlite/store';
import { eventually, launchBrowser, openDesk, screenshot } from './harness';
import { TablePage } from './pages/tables';
import { createDb, delivered, running, type SeedDb } from './seed';

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The API methods the page calls from now on, in order. */
function apiCalls(page: Page): string[] {
  const calls: string[] = [];
  page.on('request', (r) => {
    const m = /\/api\/([A-Za-z]+)$/.exec(new URL(r.url()).pathname);
    if (m?.[1]) calls.push(m[1]);
  });
  return calls;
}

/** Adds a delivered turn every `everyMs` until stopped; resolves to the ids added. */
function writer(db: SeedDb, everyMs: number): { stop(): string[] } {
  const added: string[] = [];
  const timer = setInterval(() => {
    added.push(delivered(db, { session: `telegram:live-${added.length}`, text: 'Arrived while reading' }).id);
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return added;
    },
  };
}

async function scroller(turns: TablePage, scrollTop: number): Promise<void> {
  await turns.table().evaluate((el, top) => {
    (el as unknown as { parentElement: { scrollTop: number } }).parentElement.scrollTop = top;
  }, scrollTop);
}

/** The row's top on screen, sampled every 250 ms for `ms`: every sample. */
async function positions(page: Page, id: string, ms: number): Promise<number[]> {
  const ys: number[] = [];
  for (const end = Date.now() + ms; Date.now() < end;) {
    const box = await page.locator(`table[aria-label="Turns"] tbody tr[data-row-id="${id}"]`).boundingBox();
    ys.push(box ? Math.round(box.y * 10) / 10 : Number.NaN);
    await delay(250);
  }
  return ys;
}

test(
  'newest first, a row being read keeps its place while turns arrive; "N new — show" counts and shows them',
  { timeout: 90_000 },
  async (t) => {
    const db = createDb(60 * 60_000);
    for (let i = 0; i < 150; i++) delivered(db, { session: `telegram:chat-${i % 20}`, text: `Question ${i}` });
    db.clock.t = null;
    const { served, page, problems } = await openDesk(t, browser, db.file, { width: 1440, height: 900 });
    const turns = new TablePage(page, 'Turns');
    await turns.open(served.url);
    await turns.go('#/turns');
    await eventually(async () => assert.ok((await turns.rows().count()) > 10));

    // Scrolled down a little: the row under the pointer must not move.
    await scroller(turns, 240);
    await eventually(async () => assert.ok((await turns.renderedIds()).length > 10));
    const read = (await turns.renderedIds())[12]!;
    await page.locator(`tbody tr[data-row-id="${read}"]`).hover();
    // The first write also changes what the liveness banner infers (a gateway writes the file),
    // which may change the banner's height above the table: the rows are measured after it.
    const first = delivered(db, { session: 'telegram:live-first', text: 'Arrived while reading' }).id;
    const bar = page.getByRole('button', { name: /new — show$/ });
    await eventually(async () => assert.equal(await bar.innerText(), '1 new — show'));
    const feed = writer(db, 300);
    const ys = await positions(page, read, 3_000);
    const added = [first, ...feed.stop()];
    assert.ok(added.length >= 5, `the writer added ${added.length} turns in 3 s`);
    assert.ok(ys.length > 5 && ys.every((y) => y === ys[0]), `the row read moved: ${ys.join(', ')}`);
    await eventually(async () => assert.equal(await bar.innerText(), `${added.length} new — show`));
    assert.ok(!(await turns.renderedIds()).includes(added.at(-1)!), 'new rows are not inserted while reading');
    await screenshot(page, 'turns-new-rows');

    // Showing them: inserted at the top, scrolled back there, the bar gone.
    await bar.click();
    await eventually(async () => assert.equal((await turns.renderedIds())[0], added.at(-1)));
    assert.equal(await bar.count(), 0);
    assert.equal(
      await turns
        .table()
        .evaluate((el) => (el as unknown as { parentElement: { scrollTop: number } }).parentElement.scrollTop),
      0,
    );

    // At the top with a row selected: it holds still too, and the shortcut shows the new rows.
    const picked = (await turns.renderedIds())[3]!;
    await turns.select(picked);
    const feed2 = writer(db, 300);
    const ys2 = await positions(page, picked, 2_000);
    const added2 = feed2.stop();
    assert.ok(
      ys2.every((y) => y === ys2[0]),
      `the selected row moved: ${ys2.join(', ')}`,
    );
    await eventually(async () => assert.equal(await bar.innerText(), `${added2.length} new — show`));
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('n');
    await eventually(async () => assert.equal((await turns.renderedIds())[0], added2.at(-1)));

    // At the top with nothing selected: rows arrive live, as before.
    // (A click without scrolling it into view: the new rows pushed it below the fold.)
    await page.getByRole('checkbox', { name: `Select row ${picked}`, exact: true }).dispatchEvent('click');
    const live = delivered(db, { session: 'telegram:live-now', text: 'Shown at once' }).id;
    await eventually(async () => assert.equal((await turns.renderedIds())[0], live), 5_000);
    assert.equal(await bar.count(), 0);
    assert.deepEqual(problems.errors, []);
  },
);

test(
  'a turn replayed in "Stuck only" stays in view, marked, until the view is left',
  { timeout: 60_000 },
  async (t) => {
    const db = createDb(60 * 60_000);
    // Running for an hour with no attempt: stuck by age. A replay re-arms it (due now), so it
    // is no longer stuck and leaves the filter.
    const stuck = [0, 1, 2].map((i) => running(db, { session: `telegram:stuck-${i}`, text: `Stuck ${i}` }));
    for (let i = 0; i < 5; i++) delivered(db, { session: `slack:ok-${i}`, text: 'Fine' });
    db.clock.t = null;
    const { served, page, problems } = await openDesk(t, browser, db.file);
    const turns = new TablePage(page, 'Turns');
    await turns.open(served.url);
    await turns.go('#/turns');
    await turns.stuckOnly().check();
    await eventually(async () => assert.deepEqual(new Set(await turns.renderedIds()), new Set(stuck.map((s) => s.id))));
    const target = stuck[1]!.id;
    const order = await turns.renderedIds();
    await turns.select(target);
    await turns.requestAction(turns.bulkButton('Replay turn'));
    await turns.confirm();
    await eventually(() => assert.equal(db.lc.getTurn(target)!.status, 'failed_retryable'));
    assert.equal(
      db.lc.listTurns({ stuck: true }).items.some((x) => x.id === target),
      false,
      'no longer stuck',
    );

    // Several refreshes later it is still there, in its place, saying what happened.
    const row = turns.row(target);
    await eventually(async () =>
      assert.match(await row.innerText(), /Replay requested — no longer matches this filter/),
    );
    await delay(1_500);
    assert.equal(await row.count(), 1);
    assert.deepEqual(await turns.renderedIds(), order, 'in its place: the rows keep their order');
    assert.match((await row.getAttribute('class')) ?? '', /row-gone/);
    // With what it is now, not what it was (another writer may have moved it too).
    await eventually(async () => assert.match(await row.innerText(), /failed retryable/));
    await screenshot(page, 'turns-kept-row');

    // Leaving the view ends it: back on Turns (still "Stuck only") the turn is gone.
    await turns.go('#/overview');
    await page.getByRole('heading', { level: 1 }).filter({ hasText: 'Overview' }).waitFor();
    // The view's link carries its filter (a bare #/turns is the unfiltered list).
    await turns.go('#/turns?stuck=1');
    await eventually(async () => {
      const ids = await turns.renderedIds();
      assert.equal(ids.length, 2);
      assert.equal(ids.includes(target), false);
    });
    assert.deepEqual(problems.errors, []);
  },
);

test(
  "an idle file with a gateway's worker heartbeating: nothing is refetched, only the liveness check asks",
  { timeout: 60_000 },
  async (t) => {
    const db = createDb(60 * 60_000);
    for (let i = 0; i < 30; i++) delivered(db, { session: `telegram:chat-${i}`, text: `Question ${i}` });
    db.clock.t = null;
    // The gateway's own recovery worker: a pass and a heartbeat every 300 ms, no lifecycle change.
    const worker = new RecoveryWorker(new SqliteStore(db.lc), { tickMs: 300 });
    worker.start();
    t.after(() => worker.stop());
    const { served, page, problems } = await openDesk(t, browser, db.file);
    const turns = new TablePage(page, 'Turns');
    for (const [hash, ready] of [
      ['#/overview', () => page.getByRole('heading', { name: 'Stuck turns' }).waitFor()],
      ['#/turns', () => turns.rows().first().waitFor()],
    ] as const) {
      await turns.open(served.url);
      await turns.go(hash);
      await ready();
      await delay(1_500); // the page's first loads settle
      const calls = apiCalls(page);
      await delay(6_000);
      assert.deepEqual(
        calls.filter((m) => m !== 'getLiveness'),
        [],
        `${hash}: requests while the file was idle: ${calls.join(', ')}`,
      );
    }
    assert.ok(
      (db.lc.db.prepare('SELECT count(*) AS n FROM lifecycle_workers').get() as { n: number }).n > 0,
      'the worker recorded its heartbeats',
    );
    assert.deepEqual(problems.errors, []);
  },
);

test('one Enter in a filter box sends one request', { timeout: 60_000 }, async (t) => {
  const db = createDb(60 * 60_000);
  for (let i = 0; i < 20; i++) delivered(db, { session: `telegram:chat-${i}`, text: `Question ${i}` });
  db.clock.t = null;
  const { served, page } = await openDesk(t, browser, db.file);
  const turns = new TablePage(page, 'Turns');
  await turns.open(served.url);
  await turns.go('#/turns');
  await turns.rows().first().waitFor();
  const calls = apiCalls(page);
  await turns.search().fill('telegram:chat-1');
  await page.keyboard.press('Enter');
  await delay(1_500); // past the box's pause (350 ms), which must not send it again
  assert.deepEqual(
    calls.filter((m) => m === 'listTurns'),
    ['listTurns'],
    `requests: ${calls.join(', ')}`,
  );
  await eventually(async () => assert.ok((await turns.renderedIds()).every((id) => id.length > 0)));
});
