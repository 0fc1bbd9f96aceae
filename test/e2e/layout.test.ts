// Issue 12's layout bugs, each as an assertion on the real page in Chromium: buttons that leave
// their card, a column off screen, badges cut, numbers written two ways, "queued → queued",
// ids cut where they differ, a theme button unreadable when focused.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
import { eventually, launchBrowser, openDesk, screenshot } from './harness';
import { TurnDetailPage } from './pages/detail';
import { TablePage } from './pages/tables';
import { mixedStory, stuckSend, type MixedStory } from './seed';

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

async function box(l: Locator): Promise<Box> {
  const b = await l.boundingBox();
  assert.ok(b, 'the element is rendered');
  return b;
}

/** `inner` lies horizontally within `outer` (1 px of rounding allowed). */
function within(inner: Box, outer: Box, what: string): void {
  assert.ok(
    inner.x >= outer.x - 1 && inner.x + inner.width <= outer.x + outer.width + 1,
    `${what}: ${JSON.stringify(inner)} is not within ${JSON.stringify(outer)}`,
  );
}

/** Elements matching `selector` whose content is wider than their box (cut, with or without an ellipsis). */
function clipped(page: Page, selector: string): Promise<string[]> {
  return page.evaluate((sel) => {
    const doc = (
      globalThis as unknown as {
        document: {
          querySelectorAll(s: string): ArrayLike<{ scrollWidth: number; clientWidth: number; textContent: string }>;
        };
      }
    ).document;
    return Array.from(doc.querySelectorAll(sel))
      .filter((el) => el.clientWidth > 0 && el.scrollWidth > el.clientWidth)
      .map((el) => `${el.textContent} (${el.scrollWidth} > ${el.clientWidth})`);
  }, selector);
}

/** The story, with an operator's retry (a long reason, for the audit) and a turn with a UUIDv7 id. */
function story(): MixedStory & { uuidTurn: string; wide: { turnId: string; rowId: string } } {
  const s = mixedStory(60, 3);
  // A send with what makes a table wide: a long unbroken target and an error that is one long URL.
  const wide = stuckSend(s.db, { session: 'telegram:agent-main-telegram-dm-1172638400-thread-998877665544' }, [
    'https://api.telegram.org/bot123456:ABCDEF/sendMessage?chat_id=1172638400&reply_to_message_id=9260&message_thread_id=998877665544 returned 400',
  ]);
  s.db.lc.operatorRetry(
    s.stuck.rowId,
    'cli:alice',
    'telegram was rate-limiting us from 14:02 to 14:20; (https://status.example.com/incidents/2026-12-01-telegram-bot-api-rate-limits) the user asked in ticket 4411 why the reply never came, so we retry now',
  );
  // The gateway's own ids: UUIDv7, time-ordered, sharing their head.
  const { turn } = s.db.lc.accept({
    channel: 'telegram',
    sessionKey: 'telegram:uuid-1',
    dedupeKey: 'telegram:uuid-1:1',
    payload: { text: 'hello' },
    route: { channel: 'telegram', to: 'uuid-1' },
  });
  s.db.lc.accept({
    channel: 'telegram',
    sessionKey: 'telegram:uuid-2',
    dedupeKey: 'telegram:uuid-2:1',
    payload: { text: 'hello again' },
    route: { channel: 'telegram', to: 'uuid-2' },
  });
  return { ...s, uuidTurn: turn.id, wide: { turnId: wide.turn.id, rowId: wide.rowId } };
}

