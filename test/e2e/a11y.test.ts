// Accessibility in Chromium: axe-core on every view and dialog in both themes (serious and
// critical violations fail, each printed with what to fix), and one keyboard-only walk from page
// load to an action dialog and back.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import AxeBuilder from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import { eventually, launchBrowser, openDesk } from './harness';
import { DeskPage } from './pages/desk';
import { TurnDetailPage } from './pages/detail';
import { BulkDialog } from './pages/triage';
import { mixedStory } from './seed';

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

const BLOCKING = new Set(['serious', 'critical']);

/**
 * Runs axe on the page as it is and returns one paragraph per serious or critical violation:
 * where, the rule, its impact, each node's selector and axe's summary of what fails there.
 */
async function axeFailures(page: Page, where: string): Promise<string[]> {
  // Let React commit and the browser paint what the last step changed (contrast is read from it).
  await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => BLOCKING.has(v.impact ?? ''))
    .map((v) => {
      const nodes = v.nodes
        .slice(0, 8)
        .map((n) => `    ${n.target.join(' ')}\n      ${(n.failureSummary ?? '').replaceAll('\n', '\n      ')}`)
        .join('\n');
      const more = v.nodes.length > 8 ? `\n    … and ${v.nodes.length - 8} more nodes` : '';
      return `[${where}] ${v.id} (${v.impact}): ${v.help}\n${nodes}${more}`;
    });
}

function report(failures: string[]): string {
  return `${failures.length} serious or critical axe violation(s):\n\n${failures.join('\n\n')}`;
}

for (const theme of ['light', 'dark'] as const) {
  test(
    `axe-core: no serious or critical violation on any view or dialog (${theme})`,
    { timeout: 180_000 },
    async (t) => {
      const { db, stuck, failed } = mixedStory(160, 6);
      // An operator's action with a reason, so the audit has a row to show.
      db.lc.operatorRetry(stuck.rowId, 'desk:ops', 'telegram rate limit, ticket 4411');
      const { served, page, problems } = await openDesk(t, browser, db.file, {
        colorScheme: theme,
        width: 1280,
        height: 900,
      });
      const desk = new DeskPage(page);
      const detail = new TurnDetailPage(page);
      const failures: string[] = [];
      const check = async (where: string): Promise<void> => {
        failures.push(...(await axeFailures(page, `${where}, ${theme}`)));
      };

      await desk.open(served.url);
      // The overview with its counts, stuck lists and charts on screen.
      await page.locator('[data-count="attention.stuckTurns"]').filter({ hasText: /\d/ }).waitFor();
      await page.locator('.recharts-surface').first().waitFor();
      await check('overview 1280');

      await page.setViewportSize({ width: 820, height: 950 });
      await check('overview 820');
      await page.setViewportSize({ width: 1280, height: 900 });

      for (const [hash, name, ready] of [
        ['#/turns', 'turns', 'table[aria-label="Turns"] tbody tr[data-row-id]'],
        ['#/outbox', 'outbox', 'table[aria-label="Outbox"] tbody tr[data-row-id]'],
        ['#/errors', 'errors', 'table[aria-label="Error groups"] tbody tr'],
        ['#/audit', 'audit', 'table[aria-label="Audit trail"] tbody tr'],
      ] as const) {
        await desk.go(hash);
        await page.locator(ready).first().waitFor();
        await check(name);
      }

      // A bulk preview (by filter, from the turns list), once its count is shown.
      await desk.go('#/turns');
      await page.locator('table[aria-label="Turns"] tbody tr[data-row-id]').first().waitFor();
      const byFilter = page.locator('.bulk-by-filter');
      await eventually(async () => assert.match(await byFilter.innerText(), /Act on all [\d,]+ matching/));
      await byFilter.click();
      const bulk = new BulkDialog(desk);
      await bulk.dialog().waitFor();
      await eventually(() => bulk.counts());
      await check('bulk preview');
      await page.keyboard.press('Escape');
      await bulk.dialog().waitFor({ state: 'hidden' });

      // A turn's page (the stuck send: why stuck, its outbox rows, the timeline) and an action's
      // confirmation on it.
      await detail.openTurn(stuck.turn.id);
      await detail.outboxRow(stuck.rowId).waitFor();
      await detail.timeline().waitFor();
      await check('turn detail');
      await detail.openTurn(failed.id);
      await detail.requestAction(detail.action('Replay turn'));
      await check('action confirm');
      await desk.cancel();

      // The help.
      await page.getByRole('button', { name: /Keyboard shortcuts|Help/ }).click();
      await page.locator('#shortcut-help').waitFor();
      await check('help');
      await page.keyboard.press('Escape');

      assert.ok(failures.length === 0, report(failures));
      assert.deepEqual(problems.errors, []);
    },
  );
}

/** What has the focus, as the keyboard test needs to know it. */
interface Focused {
  tag: string;
  text: string;
  /** Inside the open dialog. */
  inDialog: boolean;
  /** A table row: its id and its aria-rowindex. */
  rowId: string | null;
  rowIndex: number | null;
  /** Inside the turn page's actions. */
  inActions: boolean;
  /** Marked by the test (data-kb-mark). */
  mark: string | null;
}

