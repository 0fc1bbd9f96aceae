import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { eventually, launchBrowser, newPage, serve } from './harness';
import { TurnDetailPage } from './pages/detail';
import { OverviewPage } from './pages/overview';
import { TablePage } from './pages/tables';
import { accepted, createDb, running, stuckSend } from './seed';

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

const IMG = '<img src=x onerror="window.__pwned=1">';
const BOLD = '<b>bold</b>';

async function pwned(page: Page): Promise<unknown> {
  return page.evaluate(() => (globalThis as unknown as { __pwned?: unknown }).__pwned);
}

interface ProbeImage {
  src: string;
  addEventListener(type: 'error' | 'load', listener: () => void): void;
  remove(): void;
}

/**
 * The positive signal that an injected `<img src=x onerror=…>` had its chance: images of our own
 * with the same sources are added to the page and their `error` events awaited. An image the
 * page had interpreted from a payload requested the same URL earlier, so its handler would have
 * run by then. The probes are removed again.
 */
async function imageErrorsFired(page: Page, sources: string[]): Promise<void> {
  await page.evaluate(async (srcs) => {
    const doc = (
      globalThis as unknown as {
        document: { createElement(tag: 'img'): ProbeImage; body: { appendChild(node: ProbeImage): void } };
      }
    ).document;
    await Promise.all(
      srcs.map(
        (src) =>
          new Promise<void>((resolve, reject) => {
            const img = doc.createElement('img');
            const timer = setTimeout(() => reject(new Error(`no error event for <img src=${src}> in 10 s`)), 10_000);
            img.addEventListener('error', () => {
              clearTimeout(timer);
              img.remove();
              resolve();
            });
            img.addEventListener('load', () => {
              clearTimeout(timer);
              img.remove();
              reject(new Error(`<img src=${src}> loaded: the probe needs a source that fails`));
            });
            img.src = src;
            doc.body.appendChild(img);
          }),
      ),
    );
  }, sources);
}

test('payloads and errors containing HTML show as literal text and run nothing', { timeout: 60_000 }, async (t) => {
  const db = createDb(10 * 60_000);
  const html = stuckSend(
    db,
    {
      session: 'telegram:chat-<i>1</i>',
      payload: { text: `${IMG} and ${BOLD}`, note: '<script>window.__pwned=2</script>' },
    },
    ['<img src=y onerror="window.__pwned=3">', `429 ${BOLD}`],
  );
  const raw = accepted(db, { session: 'slack:raw', payload: '<svg onload="window.__pwned=4"></svg> not JSON at all' });
  running(db, { session: 'discord:<u>x</u>', text: '<iframe src="javascript:window.__pwned=5"></iframe>' });
  db.clock.t = null;

  const served = await serve(db.file);
  t.after(() => served.stop());
  const { context, page, problems } = await newPage(browser, { height: 1100 });
  t.after(() => context.close());
  const requested: string[] = [];
  page.on('request', (req) => requested.push(req.url()));

  // The overview's stuck lists carry the HTML error text.
  const overview = new OverviewPage(page);
  await overview.open(served);
  await overview.stuckRow(html.rowId).waitFor();
  assert.match(await overview.stuckRow(html.rowId).innerText(), /last error 429 <b>bold<\/b>/);

  // Tables.
  const turns = new TablePage(page, 'Turns');
  await turns.navLink('Turns').click();
  await turns.row(html.turn.id).waitFor();
  assert.match(await turns.row(html.turn.id).innerText(), /telegram:chat-<i>1<\/i>/);
  const outbox = new TablePage(page, 'Outbox');
  await outbox.navLink('Outbox').click();
  await outbox.row(html.rowId).waitFor();

  // The detail: payload as text in a <pre>, the reply payload too, and the timeline's errors.
  const detail = new TurnDetailPage(page);
  await detail.openTurn(html.turn.id);
  const payload = await detail.payload().innerText();
  assert.ok(payload.includes(`"text": "${IMG.replace(/"/g, '\\"')} and ${BOLD}"`), payload);
  assert.ok(payload.includes('<script>window.__pwned=2</script>'), payload);
  assert.equal(await detail.payload().locator('*').count(), 0, 'the payload <pre> holds only text');
  assert.match(await detail.timeline().innerText(), /<img src=y onerror="window.__pwned=3">/);
  await detail.openTurn(raw.id);
  assert.equal(await detail.payload().innerText(), '<svg onload="window.__pwned=4"></svg> not JSON at all');

  // Nothing was interpreted: no such elements anywhere, nothing requested the payloads' image
  // sources, and no handler ran, checked once images of those sources have failed to load in
  // this page (so an interpreted one's onerror had its chance).
  assert.equal(await page.locator('img, b, i, u, svg[onload], iframe, script:not([src])').count(), 0);
  const probeUrls = [`${served.origin}/x`, `${served.origin}/y`];
  assert.deepEqual(
    requested.filter((u) => probeUrls.includes(u)),
    [],
  );
  assert.deepEqual(problems.errors, []);
  await imageErrorsFired(page, ['x', 'y']);
  assert.equal(await pwned(page), undefined);
  assert.deepEqual(requested.filter((u) => probeUrls.includes(u)).sort(), probeUrls, 'the probes did request them');
  // The probes' own failed loads are the only console errors.
  assert.deepEqual(
    problems.errors.filter((e) => !/^console: Failed to load resource: .* 404 \(Not Found\)$/.test(e)),
    [],
  );
});