test(
  "a turn's outbox row keeps Retry and Terminate inside its card at 1,280 to 1,600 px",
  { timeout: 90_000 },
  async (t) => {
    const s = story();
    // A row whose error is long: the widest last-error cell the table has to hold beside its buttons.
    const { served, page, problems } = await openDesk(t, browser, s.db.file, { width: 1400, height: 900 });
    const desk = new TurnDetailPage(page);
    await desk.open(served);
    await desk.openTurn(s.wide.turnId);
    for (const width of [1280, 1400, 1440, 1600]) {
      await page.setViewportSize({ width, height: 900 });
      const card = page.locator('section.card', { has: page.getByRole('table', { name: 'Outbox rows of this turn' }) });
      const cardBox = await box(card);
      for (const name of ['Retry now', 'Terminate'] as const) {
        const button = desk.rowAction(s.wide.rowId, name);
        await button.waitFor();
        within(await box(button), cardBox, `${name} at ${width} px`);
        within(await box(button), { x: 0, y: 0, width, height: 900 }, `${name} at ${width} px (viewport)`);
      }
      // The timeline's long error wraps inside its card too.
      const timelineCard = await box(page.locator('section.card', { has: desk.timeline() }));
      for (const part of await desk.timeline().locator('li > :not(.change), li > .change > *').all()) {
        within(await box(part), timelineCard, `a timeline entry's part at ${width} px`);
      }
      if (width === 1400) await screenshot(page, 'layout-turn-detail-1400-light', { fitContent: true });
    }
    assert.deepEqual(problems.errors, []);
  },
);

test(
  'the timeline says a retry was scheduled and which attempt failed, never "queued → queued"',
  { timeout: 60_000 },
  async (t) => {
    const s = story();
    const { served, page, problems } = await openDesk(t, browser, s.db.file);
    const desk = new TurnDetailPage(page);
    await desk.open(served);
    await desk.openTurn(s.stuck.turn.id);
    const items = desk.timeline().locator('li');
    await items.first().waitFor();
    const texts = await items.allInnerTexts();
    // The seed's row failed twice (429), then a person asked for a retry.
    assert.ok(
      texts.some((x) => /attempt 1 failed/.test(x) && /429 Too Many Requests/.test(x)),
      texts.join('\n'),
    );
    assert.ok(
      texts.some((x) => /attempt 2 failed/.test(x)),
      texts.join('\n'),
    );
    const retry = texts.find((x) => /retry scheduled/.test(x));
    assert.ok(retry, texts.join('\n'));
    assert.match(retry, /stays\s+failed retryable/);
    // No entry shows the same status twice as a change.
    const sameTwice = await desk
      .timeline()
      .locator('.transition')
      .evaluateAll((els) =>
        els
          .map((el) =>
            Array.from(
              (el as unknown as { querySelectorAll(s: string): ArrayLike<{ textContent: string }> }).querySelectorAll(
                '.badge',
              ),
            ).map((b) => b.textContent),
          )
          .filter((b) => b.length === 2 && b[0] === b[1]),
      );
    assert.deepEqual(sameTwice, []);
    assert.deepEqual(problems.errors, []);
  },
);

