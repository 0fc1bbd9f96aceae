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