function focused(page: Page): Promise<Focused> {
  return page.evaluate(() => {
    const el = (globalThis as unknown as { document: { activeElement: HTMLElementLike | null } }).document
      .activeElement;
    interface HTMLElementLike {
      tagName: string;
      innerText?: string;
      closest(s: string): unknown;
      getAttribute(n: string): string | null;
    }
    if (!el) return { tag: '', text: '', inDialog: false, rowId: null, rowIndex: null, inActions: false, mark: null };
    const isRow = el.tagName === 'TR';
    return {
      tag: el.tagName.toLowerCase(),
      text: (el.innerText ?? '').trim().slice(0, 60),
      inDialog: el.closest('dialog[open]') !== null,
      rowId: isRow ? el.getAttribute('data-row-id') : null,
      rowIndex: isRow ? Number(el.getAttribute('aria-rowindex')) : null,
      inActions: el.closest('.detail-actions') !== null,
      mark: el.getAttribute('data-kb-mark'),
    };
  });
}

/** Presses Tab until `done` holds for the focused element; fails after `limit` presses. */
async function tabUntil(page: Page, what: string, done: (f: Focused) => boolean, limit = 60): Promise<Focused> {
  const seen: string[] = [];
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    const f = await focused(page);
    if (done(f)) return f;
    seen.push(`${f.tag}:${f.text}`);
  }
  throw new Error(`${what} not reached in ${limit} Tabs; focus went through: ${seen.join(' | ')}`);
}

test(
  'keyboard alone: Turns link, first row, its page, an action dialog that keeps and returns the focus',
  { timeout: 90_000 },
  async (t) => {
    const { db } = mixedStory(60, 3);
    const { served, page, problems } = await openDesk(t, browser, db.file, { width: 1280, height: 900 });
    const desk = new DeskPage(page);
    await desk.open(served.url);
    await page.locator('[data-count="attention.stuckTurns"]').filter({ hasText: /\d/ }).waitFor();

    // The page's first tab stop skips the navigation; the next ones are the sidebar's views.
    await page.keyboard.press('Tab');
    assert.equal((await focused(page)).text, 'Skip to content');
    assert.ok(await page.getByRole('link', { name: 'Skip to content' }).isVisible());
    await tabUntil(page, 'the Turns link', (f) => f.tag === 'a' && /^Turns/.test(f.text), 8);
    await page.keyboard.press('Enter');
    await eventually(async () => assert.equal(await desk.heading().innerText(), 'Turns'));
    const table = page.getByRole('table', { name: 'Turns', exact: true });
    await table.locator('tbody tr[data-row-id]').first().waitFor();

    // One tab stop for the rows: the first row (newest first), whatever the number of rows.
    const first = await tabUntil(page, 'the first row', (f) => f.rowId !== null, 40);
    assert.equal(first.rowIndex, 2, 'the first row after the header');
    const newest = (
      db.lc.db.prepare('SELECT id FROM message_turns ORDER BY accepted_at DESC, id DESC LIMIT 1').get() as {
        id: string;
      }
    ).id;
    assert.equal(first.rowId, newest);
    // The arrows move between rows, Space ticks the row.
    await page.keyboard.press('ArrowDown');
    assert.equal((await focused(page)).rowIndex, 3);
    await page.keyboard.press('ArrowUp');
    assert.equal((await focused(page)).rowId, newest);
    const box = table.locator(`tr[data-row-id="${newest}"]`).getByRole('checkbox');
    await page.keyboard.press(' ');
    assert.equal(await box.isChecked(), true);
    await page.keyboard.press(' ');
    assert.equal(await box.isChecked(), false);

    // Enter opens it.
    await page.keyboard.press('Enter');
    await page.locator('.detail-title h2', { hasText: newest }).waitFor();

    // To the first action the turn can take, and its dialog.
    await tabUntil(page, 'an action of the turn', (f) => f.inActions && f.tag === 'button', 80);
    await page.evaluate(() => {
      const d = globalThis as unknown as { document: { activeElement: { setAttribute(n: string, v: string): void } } };
      d.document.activeElement.setAttribute('data-kb-mark', 'opener');
    });
    await page.keyboard.press('Enter');
    const dialog = desk.dialog();
    await dialog.waitFor();
    const start = await focused(page);
    assert.ok(start.inDialog, 'the dialog took the focus');

    // Tab goes round inside the dialog, both ways, and comes back to where it started.
    const stops = await dialog.locator('button:not(:disabled), textarea, input, a[href]').count();
    assert.ok(stops >= 2, `${stops} tab stops in the dialog`);
    const round: Focused[] = [];
    for (let i = 0; i < stops; i++) {
      await page.keyboard.press('Tab');
      round.push(await focused(page));
    }
    assert.ok(
      round.every((f) => f.inDialog),
      round.map((f) => `${f.tag}:${f.text}:${f.inDialog}`).join(' | '),
    );
    assert.deepEqual(await focused(page), start, 'after one round, Tab is back on the first stop');
    await page.keyboard.press('Shift+Tab');
    assert.ok((await focused(page)).inDialog, 'Shift+Tab from the first stop stays inside');
    await page.keyboard.press('Tab');

    // Escape closes it, and the focus is back on the button that opened it.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    assert.equal((await focused(page)).mark, 'opener');
    assert.deepEqual(problems.errors, []);
  },
);
