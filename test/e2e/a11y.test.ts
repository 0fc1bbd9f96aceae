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

/** The list views: their route, name and a row that says they have drawn. */
const LIST_VIEWS = [
  ['#/turns', 'turns', 'table[aria-label="Turns"] tbody tr[data-row-id]'],
  ['#/outbox', 'outbox', 'table[aria-label="Outbox"] tbody tr[data-row-id]'],
  ['#/errors', 'errors', 'table[aria-label="Error groups"] tbody tr'],
  ['#/audit', 'audit', 'table[aria-label="Audit trail"] tbody tr'],
] as const;

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/** What fails the run; AXE_ALL=1 lists the moderate and minor ones too (none today). */
const BLOCKING = new Set(process.env.AXE_ALL ? ['minor', 'moderate', 'serious', 'critical'] : ['serious', 'critical']);

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

      await desk.open(served);
      // The overview with its counts, stuck lists and charts on screen.
      await page.locator('[data-count="attention.stuckTurns"]').filter({ hasText: /\d/ }).waitFor();
      await page.locator('.recharts-surface').first().waitFor();
      await check('overview 1280');

      await page.setViewportSize({ width: 820, height: 950 });
      await check('overview 820');
      await page.setViewportSize({ width: 1280, height: 900 });

      for (const [hash, name, ready] of LIST_VIEWS) {
        await desk.go(hash);
        await page.locator(ready).first().waitFor();
        await check(name);
        if (name === 'turns') {
          // The column chooser, open.
          await page.locator('.column-chooser summary').click();
          await page.getByRole('group', { name: 'Visible columns' }).waitFor();
          await check('turns, columns menu');
          await page.locator('.column-chooser summary').click();
        }
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
      // A turn failed for good: its disabled actions and the reasons beside them.
      const dead = (
        db.lc.db.prepare("SELECT id FROM message_turns WHERE status = 'failed_terminal' LIMIT 1").get() as {
          id: string;
        }
      ).id;
      await detail.openTurn(dead);
      await detail.actionWhy().waitFor();
      await check('turn detail, failed for good');
      await detail.openTurn(failed.id);
      await detail.requestAction(detail.action('Replay turn'));
      await check('action confirm');
      // Confirmed: the result's notice.
      await desk.confirm();
      await eventually(async () => assert.match(await desk.statusMessage().innerText(), /Replay requested/));
      await check('action result');

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
    await desk.open(served);
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
    // End: the last row, rendered by scrolling the virtualized list; Home: back to the first.
    const total = (db.lc.db.prepare('SELECT count(*) AS n FROM message_turns').get() as { n: number }).n;
    assert.ok(total > 40, `${total} turns: more than the rows rendered at once`);
    await page.keyboard.press('End');
    await eventually(async () => assert.equal((await focused(page)).rowIndex, total + 1));
    await page.keyboard.press('Home');
    await eventually(async () => assert.equal((await focused(page)).rowId, newest));
    const box = table.locator(`tr[data-row-id="${newest}"]`).getByRole('checkbox');
    await page.keyboard.press(' ');
    assert.equal(await box.isChecked(), true);
    await page.keyboard.press(' ');
    assert.equal(await box.isChecked(), false);

    // Enter opens it.
    await page.keyboard.press('Enter');
    await page.locator('.detail-title h2', { hasText: newest }).waitFor();
    // The row went with the list: the focus goes on from the new view's top, not the page's start.
    assert.equal(await page.evaluate('document.activeElement.id'), 'main');

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

/**
 * Run in the page on the focused element: its name, and why its focus ring cannot be seen
 * (null when it can): no outline or one under 2 px; one an `overflow: hidden` ancestor cuts
 * off; or one under 3:1 against the background it is drawn on (WCAG 1.4.11). Plain JavaScript:
 * the tests are compiled without the DOM's types.
 */
const FOCUS_PROBE = `(() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  // Each element once: a walk ends when it is back on one it saw.
  const ids = (window.__focusProbeIds = window.__focusProbeIds || new WeakMap());
  if (!ids.has(el)) ids.set(el, (window.__focusProbeNext = (window.__focusProbeNext || 0) + 1));
  const key = ids.get(el);
  const label = el.getAttribute('aria-label') || (el.labels && el.labels[0] ? el.labels[0].innerText : null);
  const name = el.tagName.toLowerCase() + (el.type ? '[' + el.type + ']' : '') + '.' + String(el.className).split(' ')[0] +
    (label ? '[' + label.trim().replace(/\\s+/g, ' ').slice(0, 40) + ']' : '') +
    ' "' + (el.innerText || '').trim().replace(/\\s+/g, ' ').slice(0, 30) + '"';
  // A part of a drawing (a chart's layer) is no control: a stop there shows nothing.
  if (el.ownerSVGElement) return { key, name, why: 'a part of an SVG drawing is a tab stop' };
  const s = getComputedStyle(el);
  const width = parseFloat(s.outlineWidth);
  if (s.outlineStyle === 'none' || width < 2) return { key, name, why: 'no ring (outline ' + s.outlineStyle + ' ' + s.outlineWidth + ')' };
  const offset = parseFloat(s.outlineOffset);
  const grow = Math.max(0, width + offset);
  const b = el.getBoundingClientRect();
  const ring = { left: b.left - grow, right: b.right + grow, top: b.top - grow, bottom: b.bottom + grow };
  for (let p = el.parentElement; p; p = p.parentElement) {
    const ps = getComputedStyle(p);
    if (![ps.overflowX, ps.overflowY].some((o) => o === 'hidden' || o === 'clip')) continue;
    const c = p.getBoundingClientRect();
    // Cut on a side where the element itself ends inside the box (one wider than its scroller,
    // a row, goes on out of view: that side is not a cut ring). A pixel of slack: fractional layout.
    const cut = (ringEdge, ownEdge, boxEdge, sign) => sign * (ringEdge - boxEdge) > 1 && sign * (ownEdge - boxEdge) <= 0;
    if (cut(ring.left, b.left, c.left, -1) || cut(ring.right, b.right, c.right, 1) || cut(ring.top, b.top, c.top, -1) || cut(ring.bottom, b.bottom, c.bottom, 1))
      return { key, name, why: 'ring cut by ' + p.tagName.toLowerCase() + '.' + String(p.className).split(' ')[0] + ' (overflow hidden)' };
  }
  const rgba = (c) => { const m = c.match(/[\\d.]+/g).map(Number); return [m[0], m[1], m[2], m.length > 3 ? m[3] : 1]; };
  // The background under the ring: the element's own when the ring is drawn inside it, else its
  // parent's; semi-transparent layers blended down to the first opaque one.
  const layers = [];
  for (let p = offset + width <= 0 ? el : el.parentElement; p; p = p.parentElement) {
    const c = rgba(getComputedStyle(p).backgroundColor);
    if (c[3] > 0) layers.push(c);
    if (c[3] >= 1) break;
  }
  let bg = [255, 255, 255];
  for (const c of layers.reverse()) bg = bg.map((v, i) => v * (1 - c[3]) + c[i] * c[3]);
  const lum = (c) => { const [r, g, b2] = c.slice(0, 3).map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }); return 0.2126 * r + 0.7152 * g + 0.0722 * b2; };
  const a = lum(rgba(s.outlineColor)), z = lum(bg);
  const ratio = (Math.max(a, z) + 0.05) / (Math.min(a, z) + 0.05);
  if (ratio < 3) return { key, name, why: 'ring contrast ' + ratio.toFixed(2) + ':1 (' + s.outlineColor + ' on rgb(' + bg.map(Math.round).join(', ') + '))' };
  return { key, name, why: null };
})()`;

/** Tabs through up to `limit` stops of the page (or once round it): the stops whose ring fails. */
async function ringless(page: Page, limit: number): Promise<{ bad: string[]; visited: number }> {
  const bad: string[] = [];
  const seen = new Set<number>();
  let last = -1;
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    const r = (await page.evaluate(FOCUS_PROBE)) as { key: number; name: string; why: string | null } | null;
    if (!r) continue;
    // The same element again: Tab moved between the parts of a date field. Another one seen
    // before: round the page.
    if (r.key !== last) {
      if (seen.has(r.key)) break;
      seen.add(r.key);
      last = r.key;
    }
    const line = `${r.name}: ${r.why}`;
    if (r.why && !bad.includes(line)) bad.push(line);
  }
  return { bad, visited: seen.size };
}

