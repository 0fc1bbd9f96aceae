// A 337-character turn id (a gateway's own scheme, with characters a URL must escape) is
// listed, opens from the list, and opens from a deep link in a new tab.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchBrowser, openDesk } from './harness';
import { TurnDetailPage } from './pages/detail';
import { TablePage } from './pages/tables';
import { createDb } from './seed';
import { ROUTE } from '../helpers/temp-db';

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

test('a 337-character turn id is listed and opens, from the list and from a link', { timeout: 60_000 }, async (t) => {
  const db = createDb();
  const head = 'gw:telegram/chat 42?x=1&y=ü#';
  const id = head + 'a'.repeat(337 - head.length - 4) + '-337';
  db.lc.accept({ id, channel: 'telegram', sessionKey: 'telegram:long', payload: { text: 'long id' }, route: ROUTE });
  const { served, context, page, problems } = await openDesk(t, browser, db.file, { width: 1280 });
  const turns = new TablePage(page, 'Turns');
  await turns.open(served);
  await turns.navLink('Turns').click();
  await turns.row(id).waitFor();

  const detail = new TurnDetailPage(page);
  await detail.openTurn(id);
  assert.equal(new URL(page.url()).hash, `#/turn/${encodeURIComponent(id)}`);

  const tab = await context.newPage();
  await tab.goto(`${served.origin}/#/turn/${encodeURIComponent(id)}`);
  await tab.locator('.detail-title h2', { hasText: id }).waitFor();
  assert.equal(await tab.getByRole('alert').count(), 0);
  assert.deepEqual(problems.errors, []);
});