test(
  'at 820 px: a narrow sidebar, "Why stuck" in view, no badge cut, tables scroll inside their card',
  { timeout: 90_000 },
  async (t) => {
    const s = story();
    for (const theme of ['light', 'dark'] as const) {
      const { served, page, problems } = await openDesk(t, browser, s.db.file, {
        width: 820,
        height: 900,
        colorScheme: theme,
      });
      const turns = new TablePage(page, 'Turns');
      await turns.open(served);
      const sidebar = await box(page.getByRole('navigation', { name: 'Main' }));
      assert.ok(sidebar.width < 820 * 0.25, `sidebar ${sidebar.width} px wide at 820 px`);
      // Every view is still named: the rail's links keep their names for screen readers and tooltips.
      for (const name of ['Overview', 'Turns', 'Outbox', 'Errors', 'Audit']) {
        await page
          .getByRole('navigation', { name: 'Main' })
          .getByRole('link', { name: new RegExp(`^${name}`) })
          .waitFor();
      }
      await page.locator('.recharts-surface').first().waitFor();
      assert.deepEqual(await clipped(page, '.badge'), [], 'overview badges');

      await turns.go('#/turns');
      await turns.row(s.stuck.turn.id).waitFor();
      const scroller = await box(page.locator('.data-table .table-scroll'));
      const header = await box(turns.table().getByRole('columnheader', { name: 'Why stuck' }));
      within(header, scroller, 'the Why stuck header');
      const reason = turns.row(s.stuck.turn.id).locator('td.col-stuckReason');
      within(await box(reason), scroller, 'the stuck reason');
      assert.match(await reason.innerText(), /429 Too Many Requests/);
      assert.deepEqual(await clipped(page, '.badge'), [], 'turns badges');
      // The page itself never scrolls sideways: the table scrolls inside its card.
      const overflow = await page.locator('.content').evaluate((el) => el.scrollWidth - el.clientWidth);
      assert.ok(overflow <= 1, `the main area is ${overflow} px wider than the window`);
      await screenshot(page, `layout-turns-820-${theme}`);

      const desk = new TurnDetailPage(page);
      await desk.openTurn(s.stuck.turn.id);
      await desk.timeline().waitFor();
      assert.deepEqual(await clipped(page, '.badge'), [], 'turn detail badges');
      within(
        await box(desk.rowAction(s.stuck.rowId, 'Terminate')),
        { x: 0, y: 0, width: 820, height: 1e6 },
        'Terminate at 820 px',
      );
      assert.deepEqual(problems.errors, []);
    }
  },
);

test('the audit keeps its Reason column inside the card at 1,280 and 820 px', { timeout: 60_000 }, async (t) => {
  const s = story();
  for (const width of [1280, 820]) {
    const { served, page, problems } = await openDesk(t, browser, s.db.file, { width, height: 900 });
    const desk = new TurnDetailPage(page);
    await desk.open(served);
    await desk.go('#/audit');
    const row = page.getByRole('table', { name: 'Audit trail' }).locator('tbody tr').filter({ hasText: 'ticket 4411' });
    await row.waitFor();
    const card = await box(page.locator('section.card', { has: page.getByRole('table', { name: 'Audit trail' }) }));
    const note = row.locator('td.audit-note');
    within(await box(note), card, `the Reason cell at ${width} px`);
    assert.match(await note.innerText(), /ticket 4411 why the reply never came, so we retry now/);
    assert.deepEqual(await clipped(page, '.audit-table td, .badge'), [], `audit cells at ${width} px`);
    assert.deepEqual(problems.errors, []);
  }
});