test('a wrong token gets 401, and a used link shows one clear notice', { timeout: 60_000 }, async (t) => {
  const db = createDb();
  accepted(db, { session: 'telegram:chat-1' });
  const served = await serve(db.file);
  t.after(() => served.stop());

  // From node: no credentials, a wrong token, the right (never printed) token.
  const post = (headers: Record<string, string>): Promise<Response> =>
    fetch(`${served.origin}/api/getStatus`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: '{}',
    });
  const none = await post({});
  assert.equal(none.status, 401);
  const wrong = await post({ Authorization: 'Bearer not-the-token' });
  assert.equal(wrong.status, 401);
  const body = (await wrong.json()) as { ok: boolean; error: { code: string } };
  assert.deepEqual([body.ok, body.error.code], [false, 'unauthorized']);
  const right = await post({ Authorization: `Bearer ${served.token}` });
  assert.equal(right.status, 200);
  assert.equal(((await right.json()) as { value: { turns: { accepted: number } } }).value.turns.accepted, 1);

  // A link whose code another browser used already: one notice that says what to do, no data.
  const link = await served.link();
  const first = await newPage(browser);
  t.after(() => first.context.close());
  await new OverviewPage(first.page).open(link);
  const { context, page, problems } = await newPage(browser);
  t.after(() => context.close());
  const desk = new OverviewPage(page);
  await page.goto(link);
  const alert = desk.alerts().filter({ hasText: 'This link was already used or has expired' });
  await alert.waitFor();
  assert.match(await alert.innerText(), /press Enter in the terminal running `lifecycle-desk serve` for a new one/);
  await eventually(async () => assert.equal(await desk.alerts().count(), 1, 'one notice, not two stacked'));
  assert.equal(await desk.card('turns', 'accepted').count(), 0, 'no data shown');
  assert.equal(new URL(page.url()).hash, '#/overview', 'the code left the URL');
  const status = await page.evaluate(async () => {
    const res = await fetch('/api/getStatus', { method: 'POST', headers: { Authorization: 'Bearer wrong-token' } });
    return res.status;
  });
  assert.equal(status, 401);
  const events = await page.evaluate(async () => (await fetch('/api/events')).status);
  assert.equal(events, 401);
  // The 401s the page got are its console errors; nothing else went wrong.
  assert.deepEqual(
    problems.errors.filter((e) => !/^console: Failed to load resource: .* 401 \(Unauthorized\)$/.test(e)),
    [],
  );
});

test(
  'the code leaves the URL; reloads, new tabs and deep links work on the session',
  { timeout: 60_000 },
  async (t) => {
    const db = createDb(10 * 60_000);
    const { turn } = stuckSend(db, { session: 'whatsapp:chat-4', text: 'Where is my parcel?' }, ['ETIMEDOUT']);
    db.clock.t = null;
    const served = await serve(db.file);
    t.after(() => served.stop());
    const { context, page, problems } = await newPage(browser);
    t.after(() => context.close());
    const desk = new TablePage(page, 'Turns');

    await desk.open(served.url);
    assert.equal(page.url(), `${served.origin}/#/overview`);
    assert.equal(
      await page.evaluate(
        () => (globalThis as unknown as { sessionStorage: { length: number } }).sessionStorage.length,
      ),
      0,
      'no secret in session storage',
    );
    assert.equal(
      await page.evaluate(() => (globalThis as unknown as { document: { cookie: string } }).document.cookie),
      '',
    );
    const [cookie] = await context.cookies(served.origin);
    assert.ok(cookie, 'a session cookie was set');
    assert.deepEqual([cookie.httpOnly, cookie.sameSite, cookie.expires, cookie.path], [true, 'Strict', -1, '/']);

    await desk.navLink('Turns').click();
    await desk.row(turn.id).waitFor();
    await page.reload();
    await desk.row(turn.id).waitFor();
    assert.equal(await desk.heading().innerText(), 'Turns');

    // A link to one turn in a new tab of the same browser: no code needed.
    const page2 = await context.newPage();
    const detail = new TurnDetailPage(page2);
    await page2.goto(`${served.origin}/#/turn/${encodeURIComponent(turn.id)}`);
    await page2.locator('.detail-title h2', { hasText: turn.id }).waitFor();
    await eventually(async () => assert.match(await detail.stuckReason().innerText(), /ETIMEDOUT/));
    // The same printed link opened again in this browser: still signed in, the route kept.
    await page2.goto(`${served.url.replace('#', '#/turns&')}`);
    await new TablePage(page2, 'Turns').row(turn.id).waitFor();
    assert.equal(page2.url(), `${served.origin}/#/turns`);
    assert.deepEqual(problems.errors, []);
  },
);