test(
  'every tab stop shows its focus ring, uncut and at 3:1 (each view and the action dialog, both themes)',
  { timeout: 180_000 },
  async (t) => {
    const { db, stuck, failed } = mixedStory(60, 3);
    db.lc.operatorRetry(stuck.rowId, 'desk:ops', 'telegram rate limit, ticket 4411');
    const bad: string[] = [];
    for (const theme of ['light', 'dark'] as const) {
      const { served, page } = await openDesk(t, browser, db.file, { colorScheme: theme, width: 1280, height: 900 });
      const desk = new DeskPage(page);
      const detail = new TurnDetailPage(page);
      const walk = async (where: string, fromMain = true): Promise<void> => {
        // From the top of the view (the sidebar's stops are walked once, from page load).
        if (fromMain) await page.evaluate("document.getElementById('main').focus()");
        const r = await ringless(page, 90);
        // Not a walk through nothing: each view has more than a handful of stops.
        assert.ok(r.visited >= 5, `${where}: only ${r.visited} tab stops`);
        bad.push(...r.bad.map((b) => `[${where}, ${theme}] ${b}`));
      };
      await desk.open(served);
      await page.locator('.recharts-surface').first().waitFor();
      await walk('overview', false);
      for (const [hash, name, ready] of LIST_VIEWS) {
        await desk.go(hash);
        await page.locator(ready).first().waitFor();
        await walk(name);
      }
      await detail.openTurn(stuck.turn.id);
      await walk('turn');
      await detail.openTurn(failed.id);
      await detail.requestAction(detail.action('Replay turn'));
      // Inside the dialog, Tab goes round its own stops only.
      const r = await ringless(page, 20);
      bad.push(...r.bad.map((b) => `[action confirm, ${theme}] ${b}`));
      await desk.cancel();
    }
    assert.ok(bad.length === 0, `${bad.length} tab stop(s) without a visible ring:\n${bad.join('\n')}`);
  },
);