test('ids are cut in the middle, whole on hover, and copied by a labelled button', { timeout: 60_000 }, async (t) => {
  const s = story();
  const { served, page, context, problems } = await openDesk(t, browser, s.db.file, { width: 1280 });
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const turns = new TablePage(page, 'Turns');
  await turns.open(served);
  await turns.go('#/turns');
  const row = turns.row(s.uuidTurn);
  await row.waitFor();
  const link = row.getByRole('link', { name: new RegExp(`^${s.uuidTurn.slice(0, 6)}`) });
  const shown = await link.innerText();
  assert.equal(shown, `${s.uuidTurn.slice(0, 6)}…${s.uuidTurn.slice(-8)}`);
  assert.equal(await link.getAttribute('title'), s.uuidTurn);
  // The cell reads as one line of text (no line breaks from the button beside the id).
  assert.equal((await row.locator('td.col-id').innerText()).trim(), shown);
  // The id and its button fit their column: nothing of the shortened id is cut.
  assert.deepEqual(await clipped(page, '.short-id > .mono'), []);
  // Two turns accepted in the same second: their shortened ids differ.
  const ids = await turns.table().locator('td.col-id .mono').allInnerTexts();
  assert.equal(new Set(ids).size, ids.length, ids.join(' '));

  // By keyboard: focus the button, press Enter, read "Copied", find the full id on the clipboard.
  const copy = row.getByRole('button', { name: 'Copy id', exact: true });
  await copy.focus();
  await page.keyboard.press('Enter');
  await row.getByText('Copied', { exact: true }).waitFor();
  assert.equal(await page.evaluate('navigator.clipboard.readText()'), s.uuidTurn);
  // The row did not open: copying is not a click on the row.
  assert.match(new URL(page.url()).hash, /^#\/turns/);
  assert.deepEqual(problems.errors, []);
});

test('every count is written one way: 1,000,000, not 1000000', { timeout: 60_000 }, async (t) => {
  const s = story();
  // A gateway's file with a million delivered turns, as its counters say (kept by its triggers).
  s.db.lc.db.prepare("UPDATE lifecycle_counts SET n = 1000000 WHERE entity = 'turn' AND status = 'delivered'").run();
  s.db.lc.db
    .prepare(
      "UPDATE lifecycle_minutes SET entered = entered + 1000000 WHERE entity = 'turn' AND status = 'accepted' AND minute = (SELECT max(minute) FROM lifecycle_minutes WHERE entity = 'turn' AND status = 'accepted')",
    )
    .run();
  const { served, page, problems } = await openDesk(t, browser, s.db.file, { width: 1280, height: 1400 });
  const desk = new TurnDetailPage(page);
  await desk.open(served);
  await page.locator('.recharts-surface').first().waitFor();
  // The stuck lists, half a row wide at this width: each item's own id is whole, its line ends with the channel.
  assert.deepEqual(await clipped(page, '.stuck-line > .short-id:nth-child(2) > .mono'), []);
  const line = page.getByRole('list', { name: 'Stuck outbox rows' }).locator('.stuck-line').first();
  within(await box(line.locator('.push')), await box(line), 'the stuck row line ends with its channel');
  const main = page.locator('#main');
  await eventually(async () => assert.match(await main.innerText(), /\b1,000,000\b/));
  const text = await main.innerText();
  assert.match(text, /\b1,0\d\d,\d\d\d new\b/);
  // No count of four digits or more without its separators (dates and times aside).
  const counts = await page
    .locator('.count-card, .chart-panel figcaption, .chart-panel header, .section-head')
    .allInnerTexts();
  assert.ok(counts.length > 0);
  for (const c of counts) assert.doesNotMatch(c, /\d{4,}/, c);
  assert.deepEqual(problems.errors, []);
});

test('the focused Theme button is readable on the sidebar, in both themes', { timeout: 60_000 }, async (t) => {
  const s = story();
  for (const theme of ['light', 'dark'] as const) {
    const { served, page } = await openDesk(t, browser, s.db.file, { width: 1280, colorScheme: theme });
    const desk = new TurnDetailPage(page);
    await desk.open(served);
    const button = page.getByRole('button', { name: /^Theme/ });
    for (const state of ['focus', 'hover'] as const) {
      if (state === 'focus') {
        await button.focus();
        await page.keyboard.press('Shift+Tab');
        await page.keyboard.press('Tab');
      } else {
        await button.hover();
      }
      const ratio = await button.evaluate((el) => {
        const w = globalThis as unknown as { getComputedStyle(e: unknown): { color: string; backgroundColor: string } };
        const rgb = (c: string): number[] => (c.match(/[\d.]+/g) ?? []).slice(0, 4).map(Number);
        const lum = ([r, g, b]: number[]): number => {
          const f = (v: number): number => {
            const c = v / 255;
            return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
          };
          return 0.2126 * f(r!) + 0.7152 * f(g!) + 0.0722 * f(b!);
        };
        const style = w.getComputedStyle(el);
        // A transparent background shows the sidebar behind it.
        const bg = rgb(style.backgroundColor);
        const under =
          bg.length === 4 && bg[3] === 0
            ? rgb(w.getComputedStyle((el as { parentElement: unknown }).parentElement).backgroundColor)
            : bg;
        const [a, b] = [lum(rgb(style.color)), lum(under.length === 4 && under[3] === 0 ? [15, 23, 42] : under)];
        return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      });
      assert.ok(ratio >= 4.5, `${theme}, ${state}: contrast ${ratio.toFixed(2)}`);
    }
    await page.close();
  }
});
